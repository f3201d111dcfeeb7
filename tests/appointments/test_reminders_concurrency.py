"""Overlapping reminder runs: the unique claim, not timing, keeps every reminder single."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.appointments import reminders
from apps.appointments.models import Appointment, AppointmentReminder, ReminderKind
from apps.notifications.models import Notification
from tests import factories
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

T = TypeVar("T")




@pytest.fixture
def start() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)


def test_eight_overlapping_runs_send_each_reminder_once(start: datetime) -> None:
    doctor = factories.DoctorFactory()
    appointments = [
        factories.AppointmentFactory(
            doctor=doctor, scheduled_at=start + timedelta(minutes=5 * n), duration_minutes=5
        )
        for n in range(40)
    ]
    now = start - timedelta(hours=20)

    def run() -> reminders.ReminderRun:
        return reminders.reminders_send_due(now=now, batch_size=5)

    results = race([run for _ in range(8)])

    runs = [r for r in results if isinstance(r, reminders.ReminderRun)]
    assert len(runs) == 8, results
    assert sum(r.sent for r in runs) == 40, runs
    assert AppointmentReminder.objects.count() == 40
    for appointment in appointments:
        assert Notification.objects.filter(user=appointment.patient).count() == 1


def test_two_transactions_claiming_the_same_reminder_leave_one_winner(start: datetime) -> None:
    appointment = factories.AppointmentFactory(scheduled_at=start)
    wanted = [(appointment.pk, ReminderKind.DAY_BEFORE, start)]

    def claim() -> int:
        with transaction.atomic():
            won = reminders._claim(wanted)
            time.sleep(0.3)  # the loser's INSERT waits here for the winner to commit
        return len(won)

    results = race([claim for _ in range(4)])

    assert sorted(results) == [0, 0, 0, 1]  # type: ignore[type-var]
    assert AppointmentReminder.objects.count() == 1


def test_a_run_skips_an_appointment_locked_elsewhere_instead_of_waiting(start: datetime) -> None:
    locked_one = factories.AppointmentFactory(scheduled_at=start)
    free_one = factories.AppointmentFactory(scheduled_at=start + timedelta(hours=1))
    now = start - timedelta(hours=20)
    holding = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Appointment.objects.select_for_update().get(pk=locked_one.pk)
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert holding.wait(timeout=30)
        began = time.monotonic()
        first = reminders.reminders_send_due(now=now)
        elapsed = time.monotonic() - began
    finally:
        release.set()
        holder.join(timeout=30)

    assert elapsed < 5
    assert first.sent == 1
    assert Notification.objects.filter(user=free_one.patient).count() == 1
    assert Notification.objects.filter(user=locked_one.patient).count() == 0

    second = reminders.reminders_send_due(now=now + timedelta(minutes=1))

    assert second.sent == 1
    assert Notification.objects.filter(user=locked_one.patient).count() == 1
