"""Signed, expiring email-verification tokens. They carry the user id only, never PHI."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

_SALT = "healthlink.accounts.verify-email"


class TokenInvalid(Exception):
    """The token was altered, truncated or signed with another key."""


class TokenExpired(TokenInvalid):
    """The token is genuine but older than EMAIL_VERIFICATION_MAX_AGE."""


def email_verification_token(*, user_id: int) -> str:
    return signing.dumps({"u": user_id}, salt=_SALT)


def email_verification_user_id(token: str) -> int:
    """Return the user id a valid token names; raise TokenExpired or TokenInvalid otherwise."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise TokenExpired from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise TokenInvalid from error
    user_id = payload.get("u") if isinstance(payload, dict) else None
    if not isinstance(user_id, int):
        raise TokenInvalid
    return user_id
