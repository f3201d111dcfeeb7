"""Role checks shared by every app's views. A wrong role gets a 404, never a 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

from apps.accounts.models import ADMIN_ROLES, Role, User

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponse])


def has_role(user: Any, *roles: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "role", None) in roles


def is_admin(user: Any) -> bool:
    return has_role(user, *ADMIN_ROLES)


def can_book(user: User) -> bool:
    """Booking is for patients who have verified their email."""
    return has_role(user, Role.PATIENT) and user.is_verified


def role_required(*roles: str) -> Callable[[ViewFunc], ViewFunc]:
    """Anonymous users go to the login page; signed-in users of another role get a 404."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(request.user, "role", None) not in roles:
                raise Http404
            return view(request, *args, **kwargs)

        return cast(ViewFunc, wrapped)

    return decorator
