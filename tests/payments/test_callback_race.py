"""The same valid callback posted twice at the same instant: one state change, one receipt."""

from __future__ import annotations

import pytest

from apps.notifications.models import Notification, NotificationEvent
from apps.payments import services
from apps.payments.models import PaymentStatus
from tests import factories
from tests.concurrency import race
from tests.payments.conftest import book_with_fee, signed_callback, start_checkout

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_concurrent_duplicate_callbacks_change_the_payment_once() -> None:
    patient = factories.PatientFactory.create()
    payment = book_with_fee(patient)
    callback = signed_callback(start_checkout(payment), "000")

    results = race([lambda: services.payment_callback_handle(fields=callback)] * 4)

    outcomes = [r for r in results if isinstance(r, services.CallbackOutcome)]
    assert len(outcomes) == 4, results
    assert all(o.accepted and o.status == PaymentStatus.COMPLETED for o in outcomes)
    assert sum(o.changed for o in outcomes) == 1
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert [h.status for h in payment.history.order_by("history_id")].count(
        PaymentStatus.COMPLETED) == 1
    assert Notification.objects.filter(
        user_id=payment.payer_id, event=NotificationEvent.PAYMENT_RECEIVED).count() == 1
