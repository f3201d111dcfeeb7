"""Who may join the call, when, and what happens when Janus is down."""

from __future__ import annotations

import json
import zoneinfo
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType
from apps.notifications.models import Notification
from apps.video import services
from apps.video.janus import JanusClient
from apps.video.models import VideoCall
from tests import factories
from tests.video.conftest import room_closes, starts_in

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _join(client: Client, appointment: Appointment, token: str) -> object:
    return client.post(f"/video/{appointment.pk}/join/", json.dumps({"token": token}),
                       content_type="application/json")


def _token(page_html: str) -> str:
    marker = 'data-token="'
    start = page_html.index(marker) + len(marker)
    return page_html[start:page_html.index('"', start)]


@pytest.mark.parametrize("who", ["patient", "doctor", "staff"])
def test_each_participant_joins_with_their_token(
    janus: JanusClient, video_appointment: Appointment, who: str,
    django_assert_max_num_queries: object,
) -> None:
    user = getattr(video_appointment, who)
    client = _client(user)
    with django_assert_max_num_queries(8):  # type: ignore[operator]
        page = client.get(f"/video/{video_appointment.pk}/")
    html = page.content.decode()

    response = _join(client, video_appointment, _token(html))

    assert response.status_code == 200  # type: ignore[attr-defined]
    ticket = response.json()  # type: ignore[attr-defined]
    call = VideoCall.objects.get(appointment=video_appointment)
    assert ticket["room"] == call.room_number
    assert ticket["pin"] == services.room_pin(call.room_id)
    assert ticket["role"] == who.upper()
    assert services.room_pin(call.room_id) not in html
    assert services.room_secret(call.room_id) not in json.dumps(ticket)
    services.video_rooms_close_due(now=room_closes(video_appointment))


def test_outsiders_get_404_everywhere(
    janus: JanusClient, video_appointment: Appointment, other_patient: User, other_doctor: User
) -> None:
    colleague = factories.StaffFactory(facility=video_appointment.facility)  # not the participant
    token = services.join_token_make(user=video_appointment.patient,
                                     appointment_id=video_appointment.pk)
    for outsider in (other_patient, other_doctor, colleague):
        client = _client(outsider)
        assert client.get(f"/video/{video_appointment.pk}/").status_code == 404
        assert _join(client, video_appointment, token).status_code == 404  # type: ignore[attr-defined]
        assert client.post(f"/video/{video_appointment.pk}/events/", '{"kind": "joined"}',
                           content_type="application/json").status_code == 404
        assert client.post(f"/video/{video_appointment.pk}/phone/").status_code == 404
    assert not VideoCall.objects.exists()


def test_a_token_works_only_for_its_user_and_appointment_and_expires(
    janus: JanusClient, video_appointment: Appointment, settings: object
) -> None:
    doctor = _client(video_appointment.doctor)
    patients_token = services.join_token_make(user=video_appointment.patient,
                                              appointment_id=video_appointment.pk)
    other = factories.AppointmentFactory(doctor=video_appointment.doctor,
                                         scheduled_at=starts_in(60))
    other_token = services.join_token_make(user=video_appointment.doctor, appointment_id=other.pk)

    for token in (patients_token, other_token, "forged"):
        response = _join(doctor, video_appointment, token)
        assert response.status_code == 403  # type: ignore[attr-defined]
        assert "expired" in response.json()["message"]  # type: ignore[attr-defined]

    old = signing.dumps({"a": video_appointment.pk, "u": video_appointment.doctor.pk},
                        salt=services.JOIN_SIGNING_SALT)
    settings.VIDEO_JOIN_TOKEN_SECONDS = 0  # type: ignore[attr-defined]
    assert _join(doctor, video_appointment, old).status_code == 403  # type: ignore[attr-defined]
    assert not VideoCall.objects.exists()


def test_too_early_and_too_late_are_refused_with_a_message(
    janus: JanusClient, patient: User
) -> None:
    early = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(11))
    over = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(-31))
    client = _client(patient)

    page = client.get(f"/video/{early.pk}/").content.decode()
    assert "opens 10 minutes before the start" in page
    assert "data-token" not in page
    token = services.join_token_make(user=patient, appointment_id=early.pk)
    response = _join(client, early, token)
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "10 minutes before" in response.json()["message"]  # type: ignore[attr-defined]

    page = client.get(f"/video/{over.pk}/").content.decode()
    assert "The time for this video call has passed." in page
    token = services.join_token_make(user=patient, appointment_id=over.pk)
    assert _join(client, over, token).status_code == 409  # type: ignore[attr-defined]
    assert not VideoCall.objects.exists()


def test_the_page_names_the_join_window_with_its_dates(patient: User) -> None:
    later = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(3 * 24 * 60))
    phone = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(4 * 24 * 60),
                                         consultation_type=ConsultationType.PHONE)
    client = _client(patient)
    opens = timezone.localtime(later.scheduled_at - timedelta(minutes=10),
                               timezone=zoneinfo.ZoneInfo(patient.time_zone))

    page = client.get(f"/video/{later.pk}/").content.decode()
    assert f"You can join from {opens:%-d %B %Y, %H:%M} until" in page

    assert 'id="join-window"' not in client.get(f"/video/{phone.pk}/").content.decode()


def test_the_window_opens_ten_minutes_before(janus: JanusClient, patient: User) -> None:
    soon = factories.AppointmentFactory(patient=patient, scheduled_at=starts_in(9))
    client = _client(patient)
    token = _token(client.get(f"/video/{soon.pk}/").content.decode())

    assert _join(client, soon, token).status_code == 200  # type: ignore[attr-defined]
    services.video_rooms_close_due(now=room_closes(soon))


def test_janus_down_says_so_and_offers_the_phone(
    janus_down: str, video_appointment: Appointment
) -> None:
    patient = _client(video_appointment.patient)

    page = patient.get(f"/video/{video_appointment.pk}/").content.decode()

    assert "The video service is unavailable" in page
    assert "Switch to a phone call" in page
    token = services.join_token_make(user=video_appointment.patient,
                                     appointment_id=video_appointment.pk)
    response = _join(patient, video_appointment, token)
    assert response.status_code == 503  # type: ignore[attr-defined]
    assert "unavailable" in response.json()["message"]  # type: ignore[attr-defined]

    response = patient.post(f"/video/{video_appointment.pk}/phone/", follow=True)

    assert "now a phone call" in response.content.decode()
    video_appointment.refresh_from_db()
    assert video_appointment.consultation_type == ConsultationType.PHONE
    assert video_appointment.scheduled_at < timezone.now() + timedelta(minutes=1)  # kept
    latest = video_appointment.history.first()
    assert latest is not None and latest.history_user_id == video_appointment.patient.pk
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert told == {video_appointment.doctor.pk, video_appointment.staff_id}


def test_phone_switch_is_refused_once_switched(video_appointment: Appointment) -> None:
    Appointment.objects.filter(pk=video_appointment.pk).update(
        consultation_type=ConsultationType.PHONE
    )
    client = _client(video_appointment.doctor)

    response = client.post(f"/video/{video_appointment.pk}/phone/", follow=True)

    assert "not a video consultation" in response.content.decode()
    assert not Notification.objects.exists()
