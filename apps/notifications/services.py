"""Creating notifications and marking them read. Delivery happens after the commit."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.links import safe_action_url
from apps.notifications.models import Channel, Notification, NotificationEvent, NotificationType
from apps.notifications.tasks import deliver_notification

logger = logging.getLogger(__name__)

_TYPE_FOR_EVENT = {
    NotificationEvent.PAYMENT_RECEIVED: NotificationType.PAYMENT_RECEIVED,
    NotificationEvent.PRESCRIPTION_READY: NotificationType.PRESCRIPTION_READY,
}


def notification_create(
    *,
    user: User,
    event: str,
    title: str,
    message: str,
    action_url: str | None = None,
    channels: Sequence[str] = (Channel.PUSH, Channel.EMAIL),
) -> Notification:
    """Store an in-app notification and queue its delivery once the transaction commits.

    The schema fixes `type` to three values; every appointment event files under
    APPOINTMENT_REMINDER and `event` says which one it is. An `action_url` that is not a
    path on this site is dropped: a notification never links anywhere else.
    """
    link = safe_action_url(action_url)
    if action_url and link is None:
        logger.warning("notification for user %s: unsafe action_url dropped", user.pk)
    notification = Notification.objects.create(
        user=user,
        type=_TYPE_FOR_EVENT.get(event, NotificationType.APPOINTMENT_REMINDER),  # type: ignore[call-overload]
        event=event,
        title=title,
        message=message,
        action_url=link,
        delivery_channels=list(dict.fromkeys(channels)),
    )
    transaction.on_commit(lambda: _queue_delivery(notification.pk))
    logger.info("notification created id=%s user=%s event=%s", notification.pk, user.pk, event)
    return notification


def _queue_delivery(notification_id: int) -> None:
    try:
        deliver_notification.delay(notification_id)
    except Exception as exc:  # the broker is down: the committed row stays PENDING
        # notifications.requeue_stuck picks the row up once the broker is back.
        logger.warning("notification %s not queued error=%s", notification_id,
                       type(exc).__name__)


def notification_mark_read(*, actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notifications read; Notification.DoesNotExist for any other."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .get(pk=notification_id, user_id=actor.pk)
        )
        if not notification.is_read:
            notification.is_read = True
            notification.read_at = timezone.now()
            notification.save(update_fields=["is_read", "read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the actor read; returns how many changed."""
    changed = Notification.objects.filter(user_id=actor.pk, is_read=False).update(
        is_read=True, read_at=timezone.now()
    )
    logger.info("notifications marked read user=%s count=%s", actor.pk, changed)
    return changed
