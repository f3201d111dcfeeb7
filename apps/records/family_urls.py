from django.urls import path

from apps.records import family_views

app_name = "family"

urlpatterns = [
    path("", family_views.family_history, name="mine"),
    path("add/", family_views.member_add, name="add"),
    path("<int:member_id>/edit/", family_views.member_edit, name="edit"),
    path("<int:member_id>/remove/", family_views.member_delete, name="delete"),
    path("patients/<int:patient_id>/", family_views.patient_family_history, name="patient"),
]
