"""Per-request account checks: the user's own time zone, and sessions ended by force."""

from __future__ import annotations

import logging
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from apps.accounts.models import User
from apps.accounts.sessions import session_revoked
from apps.core.i18n import language_of

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


class UserLanguageMiddleware:
    """A signed-in user gets their saved language on a browser that has made no choice yet.

    The language cookie (set by the switcher) wins on the browser that set it; a saved
    choice follows the user to a new browser, ahead of its Accept-Language; without one,
    LocaleMiddleware's choice stands. Goes after
    AuthenticationMiddleware and reads only the user row that middleware loads anyway.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
                and user is not None and user.is_authenticated and user.language):
            language = language_of(user)
            if language != translation.get_language():
                translation.activate(language)
                request.LANGUAGE_CODE = language
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
