"""Appointments over REST: the actor's own list, one appointment, and booking."""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User
from apps.appointments import errors, selectors, services
from apps.appointments.models import Appointment, ConsultationType
from apps.appointments.permissions import can_see_chief_complaint
from apps.facilities import selectors as facility_selectors
from apps.facilities.models import Facility


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    doctor_name = serializers.CharField(source="doctor.display_name", read_only=True)
    facility_name = serializers.CharField(source="facility.name", read_only=True, default=None)

    class Meta:
        model = Appointment
        fields = [
            "id", "patient_id", "doctor_id", "doctor_name", "facility_id", "facility_name",
            "scheduled_at", "duration_minutes", "status", "consultation_type",
            "chief_complaint",
        ]

    def to_representation(self, instance: Appointment) -> dict[str, object]:
        data: dict[str, object] = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can_see_chief_complaint(request.user, instance):
            data.pop("chief_complaint", None)
        return data


class AwareDateTimeField(serializers.DateTimeField):
    """A time without an offset is ambiguous for a patient in another zone: refuse it."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError(
                _("Include the UTC offset, e.g. 2027-01-15T10:00:00+05:00.")
            )
        return super().enforce_timezone(value)


class BookingSerializer(serializers.Serializer[object]):
    doctor_id = serializers.IntegerField(min_value=1)
    scheduled_at = AwareDateTimeField()
    consultation_type = serializers.ChoiceField(choices=ConsultationType.choices)
    facility_id = serializers.IntegerField(required=False, allow_null=True)
    chief_complaint = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class AppointmentListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("page", int)],
                   responses=AppointmentSerializer(many=True))
    def get(self, request: Request) -> Response:
        page = selectors.appointments_upcoming(
            actor=request.user, page=request.query_params.get("page", 1)
        )
        context = {"request": request}
        return Response({
            "count": page.paginator.count,
            "page": page.number,
            "num_pages": page.paginator.num_pages,
            "results": AppointmentSerializer(
                list(page.object_list), many=True, context=context
            ).data,
        })

    @extend_schema(request=BookingSerializer, responses={201: AppointmentSerializer})
    def post(self, request: Request) -> Response:
        payload = BookingSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            doctor = facility_selectors.doctor_get(actor=request.user, doctor_id=data["doctor_id"])
        except User.DoesNotExist:
            return Response({"doctor_id": [str(errors.DoctorUnavailable().message)]},
                            status=status.HTTP_400_BAD_REQUEST)
        facility = None
        if data.get("facility_id") is not None:
            facility = facility_selectors.doctor_facilities(doctor=doctor).filter(
                pk=data["facility_id"]
            ).first()
            if facility is None:
                return Response({"facility_id": [str(errors.FacilityRequired().message)]},
                                status=status.HTTP_400_BAD_REQUEST)
        return self._book(request, doctor, facility, data)

    def _book(self, request: Request, doctor: User, facility: Facility | None,
              data: dict[str, object]) -> Response:
        try:
            appointment = services.appointment_book(
                patient=request.user,  # type: ignore[arg-type]
                doctor=doctor,
                scheduled_at=data["scheduled_at"],  # type: ignore[arg-type]
                consultation_type=str(data["consultation_type"]),
                facility=facility,
                chief_complaint=str(data.get("chief_complaint") or ""),
            )
        except (errors.SlotUnavailable, errors.CalendarBusy) as exc:
            return Response({"detail": str(exc.message)}, status=status.HTTP_409_CONFLICT)
        except errors.BookingError as exc:
            return Response({"detail": str(exc.message)}, status=status.HTTP_400_BAD_REQUEST)
        body = AppointmentSerializer(appointment, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class AppointmentDetailApi(APIView):
    @extend_schema(responses=AppointmentSerializer)
    def get(self, request: Request, appointment_id: int) -> Response:
        try:
            appointment = selectors.appointment_get_for_actor(
                actor=request.user, appointment_id=appointment_id
            )
        except Appointment.DoesNotExist as exc:
            raise Http404 from exc
        return Response(AppointmentSerializer(appointment, context={"request": request}).data)
