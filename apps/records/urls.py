from django.urls import path

from apps.records import views

app_name = "records"

urlpatterns = [
    path("", views.record_list, name="list"),
    path("<int:record_id>/", views.record_detail, name="detail"),
    path("<int:record_id>/edit/", views.record_edit, name="edit"),
    path("<int:record_id>/attachments/<int:number>/", views.attachment_download,
         name="attachment"),
    path("patients/", views.patient_list, name="patients"),
    path("patients/<int:patient_id>/", views.patient_records, name="patient"),
    path("patients/<int:patient_id>/new/", views.record_create, name="create"),
    path("break-glass/", views.break_glass, name="break_glass"),
]
