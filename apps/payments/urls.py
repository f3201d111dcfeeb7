from django.urls import path

from apps.payments import views, views_simulator

app_name = "payments"

urlpatterns = [
    path("", views.payment_list, name="list"),
    path("<int:payment_id>/", views.payment_detail, name="detail"),
    path("<int:payment_id>/pay/", views.checkout, name="checkout"),
    path("<int:payment_id>/receipt/", views.receipt, name="receipt"),
    path("jazzcash/return/", views.jazzcash_return, name="jazzcash_return"),
    # The local JazzCash simulator (JAZZCASH_SIMULATOR; development only).
    path("simulator/pay/", views_simulator.pay, name="simulator_pay"),
    path("simulator/decide/", views_simulator.decide, name="simulator_decide"),
    path("simulator/api/inquire/", views_simulator.inquire, name="simulator_inquire"),
    path("simulator/api/refund/", views_simulator.refund, name="simulator_refund"),
]
