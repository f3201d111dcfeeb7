"""The beat job that re-queues notifications left PENDING with no task behind them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications import delivery
from apps.notifications.models import Channel, DeliveryStatus
from apps.notifications.tasks import requeue_stuck_notifications

pytestmark = pytest.mark.django_db

SCHEDULE = {
    "NOTIFICATION_STUCK_AFTER_MINUTES": 10,
    "NOTIFICATION_RETRY_BACKOFF_SECONDS": 60,
    "NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS": 3600,
    "NOTIFICATION_MAX_DELIVERY_ATTEMPTS": 5,
    "NOTIFICATION_REQUEUE_MAX_AGE_HOURS": 48,
}


def _ago(**kwargs: float) -> object:
    return timezone.now() - timedelta(**kwargs)


@override_settings(**SCHEDULE)
def test_a_notification_never_attempted_for_longer_than_the_grace_period_is_delivered(
    patient: User, make_notification
) -> None:
    stuck = make_notification(patient, created_at=_ago(minutes=11),
                              delivery_channels=[Channel.EMAIL])

    requeued = requeue_stuck_notifications.delay().get()

    assert requeued == 1
    stuck.refresh_from_db()
    assert stuck.delivery_status == DeliveryStatus.SENT
    assert len(mail.outbox) == 1


@override_settings(**SCHEDULE)
def test_which_pending_notifications_count_as_stuck(patient: User, make_notification) -> None:
    fresh = make_notification(patient, created_at=_ago(minutes=5))
    stuck = make_notification(patient, created_at=_ago(minutes=11))
    # Two failed attempts: the next one is due 60 s + 120 s after creation, plus the grace.
    retrying = make_notification(patient, created_at=_ago(minutes=12), delivery_attempts=2)
    overdue_retry = make_notification(patient, created_at=_ago(minutes=14),
                                      delivery_attempts=2)
    make_notification(patient, created_at=_ago(hours=3), delivery_status=DeliveryStatus.SENT)
    make_notification(patient, created_at=_ago(hours=3), delivery_status=DeliveryStatus.FAILED,
                      delivery_attempts=5)
    make_notification(patient, created_at=_ago(hours=49))

    ids = delivery.stuck_notification_ids()

    assert ids == [overdue_retry.pk, stuck.pk]
    assert fresh.pk not in ids
    assert retrying.pk not in ids


@override_settings(**SCHEDULE)
def test_requeueing_a_notification_that_was_sent_meanwhile_sends_nothing(
    patient: User, make_notification
) -> None:
    stuck = make_notification(patient, created_at=_ago(minutes=11),
                              delivery_channels=[Channel.EMAIL])
    delivery.notification_deliver(notification_id=stuck.pk)
    assert len(mail.outbox) == 1

    assert requeue_stuck_notifications.delay().get() == 0
    assert len(mail.outbox) == 1
