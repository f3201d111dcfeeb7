from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apps.accounts.models import User
from apps.notifications.models import Channel, Notification, NotificationEvent, NotificationType
from tests.notifications.backends import Recorder

RECORDING_SMS = "tests.notifications.backends.RecordingSmsBackend"
RECORDING_PUSH = "tests.notifications.backends.RecordingPushBackend"


@pytest.fixture(autouse=True)
def recorder() -> Iterator[type[Recorder]]:
    Recorder.reset()
    yield Recorder
    Recorder.reset()


@pytest.fixture
def make_notification() -> Callable[..., Notification]:
    """A stored notification, written directly (no delivery queued) unless a test wants one."""

    def make(user: User, **fields: Any) -> Notification:
        values: dict[str, Any] = {
            "type": NotificationType.APPOINTMENT_REMINDER,
            "event": NotificationEvent.GENERAL,
            "title": "Your appointment is tomorrow",
            "message": "Video call with Dr Test at 10:00.",
            "action_url": "/appointments/1/",
            "delivery_channels": [Channel.PUSH, Channel.EMAIL],
        }
        values.update(fields)
        return Notification.objects.create(user=user, **values)

    return make
