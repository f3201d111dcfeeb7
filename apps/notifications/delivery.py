"""Delivering a notification on its channels: PENDING → SENT, or FAILED after retries.

The notification row is locked while it is sent, so two workers never send it together, and
a SENT or FAILED notification is never sent again. Each channel that succeeded is remembered
so a retry after a partial failure does not repeat it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications import channels
from apps.notifications.backends import PermanentDeliveryError
from apps.notifications.models import DeliveryStatus, Notification

logger = logging.getLogger(__name__)

# LIMITATION: channels already delivered are kept in the cache, not in the row — when the
# cache is flushed between a partial failure and its retry, the delivered channels repeat.
_DELIVERED_CHANNELS_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class DeliveryResult:
    status: str
    attempts: int
    retry_in: int | None = None  # seconds until the next attempt; None: no retry


def max_attempts() -> int:
    return max(1, int(settings.NOTIFICATION_MAX_DELIVERY_ATTEMPTS))


def backoff_seconds(attempts: int) -> int:
    """Wait before the attempt after `attempts` failed ones: base * 2^(attempts - 1), capped."""
    base = int(settings.NOTIFICATION_RETRY_BACKOFF_SECONDS)
    cap = int(settings.NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS)
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


def _delivered_key(notification: Notification) -> str:
    # The creation time keeps a reused id (a restored or recreated database) from matching.
    return f"notifications:delivered:{notification.pk}:{notification.created_at.timestamp()}"


def notification_deliver(*, notification_id: int, now: datetime | None = None) -> DeliveryResult:
    """Make one delivery attempt; the caller schedules the retry the result asks for."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .filter(pk=notification_id)
            .first()
        )
        if notification is None:
            # Gone, or another worker holds the lock and will finish or retry it.
            logger.info("notification %s not delivered: missing or locked", notification_id)
            return DeliveryResult(status="SKIPPED", attempts=0)
        if notification.delivery_status != DeliveryStatus.PENDING:
            logger.info("notification %s already %s", notification.pk,
                        notification.delivery_status)
            return DeliveryResult(notification.delivery_status, notification.delivery_attempts)
        return _attempt(notification, now=now or timezone.now())


def _recipient(user_id: int) -> channels.Recipient | None:
    user = User.all_objects.filter(pk=user_id).only("pk", "email", "phone", "deleted_at").first()
    if user is None or not user.is_active:
        return None
    return channels.Recipient(user_id=user.pk, email=user.email or None, phone=user.phone)


def _attempt(notification: Notification, *, now: datetime) -> DeliveryResult:
    recipient = _recipient(notification.user_id)
    message = channels.OutgoingMessage.build(
        notification_id=notification.pk,
        title=notification.title,
        body=notification.message,
        action_url=notification.action_url,
    )
    key = _delivered_key(notification)
    delivered: set[str] = set(cache.get(key) or ())
    error: Exception | None = None
    if recipient is None:
        error = PermanentDeliveryError("recipient account is closed")
    else:
        for channel in notification.delivery_channels or ():
            if channel in delivered:
                continue
            try:
                channels.send(channel, message, recipient)
            except Exception as exc:  # a provider may raise anything; it is recorded and retried
                error = exc
                break
            delivered.add(channel)
            cache.set(key, sorted(delivered), timeout=_DELIVERED_CHANNELS_TTL)

    notification.delivery_attempts += 1
    retry_in: int | None = None
    if error is None:
        notification.delivery_status = DeliveryStatus.SENT
        notification.sent_at = now
    else:
        # The class name only: provider messages can quote the address or the text.
        notification.last_delivery_error = type(error).__name__[:255]
        permanent = isinstance(error, PermanentDeliveryError)
        if permanent or notification.delivery_attempts >= max_attempts():
            notification.delivery_status = DeliveryStatus.FAILED
        else:
            retry_in = backoff_seconds(notification.delivery_attempts)
    notification.save(update_fields=[
        "delivery_status", "delivery_attempts", "last_delivery_error", "sent_at",
    ])
    if error is None:
        transaction.on_commit(lambda: cache.delete(key))
        logger.info("notification %s sent attempts=%s", notification.pk,
                    notification.delivery_attempts)
    else:
        logger.warning(
            "notification %s delivery failed attempts=%s error=%s status=%s retry_in=%s",
            notification.pk, notification.delivery_attempts, notification.last_delivery_error,
            notification.delivery_status, retry_in,
        )
    return DeliveryResult(notification.delivery_status, notification.delivery_attempts, retry_in)


def stuck_notification_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """PENDING notifications whose delivery should have happened by now but did not.

    A worker killed after the commit, or a broker down when the task was queued, leaves a row
    PENDING with no task behind it. A row still inside its retry schedule is not stuck: its
    next attempt is due at most `created_at + the backoffs so far`, plus the grace period.
    Rows older than the look-back window are left alone (still visible in admin): a
    reminder days late helps nobody, and the window keeps this scan on recent rows.
    """
    now = now or timezone.now()
    grace = timedelta(minutes=int(settings.NOTIFICATION_STUCK_AFTER_MINUTES))
    oldest = now - timedelta(hours=int(settings.NOTIFICATION_REQUEUE_MAX_AGE_HOURS))
    overdue = Q()
    waited = 0
    for attempts in range(max_attempts()):
        if attempts:
            waited += backoff_seconds(attempts)
        cutoff = now - grace - timedelta(seconds=waited)
        overdue |= Q(delivery_attempts=attempts, created_at__lt=cutoff)
    return list(
        Notification.objects.filter(
            overdue, delivery_status=DeliveryStatus.PENDING, created_at__gte=oldest
        )
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
