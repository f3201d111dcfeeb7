"""A real Celery worker, through the Redis broker, delivers a committed notification."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.db import transaction

from apps.notifications.models import Channel, DeliveryStatus, Notification, NotificationEvent
from apps.notifications.services import notification_create
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


def wait_for_status(notification_id: int, status: str, timeout: float = 30) -> Notification:
    deadline = time.monotonic() + timeout
    while True:
        notification = Notification.objects.get(pk=notification_id)
        if notification.delivery_status == status or time.monotonic() > deadline:
            return notification
        time.sleep(0.1)


def test_a_notification_created_in_a_committed_transaction_is_delivered_by_a_worker(
    real_worker: None,
) -> None:
    patient = factories.PatientFactory()

    with transaction.atomic():
        notification = notification_create(
            user=patient, event=NotificationEvent.GENERAL, title="Worker test",
            message="Delivered by a real worker.", action_url="/notifications/",
            channels=[Channel.EMAIL, Channel.PUSH],
        )
        # Not queued yet: the task goes to the broker only once this block commits.
        time.sleep(0.5)
        assert Notification.objects.get(pk=notification.pk).delivery_status == "PENDING"

    delivered = wait_for_status(notification.pk, DeliveryStatus.SENT)

    assert delivered.delivery_status == DeliveryStatus.SENT
    assert delivered.delivery_attempts == 1
    assert delivered.sent_at is not None
    assert [message.subject for message in mail.outbox] == ["Worker test"]



def test_a_worker_retries_a_failing_channel_then_marks_it_failed(
    real_worker: None, settings, recorder
) -> None:
    settings.NOTIFICATION_PUSH_BACKEND = "tests.notifications.backends.RecordingPushBackend"
    settings.NOTIFICATION_RETRY_BACKOFF_SECONDS = 0
    settings.NOTIFICATION_MAX_DELIVERY_ATTEMPTS = 3
    recorder.failures_left = 100
    patient = factories.PatientFactory()

    with transaction.atomic():
        notification = notification_create(
            user=patient, event=NotificationEvent.GENERAL, title="Flaky",
            message="Never arrives.", channels=[Channel.PUSH],
        )

    failed = wait_for_status(notification.pk, DeliveryStatus.FAILED)

    assert failed.delivery_status == DeliveryStatus.FAILED
    assert failed.delivery_attempts == 3
    assert failed.last_delivery_error == "ProviderDown"
    assert recorder.calls == 3
