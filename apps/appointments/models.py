"""Appointments between a patient and a doctor, optionally at a facility."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.models import TimestampedModel, choices_check


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", _("Scheduled")
    COMPLETED = "COMPLETED", _("Completed")
    CANCELLED = "CANCELLED", _("Cancelled")
    NO_SHOW = "NO_SHOW", _("No-show")


class ConsultationType(models.TextChoices):
    VIDEO_CALL = "VIDEO_CALL", _("Video call")
    IN_PERSON = "IN_PERSON", _("In person")
    PHONE = "PHONE", _("Phone")


# The database refuses two SCHEDULED appointments of one doctor that overlap in time.
# btree_gist is not available everywhere (pgserver ships no contrib), so the exclusion
# constraint works on a geometric box per appointment: x spans the doctor id (each doctor
# owns a strip narrower than 1), y spans the appointment's time as epoch seconds. Boxes
# are closed, so the end is pulled in by a millisecond to let back-to-back slots touch.
# See migration appointments/0002 for the function and constraint.
DOCTOR_OVERLAP_CONSTRAINT = "excl_appointments_doctor_overlap"


class Appointment(TimestampedModel):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patient_appointments",
        db_index=False,
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="doctor_appointments",
        db_index=False,
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, null=True, blank=True,
        related_name="appointments",
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="staff_appointments",
    )
    scheduled_at = models.DateTimeField(_("scheduled at"))
    duration_minutes = models.IntegerField(_("duration (minutes)"), default=30, db_default=30)
    status = models.CharField(
        _("status"), max_length=50, choices=AppointmentStatus.choices,
        default=AppointmentStatus.SCHEDULED,
    )
    consultation_type = models.CharField(
        _("consultation type"), max_length=50, choices=ConsultationType.choices
    )
    chief_complaint = models.TextField(_("chief complaint"), null=True, blank=True)
    meeting_link = models.CharField(max_length=500, null=True, blank=True)
    cancellation_reason = models.TextField(_("cancellation reason"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_column="cancelled_by",
    )
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
    )

    history = HistoricalRecords(table_name="appointments_history")

    class Meta:
        db_table = "appointments"
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        indexes = [
            models.Index(fields=["patient"], name="idx_appointments_patient_id"),
            models.Index(fields=["doctor"], name="idx_appointments_doctor_id"),
            models.Index(fields=["scheduled_at"], name="idx_appointments_scheduled_at"),
            models.Index(fields=["status"], name="idx_appointments_status"),
            models.Index(fields=["doctor", "scheduled_at"],
                         name="idx_appointments_doctor_scheduled"),
        ]
        constraints = [
            choices_check("status", AppointmentStatus.values, table="appointments"),
            choices_check("consultation_type", ConsultationType.values, table="appointments"),
            models.CheckConstraint(condition=models.Q(duration_minutes__gt=0),
                                   name="ck_appointments_duration_positive"),
        ]

    def __str__(self) -> str:
        return f"Appointment #{self.pk}"

    @property
    def ends_at(self) -> datetime:
        return self.scheduled_at + timedelta(minutes=self.duration_minutes)
