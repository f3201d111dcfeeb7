"""Reads of appointments, always through the acting user's scope."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from apps.accounts.models import Role
from apps.appointments.models import Appointment, AppointmentStatus
from apps.appointments.permissions import Actor, appointment_scope

PAGE_SIZE = 10
DOCTOR_UPCOMING_LIMIT = 10


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
