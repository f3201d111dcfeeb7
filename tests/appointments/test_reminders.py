"""Reminders 24 hours and 1 hour before an appointment: each exactly once, at the right time."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import reminders
from apps.appointments.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    ConsultationType,
    ReminderKind,
)
from apps.appointments.tasks import send_due_reminders
from apps.notifications.models import DeliveryStatus, Notification, NotificationEvent
from tests import factories

pytestmark = pytest.mark.django_db

H24 = ReminderKind.DAY_BEFORE
H1 = ReminderKind.HOUR_BEFORE
KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


@pytest.fixture
def start() -> datetime:
    return (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)


@pytest.fixture
def appointment(start: datetime) -> Appointment:
    return factories.AppointmentFactory(
        scheduled_at=start,
        patient=factories.PatientFactory(name="Ayesha Khan", time_zone="Asia/Karachi"),
        doctor=factories.DoctorFactory(name="Dr Bilal Ahmed", time_zone="Europe/London"),
        chief_complaint="Chest pain since Monday",
    )


def run_at(moment: datetime) -> reminders.ReminderRun:
    return reminders.reminders_send_due(now=moment)


def reminders_to(user: User) -> list[Notification]:
    return list(
        Notification.objects.filter(user=user, event=NotificationEvent.APPOINTMENT_REMINDER)
        .order_by("pk")
    )


def claims(appointment: Appointment) -> list[tuple[str, datetime, int | None]]:
    return list(
        AppointmentReminder.objects.filter(appointment=appointment)
        .order_by("pk")
        .values_list("kind", "scheduled_for", "notification_id")
    )


def test_nothing_is_sent_before_the_day_ahead(appointment: Appointment, start: datetime) -> None:
    run = run_at(start - timedelta(hours=24, minutes=1))

    assert run.sent == 0
    assert reminders_to(appointment.patient) == []
    assert claims(appointment) == []


def test_running_the_job_three_times_sends_each_kind_exactly_once(
    appointment: Appointment, start: datetime
) -> None:
    day_ahead = start - timedelta(hours=23, minutes=59)
    for moment in (day_ahead, day_ahead + timedelta(minutes=1), day_ahead + timedelta(hours=2)):
        run_at(moment)
    hour_ahead = start - timedelta(minutes=59)
    for moment in (hour_ahead, hour_ahead + timedelta(minutes=1),
                   hour_ahead + timedelta(minutes=30)):
        run_at(moment)

    patient_reminders = reminders_to(appointment.patient)
    assert [n.title for n in patient_reminders] == [
        "Reminder: your appointment is coming up",
        "Your appointment is in one hour",
    ]
    assert [n.title for n in reminders_to(appointment.doctor)] == ["Appointment in one hour"]
    assert claims(appointment) == [
        (H24, start, patient_reminders[0].pk),
        (H1, start, patient_reminders[1].pk),
    ]


def test_the_reminder_tells_the_time_in_the_readers_zone_and_not_the_complaint(
    appointment: Appointment, start: datetime
) -> None:
    run_at(start - timedelta(minutes=30))

    (patient_note,) = reminders_to(appointment.patient)
    (doctor_note,) = reminders_to(appointment.doctor)
    karachi = timezone.localtime(start, KARACHI)
    assert karachi.strftime("%H:%M") in patient_note.message
    assert "(Asia/Karachi)" in patient_note.message
    assert "Dr Bilal Ahmed" in patient_note.message
    assert "(Europe/London)" in doctor_note.message
    assert "Ayesha Khan" in doctor_note.message
    assert patient_note.action_url == f"/appointments/{appointment.pk}/"
    for note in (patient_note, doctor_note):
        assert "Chest pain" not in note.message
        assert "Chest pain" not in note.title


def test_an_in_person_reminder_names_the_facility(start: datetime) -> None:
    facility = factories.FacilityFactory(name="Shifa Clinic")
    appointment = factories.AppointmentFactory(
        scheduled_at=start, consultation_type=ConsultationType.IN_PERSON, facility=facility
    )

    run_at(start - timedelta(hours=20))

    (note,) = reminders_to(appointment.patient)
    assert "at Shifa Clinic" in note.message


def test_a_rescheduled_appointment_is_reminded_at_its_new_time(
    appointment: Appointment, start: datetime
) -> None:
    run_at(start - timedelta(hours=23))
    assert len(reminders_to(appointment.patient)) == 1
    new_start = start + timedelta(days=2, hours=3)
    Appointment.objects.filter(pk=appointment.pk).update(scheduled_at=new_start)

    run_at(start - timedelta(minutes=30))  # the old hour-ahead time: nothing is due any more
    assert len(reminders_to(appointment.patient)) == 1
    run_at(new_start - timedelta(hours=24, minutes=1))
    assert len(reminders_to(appointment.patient)) == 1
    run_at(new_start - timedelta(hours=23, minutes=59))
    run_at(new_start - timedelta(minutes=59))
    run_at(new_start - timedelta(minutes=58))

    assert [n.title for n in reminders_to(appointment.patient)] == [
        "Reminder: your appointment is coming up",
        "Reminder: your appointment is coming up",
        "Your appointment is in one hour",
    ]
    assert [(kind, when) for kind, when, _ in claims(appointment)] == [
        (H24, start), (H24, new_start), (H1, new_start),
    ]
    latest = reminders_to(appointment.patient)[-1]
    assert timezone.localtime(new_start, KARACHI).strftime("%H:%M") in latest.message


@pytest.mark.parametrize(
    "status", [AppointmentStatus.CANCELLED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW]
)
def test_an_appointment_no_longer_scheduled_gets_no_reminder(
    appointment: Appointment, start: datetime, status: str
) -> None:
    Appointment.objects.filter(pk=appointment.pk).update(status=status)

    run_at(start - timedelta(hours=23))
    run_at(start - timedelta(minutes=30))

    assert reminders_to(appointment.patient) == []
    assert claims(appointment) == []


def test_a_reminder_missed_while_workers_were_down_is_sent_when_they_return(
    appointment: Appointment, start: datetime
) -> None:
    # Due 24 h ahead; the first run after the outage is 18 h before the start.
    run = run_at(start - timedelta(hours=18))

    assert run.sent == 1
    assert [n.title for n in reminders_to(appointment.patient)] == [
        "Reminder: your appointment is coming up"
    ]


def test_an_appointment_that_has_started_gets_no_late_reminder(
    appointment: Appointment, start: datetime
) -> None:
    run = run_at(start + timedelta(minutes=1))
    run_at(start)

    assert run.sent == 0
    assert reminders_to(appointment.patient) == []
    assert claims(appointment) == []


def test_when_both_are_due_only_the_hour_reminder_is_sent(
    appointment: Appointment, start: datetime
) -> None:
    run = run_at(start - timedelta(minutes=40))
    run_at(start - timedelta(minutes=39))

    assert (run.sent, run.superseded) == (1, 1)
    (note,) = reminders_to(appointment.patient)
    assert note.title == "Your appointment is in one hour"
    assert claims(appointment) == [(H24, start, None), (H1, start, note.pk)]


def test_a_failure_while_notifying_leaves_no_claim_behind(
    appointment: Appointment, start: datetime
) -> None:
    with (
        mock.patch.object(reminders, "notification_create", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        run_at(start - timedelta(hours=20))

    assert claims(appointment) == []
    assert Notification.objects.count() == 0

    run_at(start - timedelta(hours=20))  # the next run, with a healthy worker, sends it
    assert len(reminders_to(appointment.patient)) == 1


def test_a_claim_made_elsewhere_is_respected(appointment: Appointment, start: datetime) -> None:
    AppointmentReminder.objects.create(appointment=appointment, kind=H24, scheduled_for=start)

    run = run_at(start - timedelta(hours=20))

    assert run.sent == 0
    assert reminders_to(appointment.patient) == []


def test_every_due_appointment_is_reached_across_batches(start: datetime) -> None:
    appointments = [
        factories.AppointmentFactory(scheduled_at=start + timedelta(minutes=30 * n))
        for n in range(7)
    ]

    run = reminders.reminders_send_due(now=start - timedelta(hours=20), batch_size=3)

    assert run.sent == 7
    assert run.batches == 3  # 3 + 3 + 1
    for appointment in appointments:
        assert len(reminders_to(appointment.patient)) == 1


def test_the_beat_task_reports_what_it_did(appointment: Appointment, start: datetime) -> None:
    with mock.patch.object(reminders.timezone, "now", return_value=start - timedelta(hours=2)):
        result = send_due_reminders.delay().get()

    assert result == {"sent": 1, "superseded": 0, "batches": 1}


def test_reminders_are_delivered_after_the_run_commits(
    appointment: Appointment, start: datetime, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run_at(start - timedelta(minutes=30))

    notes = reminders_to(appointment.patient) + reminders_to(appointment.doctor)
    assert {n.delivery_status for n in notes} == {DeliveryStatus.SENT}
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [appointment.patient.email, appointment.doctor.email]
    )


def test_an_appointment_booked_inside_the_day_gets_no_day_before_reminder() -> None:
    start = (timezone.now() + timedelta(hours=20)).replace(second=0, microsecond=0)
    fresh = factories.AppointmentFactory(scheduled_at=start)  # booked just now

    first = run_at(timezone.now())
    hour = run_at(start - timedelta(minutes=59))

    assert (first.sent, first.superseded) == (0, 1)
    assert hour.sent == 1
    assert len(reminders_to(fresh.patient)) == 1  # the hour-before one only
