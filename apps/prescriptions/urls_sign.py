"""Signing and printing a prescription: mounted under /prescriptions/."""

from django.urls import path

from apps.prescriptions import views_sign

app_name = "prescriptions_sign"

urlpatterns = [
    path("<int:prescription_id>/signature/", views_sign.sign_panel, name="panel"),
    path("<int:prescription_id>/sign/", views_sign.sign, name="sign"),
    path("<int:prescription_id>/pdf/", views_sign.prescription_pdf, name="pdf"),
]
