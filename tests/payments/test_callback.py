"""JazzCash's return: trusted only when hash, reference, merchant, amount and currency hold."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.notifications.models import Notification, NotificationEvent
from apps.payments import services
from apps.payments.models import Payment, PaymentStatus
from tests.payments.conftest import book_with_fee, signed_callback, start_checkout

pytestmark = pytest.mark.django_db

RETURN = reverse("payments:jazzcash_return")


def post(fields: dict[str, str]) -> tuple[int, str]:
    # A real browser arrives from JazzCash's site with no CSRF token of ours.
    response = Client(enforce_csrf_checks=True).post(RETURN, fields)
    return response.status_code, response.content.decode()


def snapshot(payment: Payment) -> tuple[object, ...]:
    payment.refresh_from_db()
    return (payment.status, payment.failure_reason, payment.updated_at,
            payment.history.count())


def test_an_approved_callback_completes_the_payment_and_notifies_both(patient: User) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)

    status, body = post(signed_callback(form, "000"))

    assert status == 200
    assert "Payment complete" in body
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    notified = Notification.objects.filter(event=NotificationEvent.PAYMENT_RECEIVED)
    assert sorted(notified.values_list("user_id", flat=True)) == sorted(
        [payment.payer_id, payment.payee_id])


def test_a_tampered_amount_is_rejected_and_nothing_changes(patient: User) -> None:
    payment = book_with_fee(patient, "2500.00")
    form = start_checkout(payment)
    before = snapshot(payment)
    tampered = {**signed_callback(form, "000"), "pp_Amount": "100"}

    status, body = post(tampered)

    assert status == 400
    assert "could not confirm" in body
    assert snapshot(payment) == before
    assert not Notification.objects.filter(event=NotificationEvent.PAYMENT_RECEIVED).exists()


def test_a_correctly_signed_callback_for_another_amount_is_still_rejected(
    patient: User,
) -> None:
    payment = book_with_fee(patient, "2500.00")
    form = start_checkout(payment)
    before = snapshot(payment)

    status, _ = post(signed_callback(form, "000", pp_Amount="100"))

    assert status == 400
    assert snapshot(payment) == before


@pytest.mark.parametrize("change", [
    {"pp_TxnCurrency": "USD"},
    {"pp_MerchantID": "MC-SOMEONE-ELSE"},
    {"pp_TxnRefNo": "T261204101010ZZZ"},
    {"pp_TxnRefNo": "not-ours"},
])
def test_currency_merchant_and_unknown_references_are_rejected(
    patient: User, change: dict[str, str],
) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)
    before = snapshot(payment)

    status, _ = post(signed_callback(form, "000", **change))

    assert status == 400
    assert snapshot(payment) == before


def test_a_declined_callback_fails_the_payment_with_the_codes_meaning(patient: User) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)

    status, body = post(signed_callback(form, "004"))

    assert status == 200
    assert "Payment not completed" in body
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason == "004: The account balance is too low."


@pytest.mark.parametrize("code", ["124", "157"])
def test_a_pending_code_leaves_the_payment_pending(patient: User, code: str) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)
    before = snapshot(payment)

    status, body = post(signed_callback(form, code))

    assert status == 200
    assert "Payment pending" in body
    assert snapshot(payment) == before


def test_the_same_callback_twice_changes_the_payment_once(patient: User) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)
    callback = signed_callback(form, "000")

    first = services.payment_callback_handle(fields=callback)
    second = services.payment_callback_handle(fields=callback)
    late_decline = services.payment_callback_handle(fields=signed_callback(form, "004"))

    assert (first.changed, second.changed, late_decline.changed) == (True, False, False)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert Notification.objects.filter(user_id=payment.payer_id,
                                       event=NotificationEvent.PAYMENT_RECEIVED).count() == 1


def test_get_is_not_allowed_on_the_return_url() -> None:
    assert Client().get(RETURN).status_code == 405
