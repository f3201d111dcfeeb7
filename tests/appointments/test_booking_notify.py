"""Booking notifications through the outbox: written after the commit, once, never lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import services, tasks
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    BookingNotice,
    ConsultationType,
)
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


def book(patient: User, doctor: User, when: datetime) -> Appointment:
    return appointment_book(patient=patient, doctor=doctor, scheduled_at=when,
                            consultation_type=ConsultationType.VIDEO_CALL)


def test_a_booking_leaves_a_notice_and_writes_no_notification_itself(
    patient: User, doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        appointment = book(patient, doctor, slot)

    assert callbacks == []  # nothing is queued on the broker by the request
    assert not Notification.objects.exists()
    notice = BookingNotice.objects.get()
    assert notice.appointment_id == appointment.pk
    assert notice.created_at == appointment.created_at


def test_the_job_writes_both_notifications_and_clears_the_notice(
    patient: User, doctor: User, slot: datetime,
) -> None:
    appointment = book(patient, doctor, slot)

    assert tasks.send_booking_notices() == 1

    assert booked_notes() == sorted([(patient.pk, "Appointment booked"),
                                     (doctor.pk, "New appointment")])
    urls = set(Notification.objects.values_list("action_url", flat=True))
    assert urls == {f"/appointments/{appointment.pk}/"}
    assert not BookingNotice.objects.exists()


def test_running_the_job_three_times_writes_each_notification_once(
    patient: User, doctor: User, slot: datetime,
) -> None:
    book(patient, doctor, slot)

    assert [tasks.send_booking_notices() for _ in range(3)] == [1, 0, 0]

    assert len(booked_notes()) == 2


def test_a_run_killed_midway_leaves_the_unsent_notices_for_the_next_one(
    patient: User, doctor: User, slot: datetime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = book(patient, doctor, slot)
    second = book(factories.PatientFactory(), doctor, slot + timedelta(hours=1))
    real = services.notification_create
    calls: list[int] = []

    def dies_on_the_third(**kwargs: Any) -> Notification:
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(services, "notification_create", dies_on_the_third)
    with pytest.raises(SystemExit):
        services.booking_notices_send()

    # The first booking's two committed with its notice gone; the second's rolled back.
    assert set(Notification.objects.values_list("action_url", flat=True)) == {
        f"/appointments/{first.pk}/"}
    assert list(BookingNotice.objects.values_list("appointment_id", flat=True)) == [second.pk]
    monkeypatch.setattr(services, "notification_create", real)

    assert services.booking_notices_send() == 1
    assert len(booked_notes()) == 4


def test_a_backlog_is_worked_off_over_runs(doctor: User, slot: datetime) -> None:
    for hour in range(5):
        book(factories.PatientFactory(), doctor, slot + timedelta(hours=hour))

    assert services.booking_notices_send(limit=3) == 3
    assert BookingNotice.objects.count() == 2
    assert services.booking_notices_send(limit=3) == 2

    assert len(booked_notes()) == 10
    assert not BookingNotice.objects.exists()


def test_the_notifications_are_in_each_recipient_s_language_and_zone(
    doctor: User, slot: datetime,
) -> None:
    patient = factories.PatientFactory(language="ur", time_zone="Asia/Karachi")
    doctor.language, doctor.time_zone = "en", "America/New_York"
    doctor.save(update_fields=["language", "time_zone"])
    book(patient, doctor, slot)

    services.booking_notices_send()

    to_patient = Notification.objects.get(user=patient)
    to_doctor = Notification.objects.get(user=doctor)
    assert to_patient.title != "Appointment booked"  # Urdu
    assert "(Asia/Karachi)" in to_patient.message
    assert to_doctor.title == "New appointment"
    assert "(America/New_York)" in to_doctor.message
    assert patient.name not in to_doctor.message


def test_a_notice_for_a_vanished_appointment_is_dropped_without_notifications() -> None:
    BookingNotice.objects.create(appointment_id=987654, created_at=timezone.now())

    assert services.booking_notices_send() == 1

    assert not Notification.objects.exists()
    assert not BookingNotice.objects.exists()


def test_an_old_release_s_task_writes_only_the_missing_notification(
    patient: User, doctor: User, slot: datetime,
) -> None:
    appointment = book(patient, doctor, slot)
    services.booking_notices_send()
    Notification.objects.filter(user=doctor).delete()

    tasks.appointment_booked_notify(appointment.pk)
    tasks.appointment_booked_notify(appointment.pk, "en")

    assert [user for user, _ in booked_notes()] == sorted([patient.pk, doctor.pk])
    assert not BookingNotice.objects.exists()


def test_a_booking_cancelled_before_the_job_runs_gets_no_booked_notification(
    patient: User, doctor: User, slot: datetime,
) -> None:
    appointment = book(patient, doctor, slot)
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CANCELLED)

    assert services.booking_notices_send() == 1

    assert booked_notes() == []
    assert not BookingNotice.objects.exists()


def test_a_closed_account_gets_no_booked_notification(
    patient: User, doctor: User, slot: datetime,
) -> None:
    book(patient, doctor, slot)
    User.all_objects.filter(pk=patient.pk).update(deleted_at=timezone.now())

    services.booking_notices_send()

    assert booked_notes() == [(doctor.pk, "New appointment")]


def test_a_booking_without_a_waitlist_entry_sends_no_waitlist_update(
    patient: User, doctor: User, slot: datetime,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    # The test's transaction makes the booking's write a savepoint (2 statements); then one
    # read of everything the rules need, and one statement that writes the row, its history
    # row and its notice.
    with django_assert_num_queries(4) as captured:
        book(patient, doctor, slot)

    assert not [q for q in captured.captured_queries if q["sql"].startswith("UPDATE")]


@pytest.mark.django_db(transaction=True)
def test_overlapping_runs_share_the_notices_and_write_each_notification_once(
    doctor: User, slot: datetime,
) -> None:
    for hour in range(6):
        book(factories.PatientFactory(), doctor, slot + timedelta(hours=hour))
    counts: list[int] = []
    start = threading.Barrier(3)

    def run() -> None:
        try:
            start.wait()
            counts.append(services.booking_notices_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sum(counts) == 6
    assert len(booked_notes()) == 12
    assert not BookingNotice.objects.exists()
    with transaction.atomic():
        assert services.booking_notices_send() == 0


def job_in_a_thread() -> tuple[threading.Thread, list[int]]:
    """The notices job in a thread of its own (not started), and where its count will be."""
    sent: list[int] = []

    def run() -> None:
        try:
            sent.append(services.booking_notices_send())
        finally:
            connection.close()

    return threading.Thread(target=run), sent


@pytest.mark.django_db(transaction=True)
def test_the_job_does_not_wait_for_a_change_holding_the_appointment_s_row(
    patient: User, doctor: User, slot: datetime,
) -> None:
    # A cancel or reschedule locks the patient's row, then the appointment's. A job that
    # locked the appointment too, then needed the patient's row for the notification's
    # foreign key, could deadlock with it; this one reads the appointment without a lock.
    appointment = book(patient, doctor, slot)
    job, sent = job_in_a_thread()
    with transaction.atomic():
        list(Appointment.objects.select_for_update().filter(pk=appointment.pk))
        job.start()
        job.join(10)
        assert not job.is_alive(), "the job waited for the appointment's lock"
    assert sent == [1]
    assert len(booked_notes()) == 2


@pytest.mark.django_db(transaction=True)
def test_a_cancel_in_progress_is_waited_for_and_no_booked_notification_follows_it(
    patient: User, doctor: User, slot: datetime,
) -> None:
    appointment = book(patient, doctor, slot)
    job, sent = job_in_a_thread()
    with transaction.atomic():  # a cancel: the patient's row, then the appointment
        list(User.objects.select_for_update().filter(pk=patient.pk))
        Appointment.objects.filter(pk=appointment.pk).update(
            status=AppointmentStatus.CANCELLED)
        job.start()
        job.join(1.0)
        assert job.is_alive(), "the job did not wait for the cancel"
    job.join(10)

    assert sent == [1]
    assert booked_notes() == []
