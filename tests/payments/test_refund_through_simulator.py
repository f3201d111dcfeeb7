"""A refund to source end to end: paid through the JazzCash simulator, refunded by its API.

Nothing leaves the machine: the simulator is this project's own stand-in for JazzCash,
served by the test's live server on 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.test import override_settings

from apps.accounts.models import User
from apps.appointments import lifecycle
from apps.payments import services, simulator
from apps.payments.models import PaymentStatus, Refund, RefundStatus
from apps.payments.refunds import RefundNotAllowed, refund_payment
from apps.payments.wallet import wallet_balance
from tests.payments.conftest import book_with_fee, start_checkout

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulated(live_server: Any, fresh_cache: None) -> Iterator[str]:
    base = f"{live_server.url}/payments/simulator"
    with override_settings(JAZZCASH_SIMULATOR=True,
                           JAZZCASH_POST_URL=f"{base}/pay/",
                           JAZZCASH_STATUS_INQUIRY_URL=f"{base}/api/inquire/",
                           JAZZCASH_REFUND_URL=f"{base}/api/refund/"):
        yield base


@pytest.mark.usefixtures("simulated")
def test_a_patient_cancels_a_jazzcash_booking_and_jazzcash_refunds_it(patient: User) -> None:
    payment = book_with_fee(patient, "2000.00")
    token = simulator.open_checkout(start_checkout(payment))
    assert token is not None
    simulator.decide(token, "pending")
    assert services.payment_settle_from_inquiry(payment_id=payment.pk) is True
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED

    # A partial refund first (as a dispute might give), then the cancel refunds the rest.
    refund_payment(payment_id=payment.pk, amount=Decimal("500.00"), destination="SOURCE",
                   actor=payment.payee, reason="partial")
    lifecycle.appointment_cancel(actor=patient, appointment_id=payment.appointment_id,
                                 refund_destination="SOURCE")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_amount == Decimal("2000.00")
    codes = list(Refund.objects.filter(payment=payment)
                 .values_list("status", "gateway_response_code"))
    assert codes == [(RefundStatus.COMPLETED, "000")] * 2
    assert wallet_balance(patient) == 0
    with pytest.raises(RefundNotAllowed):  # fully refunded: nothing left to give back
        refund_payment(payment_id=payment.pk, amount=Decimal("0.01"), destination="WALLET",
                       actor=payment.payee, reason="more")


@pytest.mark.usefixtures("simulated")
def test_a_payment_jazzcash_completes_after_the_cancel_is_refunded(patient: User) -> None:
    payment = book_with_fee(patient, "1800.00")
    token = simulator.open_checkout(start_checkout(payment))
    assert token is not None
    simulator.decide(token, "pending")

    lifecycle.appointment_cancel(actor=patient, appointment_id=payment.appointment_id)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING  # left for JazzCash's answer

    assert services.payment_settle_from_inquiry(payment_id=payment.pk) is True

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert wallet_balance(patient) == Decimal("1800.00")  # no preference saved: the wallet
