"""Two workers handed the same notification at once: the row lock lets one of them send."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings

from apps.notifications import delivery
from apps.notifications.models import Channel, DeliveryStatus, Notification
from tests import factories
from tests.concurrency import race
from tests.notifications.backends import Recorder
from tests.notifications.conftest import RECORDING_PUSH

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]




@override_settings(NOTIFICATION_PUSH_BACKEND=RECORDING_PUSH)
def test_concurrent_deliveries_of_one_notification_send_it_once(
    make_notification, recorder: type[Recorder]
) -> None:
    recorder.delay_seconds = 0.3  # hold the lock while the others arrive
    notification = make_notification(factories.PatientFactory(),
                                     delivery_channels=[Channel.PUSH])

    def deliver() -> object:
        return delivery.notification_deliver(notification_id=notification.pk).status

    results = race([deliver for _ in range(6)])

    assert sorted(map(str, results)) == ["SENT"] + ["SKIPPED"] * 5
    assert len(recorder.sent) == 1
    notification.refresh_from_db()
    assert notification.delivery_status == DeliveryStatus.SENT
    assert notification.delivery_attempts == 1


@override_settings(NOTIFICATION_PUSH_BACKEND=RECORDING_PUSH)
def test_a_locked_notification_is_left_to_the_worker_holding_it(
    make_notification, recorder: type[Recorder]
) -> None:
    notification = make_notification(factories.PatientFactory(),
                                     delivery_channels=[Channel.PUSH])
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                Notification.objects.select_for_update().get(pk=notification.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        result = delivery.notification_deliver(notification_id=notification.pk)
    finally:
        release.set()
        holder.join(timeout=30)

    assert result.status == "SKIPPED"
    assert recorder.calls == 0
    notification.refresh_from_db()
    assert notification.delivery_status == DeliveryStatus.PENDING
