"""Reads of appointments, always through the acting user's scope."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from apps.accounts.models import Role
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from apps.appointments.permissions import Actor, appointment_scope

PAGE_SIZE = 10
DOCTOR_UPCOMING_LIMIT = 10
WAITLIST_ACTIVE = (WaitlistStatus.WAITING, WaitlistStatus.NOTIFIED)


def ends_after(moment: datetime) -> GreaterThan:
    """A filter: the appointment (start + duration) ends after `moment`, computed in SQL."""
    duration = ExpressionWrapper(
        F("duration_minutes") * Value(timedelta(minutes=1)), output_field=DurationField()
    )
    ends_at = ExpressionWrapper(F("scheduled_at") + duration, output_field=DateTimeField())
    return GreaterThan(ends_at, moment)


def _visible(actor: Actor) -> QuerySet[Appointment]:
    scope = appointment_scope(actor)
    if scope is None:
        return Appointment.objects.none()
    return Appointment.objects.filter(scope)


def appointment_get_for_actor(*, actor: Actor, appointment_id: int) -> Appointment:
    """The appointment if `actor` may see it; Appointment.DoesNotExist otherwise."""
    return (
        _visible(actor)
        .select_related("patient", "doctor", "facility", "staff")
        .get(pk=appointment_id)
    )


def appointments_upcoming(
    *, actor: Actor, page: str | int | None = 1, now: datetime | None = None
) -> Page[Appointment]:
    """SCHEDULED appointments in the actor's scope that have not ended yet, soonest first."""
    now = now or timezone.now()
    queryset = (
        _visible(actor)
        .filter(ends_after(now), status=AppointmentStatus.SCHEDULED)
        .select_related("patient", "doctor", "facility")
        .order_by("scheduled_at", "pk")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


@dataclass(frozen=True)
class DoctorSchedule:
    day: date
    today: list[Appointment]
    upcoming: list[Appointment]


def user_zone(actor: Actor) -> zoneinfo.ZoneInfo:
    name = getattr(actor, "time_zone", None) or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def doctor_schedule(*, actor: Actor, now: datetime | None = None) -> DoctorSchedule:
    """The doctor's day in their own time zone, then the next SCHEDULED appointments."""
    zone = user_zone(actor)
    now = now or timezone.now()
    day = timezone.localtime(now, zone).date()
    day_start = datetime.combine(day, time.min, tzinfo=zone)
    day_end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    if getattr(actor, "role", None) != Role.DOCTOR:
        return DoctorSchedule(day=day, today=[], upcoming=[])

    mine = _visible(actor).select_related("patient", "facility").order_by("scheduled_at", "pk")
    today = list(
        mine.filter(scheduled_at__gte=day_start, scheduled_at__lt=day_end)
        .exclude(status=AppointmentStatus.CANCELLED)
    )
    upcoming = list(
        mine.filter(status=AppointmentStatus.SCHEDULED, scheduled_at__gte=day_end)[
            :DOCTOR_UPCOMING_LIMIT
        ]
    )
    return DoctorSchedule(day=day, today=today, upcoming=upcoming)


def appointments_past(
    *, actor: Actor, page: str | int | None = 1, now: datetime | None = None
) -> Page[Appointment]:
    """The actor's appointment history, latest first: everything `appointments_upcoming` is not.

    Ended appointments and those no longer SCHEDULED (completed, no-show, cancelled — even a
    cancelled one whose time is still ahead) belong here, so the two lists partition the scope.
    """
    now = now or timezone.now()
    upcoming = Q(ends_after(now), status=AppointmentStatus.SCHEDULED)
    queryset = (
        _visible(actor)
        .exclude(upcoming)
        .select_related("patient", "doctor", "facility")
        .order_by("-scheduled_at", "-pk")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def zone_day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    """The instants where `day` starts and the next day starts, on the wall clock of `zone`."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


@dataclass(frozen=True)
class CalendarDay:
    day: date
    appointments: list[Appointment]


@dataclass(frozen=True)
class DoctorCalendar:
    """A doctor's appointments over whole days of their own time zone."""

    zone: zoneinfo.ZoneInfo
    start: date
    days: list[CalendarDay]
    previous_start: date
    next_start: date

    @property
    def end(self) -> date:
        return self.days[-1].day

    @property
    def is_empty(self) -> bool:
        return not any(calendar_day.appointments for calendar_day in self.days)


def doctor_calendar(*, actor: Actor, start: date, days: int) -> DoctorCalendar:
    """The doctor's own appointments (all statuses) for `days` days from `start`, per day.

    One query whatever the range; days are cut on the doctor's wall clock, so a day across a
    daylight-saving change is 23 or 25 hours long. Anyone but a doctor gets empty days.
    """
    zone = user_zone(actor)
    range_start, _ = zone_day_bounds(start, zone)
    _, range_end = zone_day_bounds(start + timedelta(days=days - 1), zone)
    by_day: dict[date, list[Appointment]] = {start + timedelta(days=n): [] for n in range(days)}
    if getattr(actor, "role", None) == Role.DOCTOR:
        appointments = (
            _visible(actor)
            .filter(scheduled_at__gte=range_start, scheduled_at__lt=range_end)
            .select_related("patient", "facility")
            .order_by("scheduled_at", "pk")
        )
        for appointment in appointments:
            by_day[timezone.localtime(appointment.scheduled_at, zone).date()].append(appointment)
    return DoctorCalendar(
        zone=zone,
        start=start,
        days=[CalendarDay(day=day, appointments=items) for day, items in by_day.items()],
        previous_start=start - timedelta(days=days),
        next_start=start + timedelta(days=days),
    )


def week_start(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def appointment_revision(*, appointment: Appointment) -> int:
    """How many times the appointment's time, place or status changed since it was booked.

    Calendar clients (RFC 5545 SEQUENCE) replace an event only when this number grows.
    """
    rows = (
        appointment.history.order_by("history_date", "history_id")
        .values_list("scheduled_at", "duration_minutes", "facility_id", "status")
    )
    revision, previous = 0, None
    for row in rows:
        if previous is not None and row != previous:
            revision += 1
        previous = row
    return revision


def waitlist_for_patient(*, actor: Actor, now: datetime | None = None) -> list[WaitlistEntry]:
    """The patient's active waitlist entries for today or later, soonest day first."""
    if getattr(actor, "role", None) != Role.PATIENT or not getattr(actor, "is_active", False):
        return []
    now = now or timezone.now()
    # A day is the doctor's; the day before today in UTC is old everywhere that matters.
    oldest = (now - timedelta(days=1)).date()
    return list(
        WaitlistEntry.objects.filter(
            patient_id=actor.pk, status__in=WAITLIST_ACTIVE, day__gte=oldest
        )
        .select_related("doctor")
        .order_by("day", "created_at", "pk")
    )


def waitlist_entry_get_for_patient(*, actor: Actor, entry_id: int) -> WaitlistEntry:
    """The patient's own active entry; WaitlistEntry.DoesNotExist for anything else."""
    if getattr(actor, "role", None) != Role.PATIENT:
        raise WaitlistEntry.DoesNotExist
    return WaitlistEntry.objects.get(
        pk=entry_id, patient_id=actor.pk, status__in=WAITLIST_ACTIVE
    )


TREATING_STATUSES = (AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED)


def doctor_has_treated(*, doctor_id: int, patient_id: int) -> bool:
    """Whether a completed or scheduled appointment links this doctor to this patient.

    This is the treatment relationship that lets a doctor read a patient's records, write
    them records and prescriptions, and read their family history (DESIGN: roles and access).
    A cancelled or no-show appointment creates none.
    """
    return Appointment.objects.filter(
        doctor_id=doctor_id, patient_id=patient_id, status__in=TREATING_STATUSES,
    ).exists()


def patients_treated_by(*, doctor_id: int) -> QuerySet[Any]:
    """Ids of the patients this doctor has a treatment relationship with (a subquery)."""
    return (
        Appointment.objects.filter(doctor_id=doctor_id, status__in=TREATING_STATUSES)
        .values("patient_id").distinct()
    )
