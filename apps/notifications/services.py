"""Creating notifications. Delivery happens after the surrounding transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction

from apps.accounts.models import User
from apps.notifications.models import Channel, Notification, NotificationEvent, NotificationType

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
    APPOINTMENT_REMINDER and `event` says which one it is.
    """
    notification = Notification.objects.create(
        user=user,
        type=_TYPE_FOR_EVENT.get(event, NotificationType.APPOINTMENT_REMINDER),  # type: ignore[call-overload]
        event=event,
        title=title,
        message=message,
        action_url=action_url,
        delivery_channels=list(channels),
    )
    transaction.on_commit(lambda: _queue_delivery(notification.pk))
    logger.info("notification created id=%s user=%s event=%s", notification.pk, user.pk, event)
    return notification


def _queue_delivery(notification_id: int) -> None:
    # LIMITATION: placeholder until the delivery task lands — notifications stay PENDING.
    logger.debug("notification %s queued for delivery", notification_id)
