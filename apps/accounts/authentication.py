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
        if token_revoked(user, validated_token.get("iat")):
            raise AuthenticationFailed(str(_("This token has been revoked.")), code="revoked")
        return user


def token_revoked(user: User, issued_at: Any) -> bool:
    if user.tokens_revoked_at is None or issued_at is None:
        return False
    return datetime.fromtimestamp(int(issued_at), tz=UTC) <= user.tokens_revoked_at

