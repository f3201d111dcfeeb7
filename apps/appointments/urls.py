from django.urls import path

from apps.appointments import views

app_name = "appointments"

urlpatterns = [
    path("<int:appointment_id>/", views.detail, name="detail"),
    path("book/<int:doctor_id>/", views.book, name="book"),
]
