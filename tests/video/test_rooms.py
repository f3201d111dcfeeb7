"""Rooms on the real Janus: created before the call (beat or first join), destroyed after."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from pytest_django.fixtures import Settings

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType
from apps.video import errors, services, tasks
from apps.video.janus import JanusClient, JanusRequestFailed, JanusUnavailable
from apps.video.models import VideoCall
from tests import factories
from tests.video.conftest import room_closes, starts_in

pytestmark = pytest.mark.django_db


def test_room_is_created_on_janus_and_destroyed_after_the_call(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    call = services.video_room_ensure(appointment_id=video_appointment.pk)

    assert janus.room_exists(call.room_number)
    video_appointment.refresh_from_db()
    assert video_appointment.meeting_link == f"/video/{video_appointment.pk}/"
    assert services.room_pin(call.room_id) not in video_appointment.meeting_link
    assert services.video_room_ensure(appointment_id=video_appointment.pk).pk == call.pk

    assert services.video_rooms_close_due(now=room_closes(video_appointment)) == 1

    assert not janus.room_exists(call.room_number)
    call.refresh_from_db()
    assert call.room_closed_at == room_closes(video_appointment)
    assert services.video_rooms_close_due(now=room_closes(video_appointment)) == 0


def test_the_room_is_private_and_needs_the_pin(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    call = services.video_room_ensure(appointment_id=video_appointment.pk)
    listed = janus._request({"request": "list"}).get("list") or []

    assert call.room_number not in [room["room"] for room in listed]
    with pytest.raises(JanusRequestFailed, match="videoroom error"):
        janus.room_destroy(room=call.room_number, secret="wrong")
    janus.room_destroy(room=call.room_number, secret=services.room_secret(call.room_id))


def test_beat_creates_rooms_only_for_video_calls_starting_soon(
    janus: JanusClient, patient: User, doctor: User
) -> None:
    soon = factories.AppointmentFactory(patient=patient, doctor=doctor, scheduled_at=starts_in(10))
    later = factories.AppointmentFactory(doctor=doctor, scheduled_at=starts_in(120))
    phone = factories.AppointmentFactory(
        scheduled_at=starts_in(5), consultation_type=ConsultationType.PHONE,
    )

    assert tasks.prepare_rooms() == 1
    assert tasks.prepare_rooms() == 0

    call = VideoCall.objects.get()
    assert call.appointment_id == soon.pk
    assert janus.room_exists(call.room_number)
    assert not VideoCall.objects.filter(appointment__in=[later, phone]).exists()
    janus.room_destroy(room=call.room_number, secret=services.room_secret(call.room_id))


def test_a_cancelled_calls_room_is_destroyed_at_once(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    call = services.video_room_ensure(appointment_id=video_appointment.pk)
    Appointment.objects.filter(pk=video_appointment.pk).update(status="CANCELLED")

    assert tasks.close_rooms() == 1
    assert not janus.room_exists(call.room_number)


def test_janus_unreachable_is_a_typed_error_and_nothing_is_stored(
    janus_down: str, video_appointment: Appointment
) -> None:
    with pytest.raises(JanusUnavailable):
        JanusClient().info()
    with pytest.raises(errors.VideoUnavailable):
        services.video_room_ensure(appointment_id=video_appointment.pk)

    assert not VideoCall.objects.exists()
    assert services.video_rooms_prepare(now=video_appointment.scheduled_at) == 0


def test_no_room_for_a_call_that_is_over(janus: JanusClient, patient: User) -> None:
    past = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(-60))

    with pytest.raises(errors.CallOver):
        services.video_room_ensure(appointment_id=past.pk, now=timezone.now())
    with pytest.raises(errors.CallOver):
        services.video_room_ensure(
            appointment_id=past.pk, now=past.ends_at + timedelta(seconds=1)
        )


def test_recording_only_when_enabled(
    janus: JanusClient, video_appointment: Appointment, settings: Settings, tmp_path: Path
) -> None:
    call = services.video_room_ensure(appointment_id=video_appointment.pk)
    services.video_rooms_close_due(now=room_closes(video_appointment))
    call.refresh_from_db()
    assert call.recording_url is None

    settings.VIDEO_RECORDING_ENABLED = True
    settings.VIDEO_RECORDING_DIR = str(tmp_path)
    later = factories.AppointmentFactory(scheduled_at=starts_in(-1))
    recorded = services.video_room_ensure(appointment_id=later.pk)
    assert janus.room_exists(recorded.room_number)
    services.video_rooms_close_due(now=room_closes(later))
    recorded.refresh_from_db()

    assert recorded.recording_url == f"{tmp_path}/{recorded.room_id}"
    assert not janus.room_exists(recorded.room_number)


def test_a_room_janus_refuses_to_destroy_does_not_stop_the_others(
    janus: JanusClient, patient: User, doctor: User, settings: Settings,
) -> None:
    first, second = (
        factories.AppointmentFactory(
            patient=patient, doctor=doctor, scheduled_at=starts_in(-5 + 40 * n),
            consultation_type=ConsultationType.VIDEO_CALL,
        )
        for n in range(2)
    )
    stuck = services.video_room_ensure(appointment_id=first.pk)
    original_key = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-" + original_key  # the first room's secret stops matching
    fine = services.video_room_ensure(appointment_id=second.pk)

    try:
        closed = services.video_rooms_close_due(now=room_closes(second))
        stuck.refresh_from_db()
        fine.refresh_from_db()

        assert closed == 1
        assert stuck.room_closed_at is None and janus.room_exists(stuck.room_number)
        assert fine.room_closed_at is not None and not janus.room_exists(fine.room_number)
    finally:
        settings.SECRET_KEY = original_key
        services.video_room_close(video_call_id=stuck.pk)


def test_a_room_janus_no_longer_has_is_closed_here_too(
    janus: JanusClient, video_appointment: Appointment,
) -> None:
    call = services.video_room_ensure(appointment_id=video_appointment.pk)
    janus.room_destroy(room=call.room_number, secret=services.room_secret(call.room_id))

    assert services.video_rooms_close_due(now=room_closes(video_appointment)) == 1

    call.refresh_from_db()
    assert call.room_closed_at is not None
