from django.urls import path

from apps.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.index, name="index"),
    path("request/", views.request_export, name="request"),
    path("<int:export_id>/status/", views.status, name="status"),
    path("<int:export_id>/download/", views.download, name="download"),
]
