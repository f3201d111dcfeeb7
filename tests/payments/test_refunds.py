"""refund_payment: to the wallet or through the gateway, never more than was paid."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.core.errors import RuleError
from apps.notifications.models import Notification
from apps.payments import refunds
from apps.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundDestination,
    RefundStatus,
    WalletEntry,
)
from apps.payments.refunds import RefundExceedsPayment, RefundNotAllowed, refund_payment
from apps.payments.wallet import wallet_balance
from tests import factories
from tests.concurrency import race
from tests.payments.wallet_support import FakeGateway, make_payment

# pytest-django's fixture: runs the on-commit callbacks the test transaction would hold back.
CaptureCommits = Any


def paid(amount: str = "1000.00", method: str = PaymentMethod.JAZZCASH) -> Payment:
    return make_payment(factories.AppointmentFactory.create(), amount=amount, method=method)


def refund(payment: Payment, amount: str, destination: str = "WALLET") -> Refund:
    return refund_payment(payment_id=payment.pk, amount=Decimal(amount),
                          destination=destination, actor=payment.payee, reason="test")


@pytest.mark.django_db
def test_a_full_refund_to_the_wallet_credits_it_and_marks_the_payment_refunded() -> None:
    payment = paid("1000.00")

    made = refund(payment, "1000.00")

    payment.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED and made.completed_at is not None
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_amount == Decimal("1000.00")
    assert wallet_balance(payment.payer) == Decimal("1000.00")
    entry = WalletEntry.objects.get(refund=made)
    assert entry.payment_id == payment.pk and entry.user_id == payment.payer_id
    note = Notification.objects.get(user=payment.payer)
    assert "1000.00" in note.message and note.action_url == "/wallet/"
    change = payment.history.latest()
    assert (change.status, change.history_user_id) == (PaymentStatus.REFUNDED, payment.payee_id)


@pytest.mark.django_db
def test_partial_refunds_keep_the_payment_completed_and_add_up() -> None:
    payment = paid("1000.00")

    refund(payment, "300.00")
    refund(payment, "200.00")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.refund_amount == Decimal("500.00")
    refund(payment, "500.00")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


@pytest.mark.django_db
def test_a_refund_past_what_was_paid_is_refused_and_changes_nothing() -> None:
    payment = paid("1000.00")
    refund(payment, "600.00")

    with pytest.raises(RefundExceedsPayment):
        refund(payment, "400.01")

    payment.refresh_from_db()
    assert payment.refund_amount == Decimal("600.00")
    assert Refund.objects.filter(payment=payment).count() == 1
    assert wallet_balance(payment.payer) == Decimal("600.00")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED,
                                    PaymentStatus.REFUNDED])
def test_only_a_completed_or_disputed_payment_can_be_refunded(status: str) -> None:
    payment = make_payment(factories.AppointmentFactory.create(), status=status)
    with pytest.raises(RefundNotAllowed):
        refund(payment, "1.00")
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_a_disputed_payment_can_be_refunded_for_its_dispute() -> None:
    payment = paid("800.00")
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.DISPUTED)
    made = refund(payment, "800.00")
    payment.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    # The dispute decides the status when it closes (dispute_services.status_after_dispute).
    assert (payment.status, payment.refund_amount) == (PaymentStatus.DISPUTED,
                                                       Decimal("800.00"))


@pytest.mark.django_db
@pytest.mark.parametrize(("amount", "destination"), [
    ("0", "WALLET"), ("-1", "WALLET"), ("1.005", "WALLET"), ("10", "BANK"), ("10", ""),
])
def test_a_bad_amount_or_destination_is_a_rule_error(amount: str, destination: str) -> None:
    payment = paid()
    with pytest.raises(RuleError):
        refund(payment, amount, destination)
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_a_refund_to_source_goes_through_the_gateway_once(
    refund_gateway: FakeGateway, django_capture_on_commit_callbacks: CaptureCommits
) -> None:
    payment = paid("1500.00")

    with django_capture_on_commit_callbacks(execute=True):
        made = refund(payment, "1500.00", RefundDestination.SOURCE)
    made.refresh_from_db()

    assert refund_gateway.calls == [(payment.transaction_id, Decimal("1500.00"))]
    payment.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED and made.gateway_response_code == "000"
    assert payment.status == PaymentStatus.REFUNDED
    assert wallet_balance(payment.payer) == Decimal("0.00")
    # Sending it again (a retried task) does not call the gateway a second time.
    assert refunds.refund_send(refund_id=made.pk) == "skipped"
    assert len(refund_gateway.calls) == 1


@pytest.mark.django_db
def test_a_declined_gateway_refund_fails_and_frees_the_amount(
    refund_gateway: FakeGateway, django_capture_on_commit_callbacks: CaptureCommits
) -> None:
    payment = paid("1500.00")
    refund_gateway.ok, refund_gateway.response_code = False, "199"

    with django_capture_on_commit_callbacks(execute=True):
        made = refund(payment, "1500.00", RefundDestination.SOURCE)
    made.refresh_from_db()

    payment.refresh_from_db()
    assert made.status == RefundStatus.FAILED and made.gateway_response_code == "199"
    assert payment.status == PaymentStatus.COMPLETED and payment.refund_amount is None
    refund_gateway.ok, refund_gateway.response_code = True, "000"
    assert refund(payment, "1500.00").status == RefundStatus.COMPLETED


@pytest.mark.django_db
def test_a_pending_gateway_refund_holds_its_amount(
    refund_gateway: FakeGateway, django_capture_on_commit_callbacks: CaptureCommits
) -> None:
    payment = paid("1500.00")
    refund_gateway.pending, refund_gateway.response_code = True, "124"

    with django_capture_on_commit_callbacks(execute=True):
        made = refund(payment, "1000.00", RefundDestination.SOURCE)
    made.refresh_from_db()

    assert made.status == RefundStatus.PENDING and made.gateway_sent_at is not None
    with pytest.raises(RefundExceedsPayment):
        refund(payment, "500.01")
    refunds.refund_record_gateway_outcome(refund_id=made.pk, ok=True, pending=False,
                                          response_code="000")
    payment.refresh_from_db()
    assert payment.refund_amount == Decimal("1000.00")


@pytest.mark.django_db
def test_a_gateway_error_leaves_the_refund_sent_and_never_resends(
    refund_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: CaptureCommits,
) -> None:
    payment = paid("1500.00")

    def broken(**kwargs: object) -> None:
        raise OSError("connection reset")

    monkeypatch.setattr(refund_gateway, "request_refund", broken)
    with django_capture_on_commit_callbacks(execute=True):
        made = refund(payment, "1500.00", RefundDestination.SOURCE)
    made.refresh_from_db()

    assert made.status == RefundStatus.PENDING and made.gateway_sent_at is not None
    assert refunds.refund_send(refund_id=made.pk) == "skipped"


@pytest.mark.django_db
def test_a_wallet_payment_refunded_to_source_goes_back_to_the_wallet(
    refund_gateway: FakeGateway,
) -> None:
    payment = paid("700.00", method=PaymentMethod.WALLET)
    made = refund(payment, "700.00", RefundDestination.SOURCE)
    assert refund_gateway.calls == []
    assert made.status == RefundStatus.COMPLETED
    assert wallet_balance(payment.payer) == Decimal("700.00")


@pytest.mark.django_db
def test_a_gateway_payment_without_a_reference_cannot_go_to_source() -> None:
    payment = make_payment(factories.AppointmentFactory.create(), with_txn=False)
    with pytest.raises(RuleError, match="wallet"):
        refund(payment, "10.00", RefundDestination.SOURCE)


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_concurrent_partial_refunds_never_exceed_the_payment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = paid("1000.00")
    real_sum = refunds._refunded_so_far

    def slow_sum(payment_id: int, *, statuses: tuple[str, ...]) -> Decimal:
        value = real_sum(payment_id, statuses=statuses)
        time.sleep(0.05)  # without the payment lock every thread would see 0 here
        return value

    monkeypatch.setattr(refunds, "_refunded_so_far", slow_sum)

    results = race([lambda: refund(payment, "300.00") for _ in range(6)])

    made = [r for r in results if isinstance(r, Refund)]
    refused = [r for r in results if isinstance(r, RefundExceedsPayment)]
    assert (len(made), len(refused)) == (3, 3), results
    total = Refund.objects.filter(payment=payment).aggregate(t=Sum("amount"))["t"]
    assert total == Decimal("900.00")
    payment.refresh_from_db()
    assert payment.refund_amount == Decimal("900.00")


@pytest.mark.django_db
def test_a_refund_whose_task_never_ran_is_sent_once_by_the_job(
    refund_gateway: FakeGateway, monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = paid("1500.00")
    monkeypatch.setattr(refunds, "_queue_gateway_refund", lambda refund_id: None)  # broker down
    made = refund(payment, "1500.00", RefundDestination.SOURCE)
    monkeypatch.undo()
    monkeypatch.setattr(refunds, "_gateway", lambda: refund_gateway)
    assert refunds.refunds_requeue_unsent() == 0  # too recent: its task may still run

    later = timezone.now() + timedelta(minutes=10)
    assert refunds.refunds_requeue_unsent(now=later) == 1
    assert refunds.refunds_requeue_unsent(now=later) == 0

    made.refresh_from_db()
    assert made.status == RefundStatus.COMPLETED
    assert len(refund_gateway.calls) == 1
