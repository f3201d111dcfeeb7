"""Reads for video calls, always through the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_datetime

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType
from apps.appointments.permissions import Actor
from apps.video.models import VideoCall

ROLE_PATIENT, ROLE_DOCTOR, ROLE_STAFF = "PATIENT", "DOCTOR", "STAFF"


def participant_role(actor: Actor, appointment: Appointment) -> str | None:
    """PATIENT, DOCTOR or STAFF when `actor` is one of the call's people, else None."""
    if not isinstance(actor, User) or not actor.is_active:
        return None
    if actor.pk == appointment.patient_id:
        return ROLE_PATIENT
    if actor.pk == appointment.doctor_id:
        return ROLE_DOCTOR
    if appointment.staff_id is not None and actor.pk == appointment.staff_id:
        return ROLE_STAFF
    return None


def call_appointment_get(*, actor: Actor, appointment_id: int) -> Appointment:
    """The appointment when `actor` is its patient, doctor or staff participant.

    Appointment.DoesNotExist otherwise: other staff of the facility, organizations and
    outsiders never learn that a call exists. The video call row (if any) comes along.
    """
    if not isinstance(actor, User) or not actor.is_active:
        raise Appointment.DoesNotExist
    people = Q(patient_id=actor.pk) | Q(doctor_id=actor.pk) | Q(staff_id=actor.pk)
    return (
        Appointment.objects.filter(people)
        .select_related("patient", "doctor", "staff", "video_call")
        .get(pk=appointment_id)
    )


@dataclass(frozen=True)
class JoinWindow:
    """Joining is possible from `opens` to `closes`; a call under way may run on until
    `room_closes` (VIDEO_CALL_GRACE_MINUTES later), when the close job destroys the room."""

    opens: datetime
    closes: datetime
    room_closes: datetime


def join_window(appointment: Appointment) -> JoinWindow:
    closes = appointment.ends_at + timedelta(minutes=settings.VIDEO_JOIN_LATE_MINUTES)
    return JoinWindow(
        opens=appointment.scheduled_at - timedelta(minutes=settings.VIDEO_JOIN_EARLY_MINUTES),
        closes=closes,
        room_closes=closes + timedelta(minutes=settings.VIDEO_CALL_GRACE_MINUTES),
    )


def join_window_shown(appointment: Appointment) -> JoinWindow | None:
    """The join window to name on the call page: only while it can still be used (a
    scheduled video call), not on a call that was cancelled or became a phone call."""
    if (appointment.consultation_type != ConsultationType.VIDEO_CALL
            or appointment.status != AppointmentStatus.SCHEDULED):
        return None
    return join_window(appointment)


def video_call_of(appointment: Appointment) -> VideoCall | None:
    """The appointment's call row, without a query when select_related loaded it."""
    try:
        return appointment.video_call
    except VideoCall.DoesNotExist:
        return None


@dataclass(frozen=True)
class CallSummary:
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None
    participants: list[dict[str, object]]
    quality: dict[str, object]
    recording_url: str | None

    @property
    def duration_minutes(self) -> int | None:
        if self.duration_seconds is None:
            return None
        return (self.duration_seconds + 59) // 60


def call_summary(*, actor: Actor, appointment: Appointment) -> CallSummary | None:
    """What the call recorded, for the appointment's doctor only; None for anyone else."""
    if not isinstance(actor, User) or actor.pk != appointment.doctor_id:
        return None
    call = video_call_of(appointment)
    if call is None or not call.participants:
        return None
    people = [
        {"role": entry.get("role"), "joined": parse_datetime(str(entry.get("joined_at"))),
         "left": parse_datetime(str(entry["left_at"])) if entry.get("left_at") else None}
        for entry in call.participants
    ]
    return CallSummary(
        started_at=call.started_at, ended_at=call.ended_at,
        duration_seconds=call.duration_seconds,
        participants=people,
        quality=dict(call.quality_metrics or {}),
        recording_url=call.recording_url,
    )
