from django.urls import path

from apps.payments import dispute_views as views

app_name = "disputes"

urlpatterns = [
    path("disputes/", views.payments_mine, name="mine"),
    path("disputes/<int:dispute_id>/", views.dispute_detail, name="detail"),
    path("disputes/<int:dispute_id>/evidence/<int:number>/", views.evidence_download,
         name="evidence"),
    path("<int:payment_id>/dispute/", views.dispute_raise, name="raise"),
    path("<int:payment_id>/receipt-image/", views.receipt_upload, name="receipt"),
    path("<int:payment_id>/receipt-image/file/", views.receipt_download, name="receipt_file"),
]
