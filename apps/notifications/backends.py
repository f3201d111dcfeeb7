"""Provider interfaces for SMS and push, and the logging backends used until one is plugged in.

A real provider is a class with the matching method, named by its dotted path in
NOTIFICATION_SMS_BACKEND or NOTIFICATION_PUSH_BACKEND. It raises on failure: any exception is
retried with backoff, PermanentDeliveryError fails the notification at once.
"""

from __future__ import annotations

import logging
from functools import cache
from typing import Protocol, cast

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A channel could not deliver; the attempt is retried."""


class PermanentDeliveryError(DeliveryError):
    """Retrying cannot help (a rejected number, an unsubscribed device): fail now."""


class SmsBackend(Protocol):
    def send_sms(self, *, notification_id: int, to: str, body: str) -> None: ...


class PushBackend(Protocol):
    def send_push(
        self, *, notification_id: int, user_id: int, title: str, body: str, url: str | None
    ) -> None: ...


class LoggingSmsBackend:
    """Writes one log line per message; never the text or the number, only the IDs."""

    def send_sms(self, *, notification_id: int, to: str, body: str) -> None:
        logger.info("sms logged notification=%s length=%s", notification_id, len(body))


class LoggingPushBackend:
    """Writes one log line per push; never the title or text, only the IDs."""

    def send_push(
        self, *, notification_id: int, user_id: int, title: str, body: str, url: str | None
    ) -> None:
        logger.info("push logged notification=%s user=%s", notification_id, user_id)


@cache
def _load(path: str) -> object:
    return import_string(path)()


def sms_backend() -> SmsBackend:
    # Read the setting on every call so override_settings and a reload both take effect.
    return cast(SmsBackend, _load(settings.NOTIFICATION_SMS_BACKEND))


def push_backend() -> PushBackend:
    return cast(PushBackend, _load(settings.NOTIFICATION_PUSH_BACKEND))
