"""Booking notifications: one task after the commit, idempotent, never lost to the broker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import services, tasks
from apps.appointments.models import ConsultationType
from apps.appointments.services import appointment_book
from apps.notifications.models import Notification, NotificationEvent
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def working_doctor(doctor: User) -> None:
    factories.available_all_week(doctor)


@pytest.fixture
def slot() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def booked_notes() -> list[tuple[int, str]]:
    return sorted(
        Notification.objects.filter(event=NotificationEvent.APPOINTMENT_BOOKED)
        .values_list("user_id", "title")
    )


def test_running_the_booked_task_again_writes_no_second_notification(
    patient: User, doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(patient=patient, doctor=doctor, scheduled_at=slot,
                                       consultation_type=ConsultationType.VIDEO_CALL)
    first = booked_notes()

    assert tasks.appointment_booked_notify(appointment.pk) == 0
    assert tasks.appointment_booked_notify(appointment.pk, "en") == 0

    assert first == sorted([(patient.pk, "Appointment booked"), (doctor.pk, "New appointment")])
    assert booked_notes() == first


def test_the_task_writes_only_the_missing_notification(
    patient: User, doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(patient=patient, doctor=doctor, scheduled_at=slot,
                                       consultation_type=ConsultationType.VIDEO_CALL)
    Notification.objects.filter(user=doctor).delete()

    assert tasks.appointment_booked_notify(appointment.pk) == 1

    assert [user for user, _ in booked_notes()] == sorted([patient.pk, doctor.pk])


def test_the_notifications_are_written_inline_when_the_broker_is_down(
    patient: User, doctor: User, slot: datetime, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def broker_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.appointment_booked_notify, "delay", broker_down)

    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(patient=patient, doctor=doctor, scheduled_at=slot,
                         consultation_type=ConsultationType.VIDEO_CALL)

    assert [user for user, _ in booked_notes()] == sorted([patient.pk, doctor.pk])


def test_a_task_for_a_vanished_appointment_writes_nothing() -> None:
    assert services.appointment_booked_notifications_create(appointment_id=987654) == 0
    assert not Notification.objects.exists()


def test_a_booking_without_a_waitlist_entry_sends_no_waitlist_update(
    patient: User, doctor: User, slot: datetime,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    # The test's transaction makes the booking's block a savepoint (2 statements); then the
    # patient's lock, one read of everything the rules need, and one statement that writes
    # the row and its history row.
    with django_assert_num_queries(5) as captured:
        appointment_book(patient=patient, doctor=doctor, scheduled_at=slot,
                         consultation_type=ConsultationType.VIDEO_CALL)

    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]
