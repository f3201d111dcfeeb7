"""Celery tasks for notification delivery: thin wrappers around apps.notifications.delivery."""

from __future__ import annotations

import logging
import time

from celery import Task, shared_task

from apps.notifications import delivery

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="notifications.deliver", acks_late=True, max_retries=None)
def deliver_notification(self: Task, notification_id: int) -> str:
    """Send one notification; idempotent, so a duplicate or redelivered message is harmless.

    The attempt count lives in the row, not in Celery: a FAILED row is never retried, however
    the message got here.
    """
    result = delivery.notification_deliver(notification_id=notification_id)
    if result.retry_in is not None:
        raise self.retry(countdown=result.retry_in)
    return result.status


@shared_task(name="notifications.requeue_stuck")
def requeue_stuck_notifications() -> int:
    """Queue delivery again for notifications left PENDING with no task behind them."""
    started = time.monotonic()
    ids = delivery.stuck_notification_ids()
    for notification_id in ids:
        deliver_notification.delay(notification_id)
    logger.info("requeued stuck notifications count=%s duration_ms=%d", len(ids),
                (time.monotonic() - started) * 1000)
    return len(ids)
