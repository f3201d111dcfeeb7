"""JWT authentication that honours soft deletion and `users.tokens_revoked_at`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from apps.accounts.models import User


class RevocableJWTAuthentication(JWTAuthentication):
    """A token issued before the user's forced logout is refused."""

    def get_user(self, validated_token: Any) -> Any:
        user = super().get_user(validated_token)
        if not isinstance(user, User):
            raise AuthenticationFailed(str(_("User not found.")), code="user_not_found")
        if token_revoked(user, validated_token):
            raise AuthenticationFailed(str(_("This token has been revoked.")), code="revoked")
        return user


# When the user signed in, in microseconds: `iat` has whole seconds only, so a token obtained
# in the same second as (but after) a revocation would look revoked. Copied from a refresh
# token to the access tokens made from it.
AUTH_TIME_CLAIM = "auth_us"


def token_revoked(user: User, claims: Any) -> bool:
    """Whether the token (its claims) was issued at or before the user's forced logout."""
    if user.tokens_revoked_at is None:
        return False
    auth_us = claims.get(AUTH_TIME_CLAIM)
    if isinstance(auth_us, int):
        issued = datetime.fromtimestamp(auth_us / 1_000_000, tz=UTC)
    elif claims.get("iat") is not None:
        issued = datetime.fromtimestamp(int(claims["iat"]), tz=UTC)
    else:
        return False
    return issued <= user.tokens_revoked_at

