from django.urls import path

from apps.prescriptions import views

app_name = "prescriptions"

urlpatterns = [
    path("", views.prescription_list, name="list"),
    path("<int:prescription_id>/", views.prescription_detail, name="detail"),
    path("<int:prescription_id>/edit/", views.prescription_edit, name="edit"),
    path("<int:prescription_id>/warnings/<int:warning_id>/acknowledge/",
         views.warning_acknowledge, name="acknowledge"),
    path("patients/<int:patient_id>/new/", views.prescription_create, name="create"),
    path("patients/<int:patient_id>/check/", views.live_check, name="check"),
    path("drugs/suggest/", views.drug_suggestions, name="suggest"),
]
