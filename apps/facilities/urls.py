from django.urls import path

from apps.facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.doctor_search, name="doctor_search"),
    path("<int:doctor_id>/", views.doctor_detail, name="doctor_detail"),
    # Mounted under /doctors/ with the doctor pages: the facility directory shares the app.
    path("facilities/", views.facility_search, name="facility_search"),
    path("facilities/<int:facility_id>/", views.facility_detail, name="facility_detail"),
]
