"""Reads of medical records, always through the acting user's access."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from apps.accounts.models import Role, User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.appointments.selectors import patients_treated_by
from apps.records.models import MedicalRecord
from apps.records.permissions import Actor, is_practising_doctor

PAGE_SIZE = 20
_PHI_COLUMNS = ("diagnosis", "treatment", "notes")


def _listing(queryset: QuerySet[MedicalRecord]) -> QuerySet[MedicalRecord]:
    # Lists show type, date and author only: the encrypted columns are not even fetched.
    return (
        queryset.select_related("doctor")
        .only("id", "patient_id", "doctor_id", "doctor__name", "appointment_id",
              "record_type", "record_date", "file_urls", "created_at")
        .order_by("-record_date", "-pk")
    )


def records_of_patient(*, patient_id: int, page: Any = 1) -> Page[MedicalRecord]:
    """One patient's records, newest first. Callers check access first (records_access)."""
    queryset = _listing(MedicalRecord.objects.filter(patient_id=patient_id))
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def records_own(*, actor: Actor, page: Any = 1) -> Page[MedicalRecord]:
    """The acting patient's own records; an empty page for anyone else."""
    if not isinstance(actor, User) or actor.role != Role.PATIENT or not actor.is_active:
        return Paginator(MedicalRecord.objects.none(), PAGE_SIZE).get_page(1)
    return records_of_patient(patient_id=actor.pk, page=page)


def record_get(*, record_id: int) -> MedicalRecord:
    """The record with its people, for a caller about to check access and log the read."""
    return MedicalRecord.objects.select_related("patient", "doctor", "appointment").get(
        pk=record_id
    )


def patient_get(*, patient_id: int) -> User:
    """A live patient account by id; User.DoesNotExist for anything else."""
    return User.objects.get(pk=patient_id, role=Role.PATIENT)


def patients_of_doctor(*, actor: Actor) -> QuerySet[User]:
    """The patients a doctor has a treatment relationship with, by name."""
    if not isinstance(actor, User) or not is_practising_doctor(actor):
        return User.objects.none()
    return (
        User.objects.filter(pk__in=patients_treated_by(doctor_id=actor.pk), role=Role.PATIENT)
        .only("id", "name", "email")
        .order_by("name", "pk")
    )


def appointments_for_record(*, doctor_id: int, patient_id: int) -> QuerySet[Appointment]:
    """The appointments a record may be tied to: this doctor's with this patient."""
    return (
        Appointment.objects.filter(
            doctor_id=doctor_id, patient_id=patient_id,
            status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED),
        )
        .only("id", "scheduled_at", "status", "doctor_id", "patient_id")
        .order_by("-scheduled_at", "-pk")
    )
