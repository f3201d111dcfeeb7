"""Writes for appointments: booking. Every rule that can refuse a booking lives here."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import psycopg
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.appointments import errors
from apps.appointments.models import (
    DOCTOR_OVERLAP_CONSTRAINT,
    Appointment,
    AppointmentStatus,
    ConsultationType,
)
from apps.appointments.selectors import ends_after
from apps.facilities.models import DoctorFacility, Facility

logger = logging.getLogger(__name__)


def appointment_book(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    consultation_type: str,
    facility: Facility | None = None,
    chief_complaint: str = "",
    duration_minutes: int = 30,
) -> Appointment:
    """Book a SCHEDULED appointment, or raise a BookingError saying why not.

    The doctor's calendar is guarded by the database (excl_appointments_doctor_overlap),
    so two patients racing for one slot cannot both win; the loser gets SlotUnavailable.
    """
    if timezone.is_naive(scheduled_at):
        raise ValueError("scheduled_at must be timezone-aware.")
    try:
        _check_booking(
            patient=patient, doctor=doctor, scheduled_at=scheduled_at,
            consultation_type=consultation_type, facility=facility,
            duration_minutes=duration_minutes,
        )
        appointment = _insert(
            patient=patient, doctor=doctor, scheduled_at=scheduled_at,
            consultation_type=consultation_type, facility=facility,
            chief_complaint=chief_complaint, duration_minutes=duration_minutes,
        )
    except errors.BookingError as exc:
        logger.info(
            "booking refused reason=%s patient=%s doctor=%s",
            type(exc).__name__, patient.pk, doctor.pk,
        )
        raise

    logger.info(
        "appointment booked id=%s patient=%s doctor=%s facility=%s",
        appointment.pk, patient.pk, doctor.pk, facility.pk if facility else None,
    )
    return appointment


def _check_booking(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    consultation_type: str,
    facility: Facility | None,
    duration_minutes: int,
) -> None:
    if patient.role != Role.PATIENT or patient.deleted_at is not None:
        raise errors.NotAPatient()
    if not patient.is_verified:
        raise errors.PatientEmailUnverified()
    if doctor.role != Role.DOCTOR or not doctor.pmdc_verified or doctor.deleted_at is not None:
        raise errors.DoctorUnavailable()
    if duration_minutes <= 0:
        raise errors.InvalidDuration()
    if scheduled_at <= timezone.now():
        raise errors.SlotInPast()
    if consultation_type not in ConsultationType.values:
        raise errors.InvalidConsultationType()

    if consultation_type == ConsultationType.IN_PERSON:
        practises_there = facility is not None and DoctorFacility.objects.filter(
            doctor_id=doctor.pk, facility_id=facility.pk
        ).exists()
        if not practises_there:
            raise errors.FacilityRequired()
    elif facility is not None:
        raise errors.FacilityNotAllowed()


def _insert(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    consultation_type: str,
    facility: Facility | None,
    chief_complaint: str,
    duration_minutes: int,
) -> Appointment:
    ends_at = scheduled_at + timedelta(minutes=duration_minutes)
    try:
        with transaction.atomic():
            # The database guards only the doctor's calendar. Locking the patient's row
            # serialises one patient's bookings so the overlap check below cannot race,
            # and re-reads the row in case it changed since the caller loaded it.
            verified = list(
                User.objects.select_for_update()
                .filter(pk=patient.pk, role=Role.PATIENT)
                .values_list("is_verified", flat=True)
            )
            if not verified:
                raise errors.NotAPatient()
            if not verified[0]:
                raise errors.PatientEmailUnverified()
            clash = Appointment.objects.filter(
                ends_after(scheduled_at),
                patient_id=patient.pk,
                status=AppointmentStatus.SCHEDULED,
                scheduled_at__lt=ends_at,
            )
            if clash.exists():
                raise errors.PatientOverlap()

            return Appointment.objects.create(
                patient=patient,
                doctor=doctor,
                facility=facility,
                scheduled_at=scheduled_at,
                duration_minutes=duration_minutes,
                status=AppointmentStatus.SCHEDULED,
                consultation_type=consultation_type,
                chief_complaint=chief_complaint.strip() or None,
            )
    except IntegrityError as exc:
        if _is_doctor_overlap(exc):
            raise errors.SlotUnavailable() from exc
        raise


def _is_doctor_overlap(exc: IntegrityError) -> bool:
    cause = exc.__cause__
    if not isinstance(cause, psycopg.errors.IntegrityError):
        return False
    return cause.diag.constraint_name == DOCTOR_OVERLAP_CONSTRAINT
