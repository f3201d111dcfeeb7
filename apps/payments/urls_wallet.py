from django.urls import path

from apps.payments import views_wallet

app_name = "wallet"

urlpatterns = [
    path("", views_wallet.ledger, name="ledger"),
    path("pay/<int:payment_id>/", views_wallet.pay, name="pay"),
    path("refund-preference/", views_wallet.preference, name="preference"),
]
