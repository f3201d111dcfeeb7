"""What the call page reports: joins, leaves and statistics, recorded on the call."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.video import errors, services
from apps.video.janus import new_room_id
from apps.video.models import VideoCall

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(video_appointment: Appointment) -> VideoCall:
    # The row as video_room_ensure leaves it (room creation itself is tested in test_rooms).
    return VideoCall.objects.create(appointment=video_appointment, room_id=str(new_room_id()))


def _grant(user: User, call: VideoCall) -> str:
    return services.presence_grant_make(user=user, call=call)


def _report(user: User, appointment: Appointment, body: object) -> object:
    client = Client()
    client.force_login(user)
    return client.post(f"/video/{appointment.pk}/events/", json.dumps(body),
                       content_type="application/json")


def test_participants_and_duration_come_from_join_and_leave(
    call: VideoCall, video_appointment: Appointment
) -> None:
    t0 = video_appointment.scheduled_at
    doctor, patient = video_appointment.doctor, video_appointment.patient
    record = services.video_event_record

    record(actor=doctor, appointment_id=video_appointment.pk, kind="joined", now=t0,
           grant=_grant(doctor, call))
    record(actor=patient, appointment_id=video_appointment.pk, kind="joined",
           now=t0 + timedelta(minutes=2), grant=_grant(patient, call))
    record(actor=patient, appointment_id=video_appointment.pk, kind="left",
           now=t0 + timedelta(minutes=5))
    record(actor=patient, appointment_id=video_appointment.pk, kind="joined",
           now=t0 + timedelta(minutes=6), grant=_grant(patient, call))
    record(actor=doctor, appointment_id=video_appointment.pk, kind="left",
           now=t0 + timedelta(minutes=16))
    call.refresh_from_db()

    assert call.started_at == t0 + timedelta(minutes=2)
    assert call.ended_at == t0 + timedelta(minutes=16)
    assert call.duration_seconds == 13 * 60  # 3 + 10 minutes together
    assert [(p["user_id"], p["role"]) for p in call.participants or []] == [
        (doctor.pk, "DOCTOR"), (patient.pk, "PATIENT"), (patient.pk, "PATIENT"),
    ]
    assert (call.participants or [])[2]["left_at"] is None  # still there


def test_the_page_reports_through_the_endpoint(
    call: VideoCall, video_appointment: Appointment
) -> None:
    staff = video_appointment.staff
    assert staff is not None
    assert _report(staff, video_appointment,
                   {"kind": "joined", "grant": _grant(staff, call)}
                   ).status_code == 200  # type: ignore[attr-defined]
    response = _report(video_appointment.staff, video_appointment,  # type: ignore[arg-type]
                       {"kind": "stats", "stats": {"rtt_ms": 20, "bitrate_kbps": 500}})
    assert response.status_code == 200  # type: ignore[attr-defined]
    _report(video_appointment.staff, video_appointment,  # type: ignore[arg-type]
            {"kind": "stats", "stats": {"rtt_ms": 40, "packet_loss_pct": 1.5}})
    call.refresh_from_db()

    assert (call.participants or [])[0]["role"] == "STAFF"
    metrics = call.quality_metrics or {}
    assert metrics["samples"] == 2
    assert metrics["rtt_ms"] == {"n": 2, "avg": 30.0, "min": 20.0, "max": 40.0}
    assert metrics["packet_loss_pct"]["max"] == 1.5
    assert metrics["bitrate_kbps"]["n"] == 1


@pytest.mark.parametrize("body", [
    {"kind": "dance"},
    {"kind": "stats"},
    {"kind": "stats", "stats": {"rtt_ms": -1}},
    {"kind": "stats", "stats": {"rtt_ms": "fast"}},
    {"kind": "stats", "stats": {"jitter": 3}},
    {"kind": "stats", "stats": {"packet_loss_pct": 101}},
    ["joined"],
    {"kind": "stats", "stats": {"rtt_ms": 1}, "pad": "x" * 3000},
])
def test_bad_reports_are_400_with_a_reason(
    call: VideoCall, video_appointment: Appointment, body: object
) -> None:
    response = _report(video_appointment.patient, video_appointment, body)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["message"] == "This call report is not valid."  # type: ignore[attr-defined]
    call.refresh_from_db()
    assert call.quality_metrics is None and call.participants is None


def test_reports_are_rate_bounded(
    call: VideoCall, video_appointment: Appointment, settings: object
) -> None:
    settings.VIDEO_EVENTS_PER_MINUTE = 3  # type: ignore[attr-defined]
    patient = video_appointment.patient
    assert _report(patient, video_appointment, {"kind": "joined", "grant": _grant(patient, call)}
                   ).status_code == 200  # type: ignore[attr-defined]
    codes = [
        _report(video_appointment.patient, video_appointment,
                {"kind": "stats", "stats": {"rtt_ms": 10}}).status_code  # type: ignore[attr-defined]
        for _ in range(5)
    ]

    assert codes == [200, 200, 200, 429, 429]


def test_no_reports_after_the_room_closed(call: VideoCall, video_appointment: Appointment) -> None:
    VideoCall.objects.filter(pk=call.pk).update(room_closed_at=video_appointment.ends_at)

    with pytest.raises(errors.CallOver):
        services.video_event_record(actor=video_appointment.patient,
                                    appointment_id=video_appointment.pk, kind="joined")


def test_timeline_of_someone_alone_has_no_call() -> None:
    t0 = datetime.fromisoformat("2026-12-04T10:00:00+00:00")
    alone = [{"user_id": 1, "role": "DOCTOR", "joined_at": t0.isoformat(),
              "left_at": (t0 + timedelta(minutes=9)).isoformat()}]

    assert services.call_timeline(alone, t0 + timedelta(minutes=10)) == services.Timeline(
        None, None, None
    )


def test_timeline_still_going_has_no_end() -> None:
    t0 = datetime.fromisoformat("2026-12-04T10:00:00+00:00")
    entries = [
        {"user_id": 1, "role": "DOCTOR", "joined_at": t0.isoformat(), "left_at": None},
        {"user_id": 2, "role": "PATIENT", "joined_at": (t0 + timedelta(minutes=1)).isoformat(),
         "left_at": None},
    ]

    timeline = services.call_timeline(entries, t0 + timedelta(minutes=4))

    assert timeline.started_at == t0 + timedelta(minutes=1)
    assert timeline.ended_at is None
    assert timeline.duration_seconds == 180
