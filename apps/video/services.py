"""Video consultations: Janus rooms for VIDEO_CALL appointments, joining, and what a call records.

One private videoroom per appointment. Its number is random (video_calls.room_id); its
`secret` (to destroy it) and `pin` (to join it) are HMACs of that number under SECRET_KEY,
so neither is stored anywhere: the secret never leaves the server, and the pin is handed
only to the appointment's patient, doctor and staff participant, inside the join window,
in exchange for a short-lived join token bound to the user and the appointment.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType
from apps.appointments.selectors import ends_after
from apps.core.i18n import in_language_of
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.video import errors
from apps.video.janus import (
    JanusClient,
    JanusError,
    JanusRequestFailed,
    RoomSpec,
    new_room_id,
)
from apps.video.models import VideoCall
from apps.video.selectors import join_window, participant_role

logger = logging.getLogger(__name__)

JOIN_SIGNING_SALT = "healthlink.video.join"
PRESENCE_SIGNING_SALT = "healthlink.video.presence"
# The `joined` report follows the join exchange within seconds (Janus session, attach,
# join); a grant older than this is refused.
PRESENCE_GRANT_SECONDS = 300
# A user's join/leave entries are compacted beyond this many (rejoins are never refused),
# and at most this many may be open at once (tabs; a page whose leave was lost).
MAX_ENTRIES_PER_USER = 10
MAX_OPEN_ENTRIES_PER_USER = 3
# The quality summary keeps these numbers only, each with count, mean, min and max.
METRIC_LIMITS = {"rtt_ms": 60_000.0, "packet_loss_pct": 100.0, "bitrate_kbps": 1_000_000.0}
EVENT_KINDS = ("joined", "left", "stats")


# --- Room secrets -----------------------------------------------------------------------


def room_secret(room_id: str) -> str:
    return salted_hmac("healthlink.video.room-secret", room_id).hexdigest()


def room_pin(room_id: str) -> str:
    return salted_hmac("healthlink.video.room-pin", room_id).hexdigest()[:32]


def call_page_path(appointment_id: int) -> str:
    return reverse("video:call", args=[appointment_id])


def _room_spec(room_id: str) -> RoomSpec:
    recording = settings.VIDEO_RECORDING_ENABLED
    return RoomSpec(
        room=int(room_id), secret=room_secret(room_id), pin=room_pin(room_id),
        record=recording,
        rec_dir=f"{settings.VIDEO_RECORDING_DIR.rstrip('/')}/{room_id}" if recording else "",
    )


# --- Rooms ------------------------------------------------------------------------------


def video_room_ensure(
    *, appointment_id: int, now: datetime | None = None, client: JanusClient | None = None
) -> VideoCall:
    """The appointment's open Janus room, created now if it has none.

    Locks the appointment row, so the beat job and a first join racing for the same
    appointment create one room between them. Raises VideoUnavailable when Janus does not
    answer; the room Janus made is destroyed again if the database write fails.
    """
    now = now or timezone.now()
    client = client or JanusClient()
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment_id)
        _check_bookable_call(appointment, now)
        call = VideoCall.objects.filter(appointment_id=appointment_id).first()
        if call is not None and call.room_closed_at is None:
            return call

        room_id = str(new_room_id())
        try:
            client.room_create(_room_spec(room_id))
        except JanusError as exc:
            logger.warning("video room not created appointment=%s error=%s",
                           appointment_id, type(exc).__name__)
            raise errors.VideoUnavailable() from exc
        try:
            with transaction.atomic():
                call = _store_room(appointment, call, room_id)
        except Exception:
            _destroy_quietly(client, room_id, appointment_id)
            raise
    logger.info("video room ready appointment=%s call=%s", appointment_id, call.pk)
    return call


def _check_bookable_call(appointment: Appointment, now: datetime) -> None:
    if appointment.consultation_type != ConsultationType.VIDEO_CALL:
        raise errors.NotAVideoCall()
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise errors.CallNotScheduled()
    if now >= join_window(appointment).closes:
        raise errors.CallOver()


def _store_room(appointment: Appointment, call: VideoCall | None, room_id: str) -> VideoCall:
    if call is None:
        call = VideoCall.objects.create(appointment=appointment, room_id=room_id)
    else:  # the earlier room was closed (e.g. the call moved to a later time): a new one
        call.room_id, call.room_closed_at = room_id, None
        call.save(update_fields=["room_id", "room_closed_at"])
    link = call_page_path(appointment.pk)
    if appointment.meeting_link != link:
        appointment.meeting_link = link
        appointment._change_reason = "video room created"  # type: ignore[attr-defined]
        appointment.save(update_fields=["meeting_link", "updated_at"])
    return call


def _destroy_quietly(client: JanusClient, room_id: str, appointment_id: int) -> None:
    try:
        client.room_destroy(room=int(room_id), secret=room_secret(room_id))
    except JanusError:
        logger.warning("video room left on Janus after a failed write appointment=%s",
                       appointment_id)


def video_room_close(
    *, video_call_id: int, now: datetime | None = None, client: JanusClient | None = None
) -> bool:
    """Destroy the call's Janus room and close the call's record. False if already closed.

    Anyone still marked present is marked as having left now. A Janus that does not answer
    leaves the room open here, for the next run to try again.
    """
    now = now or timezone.now()
    client = client or JanusClient()
    with transaction.atomic():
        call = VideoCall.objects.select_for_update().filter(pk=video_call_id).first()
        if call is None or call.room_closed_at is not None:
            return False
        try:
            if not client.room_destroy(room=call.room_number, secret=room_secret(call.room_id)):
                logger.info("video room already gone call=%s", call.pk)  # e.g. Janus restarted
        except JanusRequestFailed as exc:
            # This room only (e.g. its secret no longer matches after a SECRET_KEY
            # rotation): the record stays open for a person; other rooms still close.
            logger.warning("video room not destroyed call=%s error=%s code=%s",
                           call.pk, type(exc).__name__, exc.code)
            return False
        except JanusError as exc:
            logger.warning("video room not destroyed call=%s error=%s",
                           call.pk, type(exc).__name__)
            raise errors.VideoUnavailable() from exc
        entries = list(call.participants or [])
        for entry in entries:
            if entry.get("left_at") is None:
                entry["left_at"] = now.isoformat()
        _apply_timeline(call, entries, now)
        call.room_closed_at = now
        if settings.VIDEO_RECORDING_ENABLED:
            call.recording_url = _room_spec(call.room_id).rec_dir
        call.save(update_fields=["participants", "started_at", "ended_at", "duration_seconds",
                                 "room_closed_at", "recording_url"])
    logger.info("video room closed call=%s", call.pk)
    return True


def video_rooms_prepare(*, now: datetime | None = None) -> int:
    """Create rooms for video appointments starting within VIDEO_ROOM_LEAD_MINUTES."""
    now = now or timezone.now()
    soon = now + timedelta(minutes=settings.VIDEO_ROOM_LEAD_MINUTES)
    due = list(
        Appointment.objects.filter(
            ends_after(now), consultation_type=ConsultationType.VIDEO_CALL,
            status=AppointmentStatus.SCHEDULED, scheduled_at__lte=soon,
        )
        .exclude(video_call__room_closed_at__isnull=True, video_call__isnull=False)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)
    )
    created = 0
    client = JanusClient()
    for appointment_id in due:
        try:
            video_room_ensure(appointment_id=appointment_id, now=now, client=client)
        except errors.VideoUnavailable:
            logger.warning("video rooms: Janus unavailable, %d of %d left for the next run",
                           len(due) - created, len(due))
            break
        except errors.VideoError:
            continue  # changed since the query (cancelled, switched to phone)
        created += 1
    logger.info("video rooms prepared count=%d", created)
    return created


def video_rooms_close_due(*, now: datetime | None = None) -> int:
    """Destroy open rooms whose call is over, cancelled or no longer a video call.

    Over means past the join window's end plus VIDEO_CALL_GRACE_MINUTES: a consultation
    running over its slot is not cut off the moment joining closes.
    """
    now = now or timezone.now()
    candidates = (
        VideoCall.objects.filter(room_closed_at__isnull=True)
        .select_related("appointment")
        .order_by("pk")
    )
    closed = 0
    client = JanusClient()
    for call in candidates:
        appointment = call.appointment
        over = join_window(appointment).room_closes <= now
        moved = (appointment.consultation_type != ConsultationType.VIDEO_CALL
                 or appointment.status == AppointmentStatus.CANCELLED)
        if not (over or moved):
            continue
        try:
            closed += video_room_close(video_call_id=call.pk, now=now, client=client)
        except errors.VideoUnavailable:
            break
    logger.info("video rooms closed count=%d", closed)
    return closed


# --- Joining ----------------------------------------------------------------------------


def join_token_make(*, user: User, appointment_id: int) -> str:
    return signing.dumps({"a": appointment_id, "u": user.pk}, salt=JOIN_SIGNING_SALT)


def join_token_issue(
    *, actor: User, appointment: Appointment, now: datetime | None = None
) -> str:
    """A fresh join token, for a participant inside the join window (the page asks for
    one when "Join the call" is clicked, so waiting on the page does not expire it)."""
    if participant_role(actor, appointment) is None:
        raise Appointment.DoesNotExist
    check_may_join(appointment=appointment, now=now or timezone.now())
    return join_token_make(user=actor, appointment_id=appointment.pk)


def join_token_check(*, token: str, user: User, appointment_id: int) -> None:
    try:
        data = signing.loads(token, salt=JOIN_SIGNING_SALT,
                             max_age=settings.VIDEO_JOIN_TOKEN_SECONDS)
    except signing.BadSignature as exc:  # SignatureExpired is one
        raise errors.JoinTokenInvalid() from exc
    if not isinstance(data, dict) or data.get("a") != appointment_id or data.get("u") != user.pk:
        raise errors.JoinTokenInvalid()


def check_may_join(*, appointment: Appointment, now: datetime) -> None:
    """Raises the refusal to show when the call cannot be joined now."""
    _check_bookable_call(appointment, now)
    if now < join_window(appointment).opens:
        raise errors.TooEarly(
            errors.TooEarly.default_message % {"minutes": settings.VIDEO_JOIN_EARLY_MINUTES}
        )


@dataclass(frozen=True)
class JoinTicket:
    room: int
    pin: str
    display: str
    role: str
    grant: str


def video_join(
    *, actor: User, appointment: Appointment, token: str, now: datetime | None = None,
    client: JanusClient | None = None,
) -> JoinTicket:
    """What the call page needs to join the room: only for a participant, in the window."""
    now = now or timezone.now()
    role = participant_role(actor, appointment)
    if role is None:
        raise Appointment.DoesNotExist
    join_token_check(token=token, user=actor, appointment_id=appointment.pk)
    check_may_join(appointment=appointment, now=now)
    call = video_room_ensure(appointment_id=appointment.pk, now=now, client=client)
    logger.info("video join granted call=%s user=%s role=%s", call.pk, actor.pk, role)
    # Janus shows `display` to anyone who knows the room number (listparticipants needs no
    # pin), so it carries the role and the user id only; the page maps them to names.
    return JoinTicket(room=call.room_number, pin=room_pin(call.room_id),
                      display=participant_display(role, actor.pk), role=role,
                      grant=presence_grant_make(user=actor, call=call))


def participant_display(role: str, user_id: int) -> str:
    return f"{role}:{user_id}"


def presence_grant_make(*, user: User, call: VideoCall) -> str:
    """Proof that `user` was let into this room: the `joined` report must carry it."""
    return signing.dumps({"c": call.pk, "u": user.pk, "r": call.room_id},
                         salt=PRESENCE_SIGNING_SALT)


def presence_grant_check(*, grant: Any, user: User, call: VideoCall) -> None:
    if not isinstance(grant, str) or not grant:
        raise errors.NotInCall()
    try:
        data = signing.loads(grant, salt=PRESENCE_SIGNING_SALT, max_age=PRESENCE_GRANT_SECONDS)
    except signing.BadSignature as exc:
        raise errors.NotInCall() from exc
    if not isinstance(data, dict) or data != {"c": call.pk, "u": user.pk, "r": call.room_id}:
        raise errors.NotInCall()


# --- What the page reports --------------------------------------------------------------


def _rate_limit(actor: User, call: VideoCall, kind: str, now: datetime) -> None:
    """Stats are bounded by VIDEO_EVENTS_PER_MINUTE; joins and leaves by their own, larger
    VIDEO_PRESENCE_EVENTS_PER_MINUTE, which fails open while the cache is down so that
    presence is still recorded (stats then fail like any cache outage: a 503)."""
    presence = kind != "stats"
    limit = (settings.VIDEO_PRESENCE_EVENTS_PER_MINUTE if presence
             else settings.VIDEO_EVENTS_PER_MINUTE)
    bucket = "presence" if presence else "stats"
    room = salted_hmac("healthlink.video.events", call.room_id).hexdigest()[:16]
    key = f"video:events:{bucket}:{room}:{actor.pk}:{int(now.timestamp()) // 60}"
    try:
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            count = 1
    except RedisError:
        if not presence:
            raise
        logger.warning("video presence not rate limited (cache down) call=%s", call.pk)
        return
    if count > limit:
        raise errors.TooManyEvents()


def clean_stats(raw: Any) -> dict[str, float]:
    """The numbers a stats report may carry; BadEvent for anything else."""
    if not isinstance(raw, dict) or not raw or set(raw) - set(METRIC_LIMITS):
        raise errors.BadEvent()
    stats: dict[str, float] = {}
    for name, value in raw.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise errors.BadEvent()
        if not 0 <= value <= METRIC_LIMITS[name]:
            raise errors.BadEvent()
        stats[name] = round(float(value), 2)
    return stats


def _check_call_running(appointment: Appointment, now: datetime) -> None:
    """Joins and stats only for a scheduled video call, between the window's opening and
    the room's closing (the join window's end plus the grace time)."""
    if appointment.consultation_type != ConsultationType.VIDEO_CALL:
        raise errors.NotAVideoCall()
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise errors.CallNotScheduled()
    window = join_window(appointment)
    if now < window.opens:
        raise errors.TooEarly(
            errors.TooEarly.default_message % {"minutes": settings.VIDEO_JOIN_EARLY_MINUTES}
        )
    if now >= window.room_closes:
        raise errors.CallOver()


def video_event_record(
    *, actor: User, appointment_id: int, kind: str, stats: Any = None, grant: Any = None,
    now: datetime | None = None,
) -> VideoCall:
    """Record a join, a leave or a stats sample reported by the actor's call page.

    `joined` needs the presence grant that the join exchange handed out (recent, for this
    user and this room) and a call that is running; `stats` needs the actor to be present;
    `left` is always accepted and closes one of the actor's open entries (nothing to do
    when they have none). Appointment.DoesNotExist for a non-participant; errors.VideoError
    when the call is not open or the report is not valid or too frequent.
    """
    now = now or timezone.now()
    if kind not in EVENT_KINDS:
        raise errors.BadEvent()
    sample = clean_stats(stats) if kind == "stats" else {}
    with transaction.atomic():
        call = (
            VideoCall.objects.select_for_update(of=("self",)).select_related("appointment")
            .filter(appointment_id=appointment_id).first()
        )
        if call is None:
            raise errors.NoCallYet()
        role = participant_role(actor, call.appointment)
        if role is None:
            raise Appointment.DoesNotExist
        _rate_limit(actor, call, kind, now)
        entries = list(call.participants or [])
        if kind == "left":
            # Closing presence never depends on the window: the room closing did it already.
            if call.room_closed_at is None and _close_one(entries, actor.pk, now):
                _apply_timeline(call, entries, now)
                call.save(update_fields=["participants", "started_at", "ended_at",
                                         "duration_seconds"])
                logger.info("video left call=%s user=%s", call.pk, actor.pk)
            return call
        if call.room_closed_at is not None:
            raise errors.CallOver()
        _check_call_running(call.appointment, now)
        if kind == "stats":
            if not _open_entries(entries, actor.pk):
                raise errors.NotInCall()
            call.quality_metrics = _merge_stats(call.quality_metrics or {}, sample, now)
            call.save(update_fields=["quality_metrics"])
            return call
        presence_grant_check(grant=grant, user=actor, call=call)
        entries = _with_join(entries, actor.pk, role, now)
        _apply_timeline(call, entries, now)
        call.save(update_fields=["participants", "started_at", "ended_at", "duration_seconds"])
    logger.info("video joined call=%s user=%s", call.pk, actor.pk)
    return call


def _open_entries(entries: list[dict[str, Any]], user_id: int) -> list[dict[str, Any]]:
    return [entry for entry in entries
            if entry.get("user_id") == user_id and entry.get("left_at") is None]


def _close_one(entries: list[dict[str, Any]], user_id: int, now: datetime) -> bool:
    """Close the user's oldest open entry; they stay present while another is open (a
    second tab). False when they had none open."""
    mine = _open_entries(entries, user_id)
    if not mine:
        return False
    min(mine, key=lambda entry: _moment(entry.get("joined_at")))["left_at"] = now.isoformat()
    return True


def _with_join(
    entries: list[dict[str, Any]], user_id: int, role: str, now: datetime
) -> list[dict[str, Any]]:
    """A new open entry for the user; each open tab has one. Beyond
    MAX_OPEN_ENTRIES_PER_USER the oldest open one (a page whose leave was lost) is closed,
    and beyond MAX_ENTRIES_PER_USER the user's closed entries are merged."""
    stamp = now.isoformat()
    mine = _open_entries(entries, user_id)
    while len(mine) >= MAX_OPEN_ENTRIES_PER_USER:
        oldest = min(mine, key=lambda entry: _moment(entry.get("joined_at")))
        oldest["left_at"] = stamp
        mine.remove(oldest)
    entries.append({"user_id": user_id, "role": role, "joined_at": stamp, "left_at": None})
    return compact_entries(entries, user_id)


def compact_entries(entries: list[dict[str, Any]], user_id: int) -> list[dict[str, Any]]:
    """Merge the user's closed entries until they have at most MAX_ENTRIES_PER_USER.

    Each step merges the two consecutive closed entries with the shortest gap between them
    (overlaps first), so what is lost is the shortest absences, typically page reloads.
    """
    while sum(1 for entry in entries if entry.get("user_id") == user_id) > MAX_ENTRIES_PER_USER:
        closed = sorted(
            (entry for entry in entries
             if entry.get("user_id") == user_id and entry.get("left_at") is not None),
            key=lambda entry: _moment(entry.get("joined_at")),
        )
        if len(closed) < 2:
            break
        gaps = [
            (_moment(closed[i + 1]["joined_at"]) - _moment(closed[i]["left_at"]), i)
            for i in range(len(closed) - 1)
        ]
        _, index = min(gaps)
        first, second = closed[index], closed[index + 1]
        first["left_at"] = max(first["left_at"], second["left_at"],
                               key=lambda stamp: _moment(stamp))
        entries = [entry for entry in entries if entry is not second]
    return entries


def _moment(stamp: Any) -> datetime:
    moment = parse_datetime(str(stamp))
    if moment is None:
        raise ValueError("not a timestamp")
    return moment


def _merge_stats(
    summary: dict[str, Any], sample: dict[str, float], now: datetime
) -> dict[str, Any]:
    merged: dict[str, Any] = {"samples": int(summary.get("samples", 0)) + 1,
                              "last_at": now.isoformat()}
    for name in METRIC_LIMITS:
        old = summary.get(name)
        value = sample.get(name)
        if value is None:
            if old:
                merged[name] = old
            continue
        if not old:
            merged[name] = {"n": 1, "avg": value, "min": value, "max": value}
            continue
        count = int(old["n"]) + 1
        merged[name] = {
            "n": count,
            "avg": round(float(old["avg"]) + (value - float(old["avg"])) / count, 2),
            "min": min(float(old["min"]), value),
            "max": max(float(old["max"]), value),
        }
    return merged


@dataclass(frozen=True)
class Timeline:
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: int | None


def call_timeline(entries: list[dict[str, Any]], now: datetime) -> Timeline:
    """When two or more people were in the call together, from join/leave entries.

    The call starts the first time two different people are in it and ends the last time
    fewer than two remain (None while it goes on); the duration counts only the time two
    or more were present, so a gap where one waited alone is left out.
    """
    changes: list[tuple[datetime, int, int]] = []
    for entry in entries:
        joined = parse_datetime(str(entry.get("joined_at")))
        if joined is None:
            continue
        changes.append((joined, 1, int(entry["user_id"])))
        left = parse_datetime(str(entry["left_at"])) if entry.get("left_at") else None
        if left is not None:
            changes.append((left, -1, int(entry["user_id"])))
    changes.sort(key=lambda change: (change[0], change[1]))  # leaves before joins at a tie

    present: dict[int, int] = {}
    started = ended = together_since = None
    seconds = 0.0
    for moment, step, user_id in changes:
        before = sum(1 for count in present.values() if count > 0)
        present[user_id] = present.get(user_id, 0) + step
        after = sum(1 for count in present.values() if count > 0)
        if before < 2 <= after:
            together_since = moment
            started = started or moment
        elif after < 2 <= before and together_since is not None:
            seconds += (moment - together_since).total_seconds()
            ended, together_since = moment, None
    if started is None:
        return Timeline(None, None, None)
    if together_since is not None:  # still going
        seconds += max((now - together_since).total_seconds(), 0)
        ended = None
    return Timeline(started, ended, int(seconds))


def _apply_timeline(call: VideoCall, entries: list[dict[str, Any]], now: datetime) -> None:
    timeline = call_timeline(entries, now)
    call.participants = entries
    call.started_at = timeline.started_at
    call.ended_at = timeline.ended_at
    call.duration_seconds = timeline.duration_seconds


# --- Falling back to the phone ----------------------------------------------------------


def video_switch_to_phone(
    *, actor: User, appointment_id: int, now: datetime | None = None,
    client: JanusClient | None = None,
) -> Appointment:
    """Make a SCHEDULED video appointment a PHONE one, and tell the other people in it.

    Only when the video service is down (Janus is probed; VideoWorks while it answers):
    time, people, payment and everything else stay.
    The change is in the appointment's history; the room (if any) is destroyed by the
    close job once Janus answers again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "doctor", "staff")
            .get(pk=appointment_id)
        )
        if participant_role(actor, appointment) is None:
            raise Appointment.DoesNotExist
        _check_bookable_call(appointment, now)
        if (client or JanusClient()).is_available():
            raise errors.VideoWorks()

        appointment.consultation_type = ConsultationType.PHONE
        appointment.meeting_link = None
        appointment._history_user = actor  # type: ignore[attr-defined]
        appointment._change_reason = "switched to phone: video unavailable"  # type: ignore[attr-defined]
        appointment.save(update_fields=["consultation_type", "meeting_link", "updated_at"])
        _notify_switch(appointment, actor)
    logger.info("video switched to phone appointment=%s actor=%s", appointment.pk, actor.pk)
    return appointment


def _notify_switch(appointment: Appointment, actor: User) -> None:
    url = reverse("appointments:detail", args=[appointment.pk])
    people = [appointment.patient, appointment.doctor, appointment.staff]
    for person in people:
        if person is None or person.pk == actor.pk or not person.is_active:
            continue
        with in_language_of(person):
            if person.pk == appointment.patient_id:
                message = _("The video service is unavailable, so your appointment is now a "
                            "phone call at the same time. The doctor will call you.")
            else:
                message = _("The video service is unavailable, so this appointment is now a "
                            "phone call at the same time. Please call the patient.")
            notification_create(
                user=person, event=NotificationEvent.APPOINTMENT_RESCHEDULED,
                title=_("Appointment changed to a phone call"), message=message, action_url=url,
            )

