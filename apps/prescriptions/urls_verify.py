"""The public verification page behind a prescription's QR code: mounted at /verify/rx/."""

from django.urls import path

from apps.prescriptions import views_sign

app_name = "verify_rx"

urlpatterns = [
    path("<str:token>/", views_sign.verify, name="verify"),
    path("<str:token>/reject/", views_sign.reject, name="reject"),
]
