"""Who counts as present: joins need a grant from the join exchange and a running call,
leaves always close presence, rejoins are never refused, and Redis being down loses none."""

from __future__ import annotations

import json
import socket
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from pytest_django.fixtures import Settings
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.video import errors, services
from apps.video.janus import JanusClient, new_room_id
from apps.video.models import VideoCall
from apps.video.selectors import join_window
from tests.video.conftest import room_closes

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(video_appointment: Appointment) -> VideoCall:
    return VideoCall.objects.create(appointment=video_appointment, room_id=str(new_room_id()))


def _grant(user: User, call: VideoCall) -> str:
    return services.presence_grant_make(user=user, call=call)


def _client(user: User, **kwargs: object) -> Client:
    client = Client(**kwargs)  # type: ignore[arg-type]
    client.force_login(user)
    return client


def _report(user: User, appointment: Appointment, body: object) -> object:
    return _client(user).post(f"/video/{appointment.pk}/events/", json.dumps(body),
                              content_type="application/json")


def _open(call: VideoCall, user: User) -> list[dict[str, object]]:
    call.refresh_from_db()
    return [entry for entry in call.participants or []
            if entry["user_id"] == user.pk and entry["left_at"] is None]


# --- joined needs a grant -------------------------------------------------------------


def test_joined_without_a_grant_is_refused(call: VideoCall, video_appointment: Appointment) -> None:
    patient, doctor = video_appointment.patient, video_appointment.doctor
    old_room = VideoCall(pk=call.pk, appointment=video_appointment, room_id="12345")
    forged = signing.dumps({"c": call.pk, "u": patient.pk, "r": call.room_id}, salt="other")
    for grant in (None, "", "nonsense", _grant(doctor, call), _grant(patient, old_room), forged):
        response = _report(patient, video_appointment, {"kind": "joined", "grant": grant})
        assert response.status_code == 403  # type: ignore[attr-defined]
        assert response.json()["message"] == "You are not in this call. Join it first."  # type: ignore[attr-defined]

    call.refresh_from_db()
    assert call.participants is None


def test_the_join_exchange_hands_out_the_grant_the_report_needs(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    patient = _client(video_appointment.patient)
    token = patient.post(f"/video/{video_appointment.pk}/token/").json()["token"]
    ticket = patient.post(f"/video/{video_appointment.pk}/join/", json.dumps({"token": token}),
                          content_type="application/json").json()

    response = patient.post(f"/video/{video_appointment.pk}/events/",
                            json.dumps({"kind": "joined", "grant": ticket["grant"]}),
                            content_type="application/json")

    assert response.status_code == 200
    call = VideoCall.objects.get(appointment=video_appointment)
    assert _open(call, video_appointment.patient)
    services.video_rooms_close_due(now=room_closes(video_appointment))


def test_stats_only_from_someone_present(call: VideoCall, video_appointment: Appointment) -> None:
    response = _report(video_appointment.patient, video_appointment,
                       {"kind": "stats", "stats": {"rtt_ms": 10}})

    assert response.status_code == 403  # type: ignore[attr-defined]
    call.refresh_from_db()
    assert call.quality_metrics is None


# --- only while the call can run ------------------------------------------------------


def test_no_joins_or_stats_on_a_completed_appointment_but_leaves_still_close(
    call: VideoCall, video_appointment: Appointment
) -> None:
    patient = video_appointment.patient
    services.video_event_record(actor=patient, appointment_id=video_appointment.pk,
                                kind="joined", grant=_grant(patient, call))
    Appointment.objects.filter(pk=video_appointment.pk).update(status=AppointmentStatus.COMPLETED)
    doctor = video_appointment.doctor

    joined = _report(doctor, video_appointment, {"kind": "joined", "grant": _grant(doctor, call)})
    stats = _report(patient, video_appointment, {"kind": "stats", "stats": {"rtt_ms": 5}})
    left = _report(patient, video_appointment, {"kind": "left"})

    assert joined.status_code == 409  # type: ignore[attr-defined]
    assert "no longer scheduled" in joined.json()["message"]  # type: ignore[attr-defined]
    assert stats.status_code == 409  # type: ignore[attr-defined]
    assert left.status_code == 200  # type: ignore[attr-defined]
    call.refresh_from_db()
    assert [entry["user_id"] for entry in call.participants or []] == [patient.pk]
    assert not _open(call, patient)


def test_no_joins_outside_the_time_the_call_may_run(
    call: VideoCall, video_appointment: Appointment
) -> None:
    patient = video_appointment.patient
    window = join_window(video_appointment)
    grant = _grant(patient, call)

    with pytest.raises(errors.TooEarly):
        services.video_event_record(actor=patient, appointment_id=video_appointment.pk,
                                    kind="joined", grant=grant,
                                    now=window.opens - timedelta(seconds=1))
    with pytest.raises(errors.CallOver):
        services.video_event_record(actor=patient, appointment_id=video_appointment.pk,
                                    kind="joined", grant=grant, now=window.room_closes)
    call.refresh_from_db()
    assert call.participants is None


def test_a_left_from_someone_not_present_changes_nothing(
    call: VideoCall, video_appointment: Appointment
) -> None:
    response = _report(video_appointment.doctor, video_appointment, {"kind": "left"})

    assert response.status_code == 200  # type: ignore[attr-defined]
    call.refresh_from_db()
    assert call.participants is None


def test_reports_before_a_room_exists_say_so(video_appointment: Appointment) -> None:
    response = _report(video_appointment.patient, video_appointment, {"kind": "left"})

    assert response.status_code == 409  # type: ignore[attr-defined]
    assert response.json()["message"] == "Nobody has joined this video call yet."  # type: ignore[attr-defined]


# --- tabs, rejoins and compaction -----------------------------------------------------


def test_two_tabs_leave_presence_open_until_the_last_closes(
    call: VideoCall, video_appointment: Appointment
) -> None:
    t0 = video_appointment.scheduled_at
    patient, doctor = video_appointment.patient, video_appointment.doctor
    record = services.video_event_record
    record(actor=doctor, appointment_id=video_appointment.pk, kind="joined",
           grant=_grant(doctor, call), now=t0)
    for minute in (1, 2):  # two tabs
        record(actor=patient, appointment_id=video_appointment.pk, kind="joined",
               grant=_grant(patient, call), now=t0 + timedelta(minutes=minute))

    record(actor=patient, appointment_id=video_appointment.pk, kind="left",
           now=t0 + timedelta(minutes=3))
    call.refresh_from_db()
    assert len(_open(call, patient)) == 1
    assert call.started_at == t0 + timedelta(minutes=1) and call.ended_at is None

    record(actor=patient, appointment_id=video_appointment.pk, kind="left",
           now=t0 + timedelta(minutes=10))
    call.refresh_from_db()
    assert not _open(call, patient)
    assert call.ended_at == t0 + timedelta(minutes=10)
    assert call.duration_seconds == 9 * 60


def test_rejoins_are_never_refused_and_entries_are_compacted(
    call: VideoCall, video_appointment: Appointment
) -> None:
    t0 = video_appointment.scheduled_at
    patient = video_appointment.patient
    record = services.video_event_record
    for cycle in range(60):
        moment = t0 + timedelta(seconds=20 * cycle)
        record(actor=patient, appointment_id=video_appointment.pk, kind="joined",
               grant=_grant(patient, call), now=moment)
        record(actor=patient, appointment_id=video_appointment.pk, kind="left",
               now=moment + timedelta(seconds=10 + (cycle % 3)))
    record(actor=patient, appointment_id=video_appointment.pk, kind="joined",
           grant=_grant(patient, call), now=t0 + timedelta(minutes=25))

    call.refresh_from_db()
    entries = call.participants or []
    assert len(entries) == services.MAX_ENTRIES_PER_USER
    assert entries[0]["joined_at"] == t0.isoformat()
    assert entries[-1]["left_at"] is None  # the rejoin went through
    assert max(entry["left_at"] for entry in entries[:-1]) == (
        t0 + timedelta(seconds=20 * 59 + 10 + 59 % 3)
    ).isoformat()


def test_compaction_merges_the_shortest_gap_first() -> None:
    def entry(start: int, end: int) -> dict[str, object]:
        return {"user_id": 7, "role": "PATIENT", "joined_at": f"2026-12-04T10:{start:02d}:00+00:00",
                "left_at": f"2026-12-04T10:{end:02d}:00+00:00"}

    entries = [entry(0, 5), entry(9, 10), entry(11, 20), *[entry(21 + 3 * i, 22 + 3 * i)
                                                          for i in range(8)]]
    compacted = services.compact_entries(entries, 7)

    assert len(compacted) == services.MAX_ENTRIES_PER_USER
    assert entry(9, 20) in compacted  # the 1-minute gap 10..11 went first (others are 2)
    assert entry(0, 5) in compacted


# --- rate limits and Redis ------------------------------------------------------------


def test_joins_and_leaves_do_not_count_against_the_stats_limit(
    call: VideoCall, video_appointment: Appointment, settings: Settings
) -> None:
    settings.VIDEO_EVENTS_PER_MINUTE = 1
    patient = video_appointment.patient
    grant = _grant(patient, call)
    bodies = [{"kind": "joined", "grant": grant}, {"kind": "stats", "stats": {"rtt_ms": 9}},
              {"kind": "left"}, {"kind": "joined", "grant": grant},
              {"kind": "stats", "stats": {"rtt_ms": 9}}]

    codes = [_report(patient, video_appointment, body).status_code  # type: ignore[attr-defined]
             for body in bodies]

    assert codes == [200, 200, 200, 200, 429]


def test_presence_has_its_own_limit(
    call: VideoCall, video_appointment: Appointment, settings: Settings
) -> None:
    settings.VIDEO_PRESENCE_EVENTS_PER_MINUTE = 2
    codes = [_report(video_appointment.doctor, video_appointment, {"kind": "left"}
                     ).status_code for _ in range(3)]  # type: ignore[attr-defined]

    assert codes == [200, 200, 429]


def test_with_redis_down_joins_and_leaves_are_still_recorded(
    call: VideoCall, video_appointment: Appointment, settings: Settings
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    with pytest.raises(RedisConnectionError):
        cache.add("probe", 1)
    patient = video_appointment.patient

    joined = _report(patient, video_appointment,
                     {"kind": "joined", "grant": _grant(patient, call)})
    assert joined.status_code == 200  # type: ignore[attr-defined]
    assert _open(call, patient)
    stats = _report(patient, video_appointment, {"kind": "stats", "stats": {"rtt_ms": 9}})
    left = _report(patient, video_appointment, {"kind": "left"})

    assert stats.status_code == 503  # type: ignore[attr-defined]
    assert left.status_code == 200  # type: ignore[attr-defined]
    assert not _open(call, patient)


def test_a_left_sent_as_a_beacon_is_recorded(
    janus: JanusClient, call: VideoCall, video_appointment: Appointment
) -> None:
    patient = video_appointment.patient
    services.video_event_record(actor=patient, appointment_id=video_appointment.pk,
                                kind="joined", grant=_grant(patient, call))
    client = _client(patient, enforce_csrf_checks=True)
    page = client.get(f"/video/{video_appointment.pk}/").content.decode()
    marker = 'data-csrf="'
    start = page.index(marker) + len(marker)
    csrf = page[start:page.index('"', start)]

    # What navigator.sendBeacon(url, URLSearchParams) sends: a form, no CSRF header.
    response = client.post(
        f"/video/{video_appointment.pk}/events/",
        urlencode({"csrfmiddlewaretoken": csrf, "kind": "left"}),
        content_type="application/x-www-form-urlencoded;charset=UTF-8",
    )

    assert response.status_code == 200
    assert not _open(call, patient)
    without_token = client.post(f"/video/{video_appointment.pk}/events/",
                                urlencode({"kind": "left"}),
                                content_type="application/x-www-form-urlencoded")
    assert without_token.status_code == 403
