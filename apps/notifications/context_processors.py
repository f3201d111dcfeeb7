"""The unread-notification count for the header, computed at most once per request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from apps.accounts.models import User
from apps.notifications.selectors import unread_count

_REQUEST_ATTR = "_unread_notification_count"


def unread_notifications(request: HttpRequest) -> dict[str, Callable[[], int] | int]:
    """`unread_notification_count`: a callable the template evaluates only if it shows it.

    One COUNT query the first time, then the value kept on the request; none for anonymous
    visitors.
    """
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {"unread_notification_count": 0}

    def count() -> int:
        cached: int | None = getattr(request, _REQUEST_ATTR, None)
        if cached is None:
            cached = unread_count(actor=user)
            setattr(request, _REQUEST_ATTR, cached)
        return cached

    return {"unread_notification_count": count}


def forget_unread_count(request: HttpRequest) -> None:
    """Drop the kept count after the request itself changed it (marking read)."""
    if hasattr(request, _REQUEST_ATTR):
        delattr(request, _REQUEST_ATTR)
