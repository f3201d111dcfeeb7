"""Log in by email, case-insensitively; soft-deleted users cannot log in."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from apps.accounts import services
from apps.accounts.models import User
from apps.audit.network import client_ip


class EmailBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        email = username or kwargs.get("email")
        if not email or not password:
            return None
        # One lockout for every way in: the login page, the API token endpoint, Django admin.
        ip = client_ip(request)
        if services.login_is_locked(email=email, ip=ip):
            return None
        user = self._check(email, password)
        if user is None:
            services.login_failure_record(email=email, ip=ip)
        else:
            services.login_failures_clear(email=email, ip=ip)
        return user

    def _check(self, email: str, password: str) -> User | None:
        try:
            user = User.objects.get_by_natural_key(email)
        except User.DoesNotExist:
            # Run the hasher anyway so response time does not reveal unknown emails.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        try:
            return User.objects.get(pk=user_id)
        except User.DoesNotExist:
            return None
