"""Test providers for SMS and push, plugged in with override_settings by dotted path."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Sent:
    notification_id: int
    to: str
    title: str
    body: str
    url: str | None


class ProviderDown(Exception):
    """What a flaky provider raises; its text quotes the address, as real ones do."""


class Recorder:
    sent: ClassVar[list[Sent]] = []
    calls: ClassVar[int] = 0
    failures_left: ClassVar[int] = 0
    delay_seconds: ClassVar[float] = 0.0
    _lock: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        cls.sent = []
        cls.calls = 0
        cls.failures_left = 0
        cls.delay_seconds = 0.0

    @classmethod
    def record(cls, item: Sent) -> None:
        with cls._lock:
            cls.calls += 1
            if cls.failures_left:
                cls.failures_left -= 1
                raise ProviderDown(f"provider refused {item.to}")
        if cls.delay_seconds:
            time.sleep(cls.delay_seconds)
        with cls._lock:
            cls.sent.append(item)


class RecordingSmsBackend:
    def send_sms(self, *, notification_id: int, to: str, body: str) -> None:
        Recorder.record(Sent(notification_id, to, "", body, None))


class RecordingPushBackend:
    def send_push(
        self, *, notification_id: int, user_id: int, title: str, body: str, url: str | None
    ) -> None:
        Recorder.record(Sent(notification_id, f"user:{user_id}", title, body, url))


class RejectingSmsBackend:
    def send_sms(self, *, notification_id: int, to: str, body: str) -> None:
        from apps.notifications.backends import PermanentDeliveryError

        Recorder.record(Sent(notification_id, to, "", body, None))
        raise PermanentDeliveryError("number is not a mobile")
