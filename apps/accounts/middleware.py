"""Per-request account checks: the user's own time zone, and sessions ended by force."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.sessions import session_revoked

logger = logging.getLogger(__name__)


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", None) if user and user.is_authenticated else None
        try:
            if zone_name:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            else:
                timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


class SessionRevocationMiddleware:
    """Log out a web session that logged in before the user's `tokens_revoked_at`.

    Goes right after AuthenticationMiddleware; the user row it reads is the one that
    middleware loads anyway, so it costs no query of its own.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if isinstance(user, User) and user.is_authenticated and session_revoked(request, user):
            logger.info("session ended by forced logout user=%s", user.pk)
            logout(request)
        return self.get_response(request)
