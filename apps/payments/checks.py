"""Start-up checks: the JazzCash simulator never runs in production."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def check_jazzcash_simulator(**kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "JAZZCASH_SIMULATOR", False) and not settings.DEBUG and not getattr(
        settings, "TESTING", False
    ):
        return [checks.Error(
            "JAZZCASH_SIMULATOR is on while DEBUG is off.",
            hint="The simulator fakes payments; it is for development only.",
            id="payments.E001",
        )]
    return []


def check_jazzcash_credentials(**kwargs: Any) -> list[checks.CheckMessage]:
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return []
    missing = [name for name in ("JAZZCASH_MERCHANT_ID", "JAZZCASH_PASSWORD",
                                 "JAZZCASH_INTEGRITY_SALT") if not getattr(settings, name, "")]
    if missing:
        return [checks.Warning(
            f"{', '.join(missing)} not set: JazzCash payments cannot be taken.",
            id="payments.W001",
        )]
    return []
