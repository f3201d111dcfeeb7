"""Start-up checks: a mistyped provider path fails `manage.py check`, not the first SMS."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

_BACKEND_SETTINGS = {
    "NOTIFICATION_SMS_BACKEND": "send_sms",
    "NOTIFICATION_PUSH_BACKEND": "send_push",
}


def check_backends(**kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for name, method in _BACKEND_SETTINGS.items():
        path = getattr(settings, name, "")
        try:
            backend = import_string(path)
        except ImportError:
            errors.append(checks.Error(f"{name} = {path!r} cannot be imported.",
                                       id="notifications.E001"))
            continue
        if not callable(getattr(backend, method, None)):
            errors.append(checks.Error(f"{name} = {path!r} has no {method}() method.",
                                       id="notifications.E002"))
    return errors
