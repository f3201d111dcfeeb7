from django.urls import path

from apps.payments import views_receipts

app_name = "receipts"

urlpatterns = [
    path("<int:payment_id>/receipt.pdf", views_receipts.receipt_download, name="pdf"),
]
