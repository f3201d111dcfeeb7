"""When a web session logged in, so that `users.tokens_revoked_at` ends it like a token.

Login stores the moment in the session; `SessionRevocationMiddleware` logs out a session
that logged in at or before the user's `tokens_revoked_at` (forced logout, "log out
everywhere", password change elsewhere). Seconds since the epoch, as a float: the session
serializer is JSON.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import User

SESSION_LOGIN_AT = "_auth_login_at"


def session_mark_login(request: HttpRequest) -> None:
    """Stamp the session as authenticated now: it outlives revocations before this moment."""
    request.session[SESSION_LOGIN_AT] = timezone.now().timestamp()


def session_revoked(request: HttpRequest, user: User) -> bool:
    """Whether this session logged in at or before the user's last forced logout."""
    if user.tokens_revoked_at is None:
        return False
    login_at = request.session.get(SESSION_LOGIN_AT)
    # A session without the stamp predates it: it logged in before any revocation we know of.
    if not isinstance(login_at, int | float):
        return True
    return float(login_at) <= user.tokens_revoked_at.timestamp()


@receiver(user_logged_in, dispatch_uid="accounts.session_login_at")
def _stamp_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # DRF's JWT views authenticate without a session; only web logins have one to stamp.
    if request is not None and hasattr(request, "session"):
        session_mark_login(request)
