from django.urls import path

from apps.payments import backoffice_views as views

app_name = "backoffice"

urlpatterns = [
    path("disputes/", views.dispute_queue, name="disputes"),
    path("disputes/<int:dispute_id>/", views.dispute_page, name="dispute"),
    path("disputes/<int:dispute_id>/evidence/<int:number>/", views.evidence_download,
         name="evidence"),
]
