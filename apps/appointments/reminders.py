"""Appointment reminders 24 hours and 1 hour before the start, each sent exactly once.

Exactly once rests on the database, not on memory: a reminder is sent only by the
transaction that inserts its AppointmentReminder claim, and the claim's unique key
(appointment, kind, scheduled_for) lets only one transaction insert it, however often the
job runs or overlaps itself. The claim and the notification commit together, so a worker
killed mid-batch leaves neither, and the next run sends the reminder.

- A rescheduled appointment has a new `scheduled_for`, so its reminders are claimed afresh.
- A cancelled (or completed, no-show) appointment is not SCHEDULED and is never reminded.
- A reminder that fell due while no worker ran is sent when one returns, unless the
  appointment has started by then.
- When the 1-hour reminder is due, an unsent 24-hour one is superseded: it is claimed with
  no notification, so the patient gets one reminder that says the appointment is close
  rather than two at once (this also covers bookings made less than an hour ahead).
  Between 24 h and 1 h ahead, a late 24-hour reminder is still sent (workers were down),
  except for an appointment booked inside that window: its booking confirmation has just
  said the same, and a "coming up tomorrow" a minute later reads as spam.
"""

from __future__ import annotations

import logging
import time
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.appointments.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    ConsultationType,
    ReminderKind,
)
from apps.core.i18n import in_language_of
from apps.notifications.models import Channel, NotificationEvent
from apps.notifications.services import notification_create

logger = logging.getLogger(__name__)

REMINDER_LEAD = {
    ReminderKind.DAY_BEFORE: timedelta(hours=24),
    ReminderKind.HOUR_BEFORE: timedelta(hours=1),
}
BATCH_SIZE = 200
# A guard against a loop that never drains; at BATCH_SIZE this is 100k appointments a run.
MAX_BATCHES = 500

_CHANNELS = (Channel.PUSH, Channel.EMAIL, Channel.SMS)


@dataclass(frozen=True)
class ReminderRun:
    sent: int
    superseded: int
    batches: int


def _unclaimed(kind: str) -> Q:
    claim = AppointmentReminder.objects.filter(
        appointment_id=OuterRef("pk"), kind=kind, scheduled_for=OuterRef("scheduled_at")
    )
    return ~Q(Exists(claim))


def due_reminders_filter(*, now: datetime) -> Q:
    """SCHEDULED, not started, and a reminder due (lead time passed) but not yet claimed."""
    day_due = Q(scheduled_at__lte=now + REMINDER_LEAD[ReminderKind.DAY_BEFORE]) & _unclaimed(
        ReminderKind.DAY_BEFORE
    )
    hour_due = Q(scheduled_at__lte=now + REMINDER_LEAD[ReminderKind.HOUR_BEFORE]) & _unclaimed(
        ReminderKind.HOUR_BEFORE
    )
    # The outer bounds repeat the widest lead so the scheduled_at index limits the scan to the
    # next 24 hours; the planner does not lift a bound out of the OR on its own.
    window = Q(
        status=AppointmentStatus.SCHEDULED,
        scheduled_at__gt=now,
        scheduled_at__lte=now + max(REMINDER_LEAD.values()),
    )
    return window & (day_due | hour_due)


def reminders_send_due(
    *, now: datetime | None = None, batch_size: int = BATCH_SIZE
) -> ReminderRun:
    """Claim and notify every due reminder, one short transaction per batch."""
    started = time.monotonic()
    now = now or timezone.now()
    sent = superseded = batches = 0
    while batches < MAX_BATCHES:
        batch_sent, batch_superseded, locked = _send_batch(now=now, batch_size=batch_size)
        # Not `locked < batch_size`: rows held by an overlapping run shrink a batch without
        # meaning the work is done. Every row locked here is claimed, so this ends.
        if locked == 0:
            break
        batches += 1
        sent += batch_sent
        superseded += batch_superseded
    logger.info(
        "reminders run sent=%s superseded=%s batches=%s duration_ms=%d",
        sent, superseded, batches, (time.monotonic() - started) * 1000,
    )
    return ReminderRun(sent=sent, superseded=superseded, batches=batches)


def _send_batch(*, now: datetime, batch_size: int) -> tuple[int, int, int]:
    with transaction.atomic():
        # SKIP LOCKED: an overlapping run takes other rows instead of waiting on these.
        # NO KEY UPDATE still lets other transactions insert rows that reference them.
        appointments = list(
            Appointment.objects.filter(due_reminders_filter(now=now))
            .select_related("patient", "doctor", "facility")
            .only(
                "pk", "scheduled_at", "duration_minutes", "consultation_type", "status",
                "created_at",
                "patient__id", "patient__name", "patient__time_zone",
                "doctor__id", "doctor__name", "doctor__time_zone",
                "facility__id", "facility__name",
            )
            .order_by("scheduled_at", "pk")
            .select_for_update(skip_locked=True, no_key=True, of=("self",))[:batch_size]
        )
        if not appointments:
            return 0, 0, 0

        wanted: list[tuple[int, str, datetime]] = []
        for appointment in appointments:
            wanted.append((appointment.pk, ReminderKind.DAY_BEFORE, appointment.scheduled_at))
            if appointment.scheduled_at <= now + REMINDER_LEAD[ReminderKind.HOUR_BEFORE]:
                wanted.append(
                    (appointment.pk, ReminderKind.HOUR_BEFORE, appointment.scheduled_at)
                )
        # Only the claims this transaction inserted come back; the rest belong to others.
        claimed = _claim(wanted)

        by_id = {appointment.pk: appointment for appointment in appointments}
        sent = superseded = 0
        links: list[tuple[int, int]] = []
        for claim_id, appointment_id, kind in claimed:
            appointment = by_id[appointment_id]
            hour_due = appointment.scheduled_at <= now + REMINDER_LEAD[ReminderKind.HOUR_BEFORE]
            booked_late = appointment.created_at > (
                appointment.scheduled_at - REMINDER_LEAD[ReminderKind.DAY_BEFORE]
            )
            if kind == ReminderKind.DAY_BEFORE and (hour_due or booked_late):
                superseded += 1
                continue
            notification_id = _notify(appointment, kind)
            links.append((claim_id, notification_id))
            sent += 1
        _link_notifications(links)
    return sent, superseded, len(appointments)


def _claim(wanted: Iterable[tuple[int, str, datetime]]) -> list[tuple[int, int, str]]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: the (claim, appointment, kind) won here."""
    rows = list(wanted)
    if not rows:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO appointment_reminders (appointment_id, kind, scheduled_for, created_at)
            SELECT appointment_id, kind, scheduled_for, now()
            FROM unnest(%s::bigint[], %s::varchar[], %s::timestamptz[])
                AS wanted (appointment_id, kind, scheduled_for)
            ON CONFLICT (appointment_id, kind, scheduled_for) DO NOTHING
            RETURNING id, appointment_id, kind
            """,
            [[row[0] for row in rows], [row[1] for row in rows], [row[2] for row in rows]],
        )
        return [(int(row[0]), int(row[1]), str(row[2])) for row in cursor.fetchall()]


def _link_notifications(links: list[tuple[int, int]]) -> None:
    claims = [
        AppointmentReminder(pk=claim_id, notification_id=notification_id)
        for claim_id, notification_id in links
    ]
    if claims:
        AppointmentReminder.objects.bulk_update(claims, ["notification"])


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _when(appointment: Appointment, user: User) -> str:
    zone = _zone(user)
    local = timezone.localtime(appointment.scheduled_at, zone)
    return f"{date_format(local, 'D j M Y, H:i')} ({zone.key})"


def _notify(appointment: Appointment, kind: str) -> int:
    """Remind the patient of both kinds, and the doctor an hour ahead; the patient's id back.

    Messages name the people, the time and the place, never the chief complaint.
    """
    action_url = reverse("appointments:detail", kwargs={"appointment_id": appointment.pk})
    with in_language_of(appointment.patient):
        title = (
            _("Your appointment is in one hour")
            if kind == ReminderKind.HOUR_BEFORE
            else _("Reminder: your appointment is coming up")
        )
        patient_message = _("%(kind)s with %(doctor)s on %(when)s%(where)s.") % {
            "kind": appointment.get_consultation_type_display(),
            "doctor": appointment.doctor.name,
            "when": _when(appointment, appointment.patient),
            "where": _place(appointment),
        }
        notification = notification_create(
            user=appointment.patient,
            event=NotificationEvent.APPOINTMENT_REMINDER,
            title=title,
            message=patient_message,
            action_url=action_url,
            channels=_CHANNELS,
        )
    if kind == ReminderKind.HOUR_BEFORE:
        with in_language_of(appointment.doctor):
            doctor_message = _("%(kind)s with %(patient)s on %(when)s%(where)s.") % {
                "kind": appointment.get_consultation_type_display(),
                "patient": appointment.patient.name,
                "when": _when(appointment, appointment.doctor),
                "where": _place(appointment),
            }
            notification_create(
                user=appointment.doctor,
                event=NotificationEvent.APPOINTMENT_REMINDER,
                title=_("Appointment in one hour"),
                message=doctor_message,
                action_url=action_url,
                channels=(Channel.PUSH, Channel.EMAIL),
            )
    return notification.pk


def _place(appointment: Appointment) -> str:
    if appointment.consultation_type == ConsultationType.IN_PERSON and appointment.facility:
        return _(" at %(facility)s") % {"facility": appointment.facility.name}
    return ""
