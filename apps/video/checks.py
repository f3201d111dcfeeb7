"""Deployment checks for video consultations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


def check_janus_admin_key(**kwargs: Any) -> list[checks.CheckMessage]:
    """Without JANUS_ADMIN_KEY anyone who reaches Janus can create videoroom rooms."""
    if settings.DEBUG or getattr(settings, "TESTING", False) or settings.JANUS_ADMIN_KEY:
        return []
    return [checks.Warning(
        "JANUS_ADMIN_KEY is not set: anyone who can reach Janus may create video rooms.",
        hint="Set JANUS_ADMIN_KEY for the portal and for Janus (scripts/janus.sh passes it "
             "on as the videoroom plugin's admin_key).",
        id="video.W001",
    )]
