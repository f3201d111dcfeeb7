"""Appointments between a patient and a doctor, optionally at a facility."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.models import CreatedAtModel, TimestampedModel, choices_check


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
# The same for one patient's SCHEDULED appointments (migration appointments/0007).
PATIENT_OVERLAP_CONSTRAINT = "excl_appointments_patient_overlap"


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
            # Not in the schema document: a patient's calendar around a time (the booking's
            # overlap check) and their appointment lists, without reading their whole history.
            models.Index(fields=["patient", "scheduled_at"],
                         name="idx_appointments_patient_scheduled"),
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


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DoctorAvailability(TimestampedModel):
    """A weekly block of wall-clock working hours, in the doctor's own time zone.

    With a facility the block is for in-person visits there; without one it is for remote
    (video and phone) consultations. Wall-clock times survive daylight-saving changes: slots
    are computed per date in `time_zone`, then stored and compared in UTC.
    """

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, null=True, blank=True,
        related_name="availability",
    )
    weekday = models.SmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    slot_minutes = models.IntegerField(_("slot length (minutes)"), default=30, db_default=30)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Karachi")

    history = HistoricalRecords(table_name="doctor_availability_history")

    class Meta:
        db_table = "doctor_availability"
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        indexes = [
            models.Index(fields=["doctor", "weekday"], name="idx_availability_doctor_day"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(weekday__gte=0, weekday__lte=6),
                                   name="ck_doctor_availability_weekday"),
            models.CheckConstraint(condition=models.Q(end_time__gt=models.F("start_time")),
                                   name="ck_doctor_availability_ends_after_start"),
            models.CheckConstraint(condition=models.Q(slot_minutes__gte=5, slot_minutes__lte=240),
                                   name="ck_doctor_availability_slot_minutes"),
        ]

    def __str__(self) -> str:
        return f"Availability #{self.pk}"


class ExceptionKind(models.TextChoices):
    DAY_OFF = "DAY_OFF", _("Day off")
    LEAVE = "LEAVE", _("Leave")
    EXTRA_HOURS = "EXTRA_HOURS", _("Extra hours")


class AvailabilityException(TimestampedModel):
    """A change to the weekly pattern for a range of dates.

    DAY_OFF and LEAVE remove time (the whole day when no times are given); EXTRA_HOURS adds a
    block on each date of the range. Dates and times are in `time_zone`.
    """

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, null=True, blank=True,
        related_name="availability_exceptions",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ExceptionKind.choices)
    start_date = models.DateField(_("from date"))
    end_date = models.DateField(_("until date"))
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    slot_minutes = models.IntegerField(_("slot length (minutes)"), default=30, db_default=30)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Karachi")
    reason = models.CharField(_("reason"), max_length=255, null=True, blank=True)

    class Meta:
        db_table = "doctor_availability_exceptions"
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        indexes = [
            models.Index(fields=["doctor", "start_date", "end_date"],
                         name="idx_avail_exceptions_doctor"),
        ]
        constraints = [
            choices_check("kind", ExceptionKind.values, table="doctor_availability_exceptions"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="ck_avail_exceptions_date_order"),
            models.CheckConstraint(
                condition=(models.Q(start_time__isnull=True) & models.Q(end_time__isnull=True))
                | models.Q(end_time__gt=models.F("start_time")),
                name="ck_avail_exceptions_time_order",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="EXTRA_HOURS") | models.Q(start_time__isnull=False),
                name="ck_avail_exceptions_extra_hours_have_times",
            ),
        ]

    def __str__(self) -> str:
        return f"Availability exception #{self.pk}"


class WaitlistStatus(models.TextChoices):
    WAITING = "WAITING", _("Waiting")
    NOTIFIED = "NOTIFIED", _("Notified")
    BOOKED = "BOOKED", _("Booked")
    CANCELLED = "CANCELLED", _("Cancelled")


class WaitlistEntry(CreatedAtModel):
    """A patient waiting for a free slot with a doctor on a day (in the doctor's zone)."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlist_entries"
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="waitlisted_by"
    )
    day = models.DateField(_("day"))
    status = models.CharField(
        _("status"), max_length=20, choices=WaitlistStatus.choices,
        default=WaitlistStatus.WAITING,
    )
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "appointment_waitlist"
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist")
        indexes = [
            models.Index(fields=["doctor", "day", "status", "created_at"],
                         name="idx_waitlist_doctor_day"),
        ]
        constraints = [
            choices_check("status", WaitlistStatus.values, table="appointment_waitlist"),
            models.UniqueConstraint(
                fields=["patient", "doctor", "day"],
                condition=models.Q(status__in=["WAITING", "NOTIFIED"]),
                name="uniq_waitlist_active_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Waitlist entry #{self.pk}"


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "H24", _("24 hours before")
    HOUR_BEFORE = "H1", _("1 hour before")


class AppointmentReminder(CreatedAtModel):
    """The claim that a reminder was sent: one row per appointment, kind and start time.

    The unique key, not memory, makes each reminder go out once however often the job runs;
    a rescheduled appointment has a new start time and so a new key.
    """

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    scheduled_for = models.DateTimeField()
    notification = models.ForeignKey(
        "notifications.Notification", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        db_table = "appointment_reminders"
        verbose_name = _("appointment reminder")
        verbose_name_plural = _("appointment reminders")
        constraints = [
            choices_check("kind", ReminderKind.values, table="appointment_reminders"),
            models.UniqueConstraint(fields=["appointment", "kind", "scheduled_for"],
                                    name="uniq_appointment_reminder"),
        ]

    def __str__(self) -> str:
        return f"Reminder {self.kind} for appointment #{self.appointment_id}"


class BookingNotice(models.Model):
    """A booking whose notifications are still to be written: a transactional outbox.

    The booking statement writes this row together with the appointment, so the request
    neither writes notifications nor talks to the broker. A beat job
    (appointments.send_booking_notices, every few seconds) writes the patient's and the
    doctor's notifications and deletes the row in one transaction: a worker killed mid-batch
    leaves the rows for the next run, and a rerun writes no notification twice.
    No foreign key: the row lives seconds, and the job skips an appointment that is gone.
    """

    appointment = models.OneToOneField(
        Appointment, on_delete=models.DO_NOTHING, primary_key=True, db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField()

    class Meta:
        db_table = "appointment_booking_notices"
        verbose_name = _("booking notice")
        verbose_name_plural = _("booking notices")

    def __str__(self) -> str:
        return f"Booking notice for appointment #{self.appointment_id}"
