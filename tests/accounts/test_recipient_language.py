"""Notifications are written in their recipient's language, whoever caused them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from apps.accounts.models import User
from apps.appointments import lifecycle, reminders
from apps.appointments.models import ConsultationType
from apps.appointments.services import appointment_book, booking_notices_send
from apps.core.i18n import language_code_or_default
from apps.notifications.models import Notification, NotificationEvent
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test fixture


def in_urdu(text: str) -> str:
    with translation.override("ur"):
        translated = translation.gettext(text)
    assert translated != text, f"no Urdu for {text!r}"
    return translated


def titles(user: User, event: str) -> list[str]:
    return list(Notification.objects.filter(user=user, event=event)
                .order_by("pk").values_list("title", flat=True))


@pytest.fixture
def slot() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def urdu_patient() -> User:
    return factories.PatientFactory(language="ur")


@pytest.fixture
def english_doctor() -> User:
    doctor = factories.DoctorFactory(language="en")
    factories.available_all_week(doctor)
    return doctor


def test_a_booking_made_in_urdu_tells_the_doctor_in_english(
    urdu_patient: User, english_doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with translation.override("ur"), django_capture_on_commit_callbacks(execute=True):
        appointment_book(patient=urdu_patient, doctor=english_doctor, scheduled_at=slot,
                         consultation_type=ConsultationType.VIDEO_CALL)
        booking_notices_send()  # the outbox job, here in the booker's language too

    assert titles(urdu_patient, NotificationEvent.APPOINTMENT_BOOKED) == [
        in_urdu("Appointment booked")]
    assert titles(english_doctor, NotificationEvent.APPOINTMENT_BOOKED) == ["New appointment"]
    doctor_message = Notification.objects.get(user=english_doctor).message
    assert doctor_message.startswith("A patient booked an appointment with you on ")


def test_an_english_doctor_cancelling_tells_an_urdu_patient_in_urdu(
    urdu_patient: User, english_doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    appointment = factories.AppointmentFactory(patient=urdu_patient, doctor=english_doctor,
                                               scheduled_at=slot)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        lifecycle.appointment_cancel(actor=english_doctor, appointment_id=appointment.pk,
                                     reason="Called away to theatre")

    assert titles(urdu_patient, NotificationEvent.APPOINTMENT_CANCELLED) == [
        in_urdu("Appointment cancelled")]
    assert titles(english_doctor, NotificationEvent.APPOINTMENT_CANCELLED) == [
        "Appointment cancelled"]


def test_reminders_are_written_in_each_readers_language(
    urdu_patient: User, english_doctor: User,
) -> None:
    start = (timezone.now() + timedelta(hours=3)).replace(second=0, microsecond=0)
    factories.AppointmentFactory(patient=urdu_patient, doctor=english_doctor, scheduled_at=start)

    reminders.reminders_send_due(now=start - timedelta(minutes=50))

    assert titles(urdu_patient, NotificationEvent.APPOINTMENT_REMINDER) == [
        in_urdu("Your appointment is in one hour")]
    assert titles(english_doctor, NotificationEvent.APPOINTMENT_REMINDER) == [
        "Appointment in one hour"]


def test_the_language_switcher_saves_a_signed_in_users_choice(client: Client) -> None:
    user = factories.PatientFactory(language="en")
    client.force_login(user)

    response = client.post(reverse("set_language"), {"language": "ur", "next": "/"})

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "ur"


def test_an_unknown_language_is_not_saved(client: Client) -> None:
    user = factories.PatientFactory(language="en")
    client.force_login(user)

    client.post(reverse("set_language"), {"language": "xx", "next": "/"})

    user.refresh_from_db()
    assert user.language == "en"


def test_the_switcher_still_works_signed_out(client: Client) -> None:
    response = client.post(reverse("set_language"), {"language": "ur", "next": "/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ur"


def test_a_saved_language_follows_the_user_to_a_new_browser(client: Client) -> None:
    client.force_login(factories.PatientFactory(language="ur"))

    html = client.get(reverse("accounts:profile")).content.decode()

    assert '<html lang="ur" dir="rtl">' in html


def test_the_browsers_own_choice_wins_over_the_saved_one(client: Client) -> None:
    client.force_login(factories.PatientFactory(language="ur"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = client.get(reverse("accounts:profile")).content.decode()

    assert '<html lang="en" dir="ltr">' in html


def test_registering_in_urdu_saves_urdu(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    client.post(reverse("accounts:register"), {
        "name": "Sana Iqbal", "email": "sana.lang@test.healthlink.pk",
        "password1": PASSWORD, "password2": PASSWORD, "date_of_birth": "1990-04-12",
        "gender": "FEMALE", "phone": "0300 1234567", "cnic": "35202-7654321-1",
    })

    assert User.objects.get(email="sana.lang@test.healthlink.pk").language == "ur"


@pytest.mark.parametrize(("given", "expected"), [
    ("ur", "ur"), ("en", "en"), ("en-gb", "en"), ("UR-pk", "ur"), ("xx", "en"), (None, "en"),
    ("", "en"),
])
def test_language_codes_fall_back_to_the_default(given: str | None, expected: str) -> None:
    assert language_code_or_default(given) == expected


def test_without_a_saved_choice_the_browsers_language_stands(client: Client) -> None:
    client.force_login(factories.PatientFactory(language=None))

    html = client.get(reverse("accounts:profile"), headers={"Accept-Language": "ur"})

    assert '<html lang="ur" dir="rtl">' in html.content.decode()


def test_without_a_saved_choice_notifications_use_the_default(
    english_doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    patient = factories.PatientFactory(language=None)
    with translation.override("ur"), django_capture_on_commit_callbacks(execute=True):
        appointment_book(patient=patient, doctor=english_doctor, scheduled_at=slot,
                         consultation_type=ConsultationType.VIDEO_CALL)
        booking_notices_send()  # the outbox job, here in the booker's language too

    assert titles(patient, NotificationEvent.APPOINTMENT_BOOKED) == ["Appointment booked"]
