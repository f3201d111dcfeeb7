from django.urls import path

from apps.facilities import views

app_name = "facilities"

urlpatterns = [
    path("", views.doctor_search, name="doctor_search"),
    path("<int:doctor_id>/", views.doctor_detail, name="doctor_detail"),
]
