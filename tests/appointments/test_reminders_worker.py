"""Beat's reminder task on a real Celery worker: the reminder is claimed, stored and sent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.utils import timezone

from apps.appointments.models import AppointmentReminder, ReminderKind
from apps.appointments.tasks import send_due_reminders
from apps.notifications.models import DeliveryStatus, Notification
from healthlink.celery import app
from tests import factories

pytestmark = pytest.mark.slow


@pytest.fixture
def real_worker(transactional_db: None) -> Iterator[None]:
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def test_the_reminder_task_on_a_worker_sends_a_due_reminder_once(real_worker: None) -> None:
    start = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)
    # Booked two days ago, so its 24-hour reminder is due (a fresh booking would skip it).
    appointment = factories.AppointmentFactory(
        scheduled_at=start, created_at=timezone.now() - timedelta(days=2)
    )

    first = send_due_reminders.delay().get(timeout=30)
    second = send_due_reminders.delay().get(timeout=30)

    assert first == {"sent": 1, "superseded": 0, "batches": 1}
    assert second == {"sent": 0, "superseded": 0, "batches": 0}
    claim = AppointmentReminder.objects.get(appointment=appointment)
    assert (claim.kind, claim.scheduled_for) == (ReminderKind.DAY_BEFORE, start)
    assert claim.notification_id is not None
    notification_id = claim.notification_id
    deadline = time.monotonic() + 30
    while Notification.objects.get(pk=notification_id).delivery_status != "SENT":
        assert time.monotonic() < deadline, "reminder not delivered"
        time.sleep(0.1)
    assert Notification.objects.get(pk=notification_id).delivery_status == DeliveryStatus.SENT
    assert [message.to for message in mail.outbox] == [[appointment.patient.email]]
