from django.urls import path
from drf_spectacular.views import SpectacularAPIView
from rest_framework_simplejwt.views import TokenObtainPairView

from apps.accounts.api import RevocableTokenRefreshView
from apps.appointments import api as appointments_api
from apps.facilities import api as facilities_api
from apps.records import api as records_api

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("token/", TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("token/refresh/", RevocableTokenRefreshView.as_view(), name="token_refresh"),
    path("doctors/", facilities_api.DoctorListApi.as_view(), name="api-doctor-list"),
    path("doctors/<int:doctor_id>/", facilities_api.DoctorDetailApi.as_view(),
         name="api-doctor-detail"),
    path("appointments/", appointments_api.AppointmentListApi.as_view(),
         name="api-appointment-list"),
    path("appointments/<int:appointment_id>/", appointments_api.AppointmentDetailApi.as_view(),
         name="api-appointment-detail"),
    # --- records ---
    path("records/", records_api.RecordListApi.as_view(), name="api-record-list"),
    path("records/<int:record_id>/", records_api.RecordDetailApi.as_view(),
         name="api-record-detail"),
]
