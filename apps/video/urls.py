from django.urls import path

from apps.video import views

app_name = "video"

urlpatterns = [
    path("<int:appointment_id>/", views.call, name="call"),
    path("<int:appointment_id>/token/", views.token, name="token"),
    path("<int:appointment_id>/join/", views.join, name="join"),
    path("<int:appointment_id>/events/", views.events, name="events"),
    path("<int:appointment_id>/phone/", views.switch_to_phone, name="switch_to_phone"),
]
