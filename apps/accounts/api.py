"""Token endpoints for the mobile app: refreshing re-checks the user and revocation."""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import (
    TokenObtainPairSerializer,
    TokenRefreshSerializer,
)
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.views import TokenRefreshView

from apps.accounts.authentication import AUTH_TIME_CLAIM, token_revoked
from apps.accounts.models import User


class RevocableTokenRefreshSerializer(TokenRefreshSerializer):
    """Refreshing checks the user again: deleted users and revoked refresh tokens get 401.

    The refresh token's own `iat` is what counts, so a password change or "log out
    everywhere" ends a mobile session at its next refresh, not only its next request.
    """

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = User.objects.filter(pk=user_id).first() if user_id is not None else None
        if user is None or not user.is_active or token_revoked(user, refresh.payload):
            raise AuthenticationFailed(str(_("This token has been revoked.")), code="revoked")
        return super().validate(attrs)


class SignInTimeTokenObtainPairSerializer(TokenObtainPairSerializer):
    """Tokens carry the sign-in time to the microsecond (see AUTH_TIME_CLAIM)."""

    @classmethod
    def get_token(cls, user: Any) -> Any:
        token = super().get_token(user)
        token[AUTH_TIME_CLAIM] = time.time_ns() // 1000
        return token


class RevocableTokenRefreshView(TokenRefreshView):
    serializer_class = RevocableTokenRefreshSerializer
