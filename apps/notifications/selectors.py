"""Reads of notifications: a user only ever sees their own."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from apps.accounts.models import User
from apps.notifications.models import Notification

PAGE_SIZE = 20
# The header shows "99+" beyond this; counting stops there so the query stays cheap.
UNREAD_COUNT_CAP = 100


def notifications_page(*, actor: User, page: str | int | None = 1) -> Page[Notification]:
    """The actor's notifications, newest first."""
    queryset = (
        Notification.objects.filter(user_id=actor.pk)
        .only("pk", "user_id", "type", "event", "title", "message", "action_url", "is_read",
              "read_at", "created_at")
        .order_by("-created_at", "-pk")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def notification_get_for_actor(*, actor: User, notification_id: int) -> Notification:
    """The notification if it is the actor's; Notification.DoesNotExist otherwise."""
    return Notification.objects.get(pk=notification_id, user_id=actor.pk)


def unread_count(*, actor: User) -> int:
    """Unread notifications of the actor, counted up to UNREAD_COUNT_CAP."""
    return (
        Notification.objects.filter(user_id=actor.pk, is_read=False)
        .values("pk")[:UNREAD_COUNT_CAP]
        .count()
    )
