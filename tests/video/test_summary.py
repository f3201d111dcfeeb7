"""The doctor's appointment page after a call: the summary, and COMPLETED from there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.video.models import VideoCall

pytestmark = pytest.mark.django_db


@pytest.fixture
def finished_call(video_appointment: Appointment) -> VideoCall:
    t0 = video_appointment.scheduled_at
    stamp = lambda minutes: (t0 + timedelta(minutes=minutes)).isoformat()  # noqa: E731
    return VideoCall.objects.create(
        appointment=video_appointment, room_id="777",
        started_at=t0 + timedelta(minutes=1), ended_at=t0 + timedelta(minutes=13),
        duration_seconds=12 * 60,
        participants=[
            {"user_id": video_appointment.doctor_id, "role": "DOCTOR",
             "joined_at": stamp(0), "left_at": stamp(13)},
            {"user_id": video_appointment.patient_id, "role": "PATIENT",
             "joined_at": stamp(1), "left_at": stamp(13)},
        ],
        quality_metrics={"samples": 3, "rtt_ms": {"n": 3, "avg": 42.0, "min": 30, "max": 61}},
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_doctor_sees_the_summary_and_completes_from_it(
    finished_call: VideoCall, video_appointment: Appointment,
    django_assert_max_num_queries: object,
) -> None:
    doctor = _client(video_appointment.doctor)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        html = doctor.get(f"/appointments/{video_appointment.pk}/").content.decode()

    assert 'id="call-summary"' in html
    assert "12 minutes" in html
    assert "round trip 42.0 ms on average (61 at worst)" in html
    assert html.count('data-role="DOCTOR"') == 1 and html.count('data-role="PATIENT"') == 1
    assert "Mark completed" in html

    doctor.post(f"/appointments/{video_appointment.pk}/complete/")

    video_appointment.refresh_from_db()
    assert video_appointment.status == AppointmentStatus.COMPLETED
    after = doctor.get(f"/appointments/{video_appointment.pk}/").content.decode()
    assert 'id="call-summary"' in after
    assert "Mark completed" not in after


def test_only_the_doctor_sees_the_summary(
    finished_call: VideoCall, video_appointment: Appointment
) -> None:
    for user in (video_appointment.patient, video_appointment.staff):
        html = _client(user).get(f"/appointments/{video_appointment.pk}/").content.decode()  # type: ignore[arg-type]
        assert 'id="call-summary"' not in html
        assert "Open the video call" in html


def test_no_summary_before_anyone_joined(video_appointment: Appointment) -> None:
    html = _client(video_appointment.doctor).get(
        f"/appointments/{video_appointment.pk}/"
    ).content.decode()

    assert 'id="call-summary"' not in html
    assert f'href="/video/{video_appointment.pk}/"' in html
