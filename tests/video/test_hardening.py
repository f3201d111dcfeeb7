"""Hostile bodies, fresh join tokens, the grace time after the slot, the phone switch only
with Janus down, and no names or room numbers where they do not belong."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core import checks
from django.test import Client
from pytest_django.fixtures import Settings

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType
from apps.notifications.models import Notification
from apps.video import errors, services
from apps.video.checks import check_janus_admin_key
from apps.video.janus import JanusClient, new_room_id
from apps.video.models import VideoCall
from apps.video.selectors import join_window
from apps.video.views import json_depth
from tests import factories
from tests.video.conftest import room_closes, starts_in

pytestmark = pytest.mark.django_db

REPORT_INVALID = "This call report is not valid."
JOIN_INVALID = "This join request is not valid. Reload the page to join again."


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _post(client: Client, url: str, body: str | bytes) -> object:
    return client.post(url, body, content_type="application/json")


# --- 1. bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["[" * 1000, "[" * 2000, '{"a":' * 400, "[" * 5 + "]" * 5])
def test_deeply_nested_bodies_are_400_not_500(video_appointment: Appointment, body: str) -> None:
    VideoCall.objects.create(appointment=video_appointment, room_id=str(new_room_id()))
    client = _client(video_appointment.patient)

    events = _post(client, f"/video/{video_appointment.pk}/events/", body)
    join = _post(client, f"/video/{video_appointment.pk}/join/", body)

    assert events.status_code == 400  # type: ignore[attr-defined]
    assert events.json()["message"] == REPORT_INVALID  # type: ignore[attr-defined]
    assert join.status_code == 400  # type: ignore[attr-defined]
    assert join.json()["message"] == JOIN_INVALID  # type: ignore[attr-defined]


@pytest.mark.parametrize("body", ['{"token": "' + "x" * 3000 + '"}', "not json", "[1]",
                                  b"\xff\xfe"])
def test_a_bad_join_body_says_join_not_report(video_appointment: Appointment,
                                              body: str | bytes) -> None:
    response = _post(_client(video_appointment.doctor), f"/video/{video_appointment.pk}/join/",
                     body)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert response.json()["message"] == JOIN_INVALID  # type: ignore[attr-defined]


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth(b'{"kind": "[[[[[[{{{{\\"["}') == 1
    assert json_depth(b'{"stats": {"rtt_ms": [1]}}') == 3
    assert json_depth(b"[" * 50) == 50


# --- 4. a fresh token on Join ---------------------------------------------------------


def test_a_fresh_token_works_after_the_pages_token_expired(
    janus: JanusClient, video_appointment: Appointment, settings: Settings
) -> None:
    client = _client(video_appointment.patient)
    client.get(f"/video/{video_appointment.pk}/")
    settings.VIDEO_JOIN_TOKEN_SECONDS = 5
    stale = services.join_token_make(user=video_appointment.patient,
                                     appointment_id=video_appointment.pk)
    settings.VIDEO_JOIN_TOKEN_SECONDS = -1  # everything issued so far has expired
    assert _post(client, f"/video/{video_appointment.pk}/join/",
                 json.dumps({"token": stale})).status_code == 403  # type: ignore[attr-defined]
    settings.VIDEO_JOIN_TOKEN_SECONDS = 5

    fresh = client.post(f"/video/{video_appointment.pk}/token/")
    join = _post(client, f"/video/{video_appointment.pk}/join/",
                 json.dumps({"token": fresh.json()["token"]}))

    assert fresh.status_code == 200
    assert join.status_code == 200  # type: ignore[attr-defined]
    services.video_rooms_close_due(now=room_closes(video_appointment))


def test_fresh_tokens_only_for_participants_in_the_window(
    video_appointment: Appointment, other_patient: User, patient: User
) -> None:
    assert _client(other_patient).post(f"/video/{video_appointment.pk}/token/").status_code == 404
    assert _client(patient).get(f"/video/{video_appointment.pk}/token/").status_code == 405
    early = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(30))

    response = _client(patient).post(f"/video/{early.pk}/token/")

    assert response.status_code == 409
    assert "10 minutes before the start" in response.json()["message"]


# --- 3. grace after the slot ----------------------------------------------------------


def test_the_room_outlives_the_join_window_by_the_grace_time(
    janus: JanusClient, video_appointment: Appointment, settings: Settings
) -> None:
    settings.VIDEO_CALL_GRACE_MINUTES = 15
    call = services.video_room_ensure(appointment_id=video_appointment.pk)
    window = join_window(video_appointment)
    assert window.room_closes == window.closes + timedelta(minutes=15)

    assert services.video_rooms_close_due(now=window.closes) == 0
    assert janus.room_exists(call.room_number)
    with pytest.raises(errors.CallOver):  # joining still closes with the window
        services.check_may_join(appointment=video_appointment, now=window.closes)
    patient = video_appointment.patient
    services.video_event_record(  # a call under way goes on
        actor=patient, appointment_id=video_appointment.pk, kind="joined",
        grant=services.presence_grant_make(user=patient, call=call),
        now=window.closes + timedelta(minutes=1),
    )

    assert services.video_rooms_close_due(now=window.room_closes) == 1
    assert not janus.room_exists(call.room_number)


# --- 5. phone only when Janus is down -------------------------------------------------


def test_the_phone_switch_is_refused_while_janus_answers(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    client = _client(video_appointment.patient)

    response = client.post(f"/video/{video_appointment.pk}/phone/", follow=True)

    html = response.content.decode()
    assert "The video service is working, so this appointment stays a video call" in html
    video_appointment.refresh_from_db()
    assert video_appointment.consultation_type == ConsultationType.VIDEO_CALL
    assert not Notification.objects.exists()


def test_a_refused_switch_says_why_once(video_appointment: Appointment) -> None:
    Appointment.objects.filter(pk=video_appointment.pk).update(
        consultation_type=ConsultationType.PHONE
    )

    response = _client(video_appointment.doctor).post(f"/video/{video_appointment.pk}/phone/",
                                                      follow=True)

    assert response.content.decode().count("This appointment is not a video consultation.") == 1


# --- 6. no names in Janus, no room numbers in logs, the admin key ---------------------


def test_janus_sees_role_and_id_only_and_logs_carry_no_room_number(
    janus: JanusClient, video_appointment: Appointment, caplog: pytest.LogCaptureFixture
) -> None:
    patient = video_appointment.patient
    caplog.set_level(logging.DEBUG, logger="apps.video")
    token = services.join_token_make(user=patient, appointment_id=video_appointment.pk)

    ticket = services.video_join(actor=patient, appointment=video_appointment, token=token)
    services.video_rooms_close_due(now=room_closes(video_appointment))

    assert ticket.display == f"PATIENT:{patient.pk}"
    assert patient.display_name not in ticket.display
    call = VideoCall.objects.get(appointment=video_appointment)
    messages = [record.getMessage() for record in caplog.records]
    assert any(f"call={call.pk}" in message for message in messages)
    assert not [message for message in messages if call.room_id in message]


def test_the_page_maps_janus_labels_to_names(
    janus: JanusClient, video_appointment: Appointment
) -> None:
    html = _client(video_appointment.doctor).get(f"/video/{video_appointment.pk}/").content.decode()

    start = html.index('<script id="call-people" type="application/json">')
    people = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    assert people["PATIENT"] == {"id": video_appointment.patient.pk,
                                 "name": video_appointment.patient.display_name}
    assert people["DOCTOR"]["id"] == video_appointment.doctor.pk


def test_production_without_a_janus_admin_key_is_warned(settings: Settings) -> None:
    settings.DEBUG = False
    settings.TESTING = False
    settings.JANUS_ADMIN_KEY = ""

    warnings = check_janus_admin_key()
    assert [warning.id for warning in warnings] == ["video.W001"]
    assert warnings[0].level == checks.WARNING
    assert "video.W001" in [message.id for message in checks.run_checks()]

    settings.JANUS_ADMIN_KEY = "a-long-random-key"
    assert check_janus_admin_key() == []
    settings.DEBUG = True
    settings.JANUS_ADMIN_KEY = ""
    assert check_janus_admin_key() == []
