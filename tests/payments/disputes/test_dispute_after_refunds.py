"""A dispute closed after refunds made while it was open: the payment's status follows the
money, and staff can close a dispute on a payment refunded in full already (QA of issue 6).
Amounts typed in the back office are plain decimals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.notifications.models import Notification, NotificationEvent
from apps.payments import dispute_services as services
from apps.payments.models import DisputeStatus, Payment, PaymentDispute, PaymentStatus, Refund
from apps.payments.money import format_money
from apps.payments.refunds import refund_payment
from tests.payments.disputes.conftest import client_for

pytestmark = pytest.mark.django_db


def _investigating(paid: Payment, staff: User) -> PaymentDispute:
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk,
                                     reason="The doctor did not join")
    return services.dispute_investigate(actor=staff, dispute_id=dispute.pk)


def _refund_in_full_while_open(paid: Payment) -> None:
    # e.g. the doctor cancels: the cancellation policy refunds everything to the wallet.
    refund_payment(payment_id=paid.pk, amount=paid.amount, destination="WALLET",
                   actor=paid.payee, reason="Appointment cancelled")
    paid.refresh_from_db()
    # Still under dispute: no receipt until the dispute closes (it then follows the money).
    assert (paid.status, paid.refund_amount) == (PaymentStatus.DISPUTED, paid.amount)


def test_a_full_refund_while_disputed_gives_no_receipt_until_the_dispute_closes(
    paid: Payment, staff: User,
) -> None:
    _investigating(paid, staff)
    _refund_in_full_while_open(paid)
    client = client_for(paid.payer)

    assert client.get(reverse("payments:receipt", args=[paid.pk])).status_code == 409
    assert client.get(reverse("receipts:pdf", args=[paid.pk])).status_code == 409


def test_rejecting_after_a_full_refund_leaves_the_payment_refunded(
    paid: Payment, staff: User,
) -> None:
    dispute = _investigating(paid, staff)
    _refund_in_full_while_open(paid)

    services.dispute_reject(actor=staff, dispute_id=dispute.pk, note="Refunded already")

    paid.refresh_from_db()
    # Not back to COMPLETED (the status before the dispute) with all the money refunded.
    assert (paid.status, paid.refund_amount) == (PaymentStatus.REFUNDED, paid.amount)


def test_rejecting_after_a_partial_refund_puts_back_the_status_before(
    paid: Payment, staff: User,
) -> None:
    dispute = _investigating(paid, staff)
    refund_payment(payment_id=paid.pk, amount=Decimal("1.00"), destination="WALLET",
                   actor=paid.payee, reason="Goodwill")

    services.dispute_reject(actor=staff, dispute_id=dispute.pk, note="Policy followed")

    paid.refresh_from_db()
    assert (paid.status, paid.refund_amount) == (PaymentStatus.COMPLETED, Decimal("1.00"))


@pytest.mark.parametrize("amount", [None, Decimal("0"), Decimal("0.00")])
def test_a_dispute_on_a_payment_refunded_in_full_resolves_with_no_further_refund(
    paid: Payment, staff: User, amount: Decimal | None,
) -> None:
    dispute = _investigating(paid, staff)
    _refund_in_full_while_open(paid)

    services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="Refunded on cancel",
                             refund_amount=amount, destination="")  # type: ignore[arg-type]

    dispute.refresh_from_db()
    paid.refresh_from_db()
    assert (dispute.status, dispute.resolution) == (DisputeStatus.RESOLVED,
                                                    "Refunded on cancel")
    assert paid.status == PaymentStatus.REFUNDED
    assert Refund.objects.filter(payment=paid).count() == 1  # only the cancellation's


def test_a_refund_asked_for_on_a_payment_refunded_in_full_is_refused_with_the_reason(
    paid: Payment, staff: User,
) -> None:
    dispute = _investigating(paid, staff)
    _refund_in_full_while_open(paid)

    with pytest.raises(services.DisputeError, match="refunded in full already"):
        services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="More",
                                 refund_amount=Decimal("1.00"), destination="WALLET")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.INVESTIGATING


def test_the_back_office_form_offers_what_is_left_as_a_plain_amount(
    paid: Payment, staff: User,
) -> None:
    Payment.objects.filter(pk=paid.pk).update(amount=Decimal("1000.00"))
    dispute = _investigating(paid, staff)
    refund_payment(payment_id=paid.pk, amount=Decimal("250"), destination="WALLET",
                   actor=paid.payee, reason="Goodwill")

    page = client_for(staff).get(reverse("backoffice:dispute", args=[dispute.pk]))

    body = page.content.decode()
    assert 'name="refund_amount" type="text" inputmode="decimal"' in body  # not type=number
    assert 'value="750.00"' in body and "Up to PKR 750.00 can be refunded." in body


def test_a_dispute_with_money_left_still_needs_an_amount_above_zero(
    paid: Payment, staff: User,
) -> None:
    dispute = _investigating(paid, staff)
    with pytest.raises(services.DisputeError, match="above zero"):
        services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="x",
                                 refund_amount=Decimal("0"), destination="WALLET")


def test_staff_close_a_fully_refunded_dispute_on_the_page_with_zero(
    paid: Payment, staff: User,
) -> None:
    dispute = _investigating(paid, staff)
    _refund_in_full_while_open(paid)
    client = client_for(staff)
    url = reverse("backoffice:dispute", args=[dispute.pk])

    page = client.get(url).content.decode()
    assert 'id="nothing-to-refund"' in page and 'name="destination"' not in page
    response = client.post(url, {"action": "resolve", "note": "Refunded on cancel",
                                 "refund_amount": "0.00"})

    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED


@pytest.mark.parametrize("typed", ["1e3", "1E3", "1000.001", "-5", "1,000", "0x10", "NaN",
                                   "Infinity", "+5", "\u0661\u0660\u0660\u0660"])
def test_the_back_office_refuses_an_amount_that_is_not_a_plain_decimal(
    paid: Payment, staff: User, typed: str,
) -> None:
    dispute = _investigating(paid, staff)

    response = client_for(staff).post(
        reverse("backoffice:dispute", args=[dispute.pk]),
        {"action": "resolve", "note": "n", "refund_amount": typed, "destination": "WALLET"})

    assert response.status_code == 400
    assert "plain digits" in response.content.decode()
    assert not Refund.objects.filter(payment=paid).exists()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.INVESTIGATING


def test_amounts_in_refund_messages_have_two_decimals_whatever_notation_came_in(
    paid: Payment, django_capture_on_commit_callbacks: Any,
) -> None:
    Payment.objects.filter(pk=paid.pk).update(amount=Decimal("5000.00"))

    refund_payment(payment_id=paid.pk, amount=Decimal("1E+3"), destination="WALLET",
                   actor=paid.payee, reason="Goodwill")

    message = Notification.objects.get(user=paid.payer,
                                       event=NotificationEvent.PAYMENT_RECEIVED).message
    assert "PKR 1000.00 " in message and "E" not in message.split("PKR")[1].split()[0]


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal("1E+3"), "1000.00"), (Decimal("5"), "5.00"), (Decimal("12.5"), "12.50"),
    (None, "0.00"),
])
def test_format_money_always_shows_two_plain_decimals(amount: Decimal | None,
                                                      shown: str) -> None:
    assert format_money(amount) == shown
