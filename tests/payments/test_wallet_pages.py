"""The wallet pages: paying a booking from the wallet, the ledger, the refund preference."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.payments import wallet
from apps.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    RefundPreference,
    WalletEntry,
    WalletEntryType,
    WalletReason,
)
from apps.payments.wallet import wallet_balance
from tests import factories
from tests.concurrency import race
from tests.payments.wallet_support import fund, make_payment

DjangoAssertNumQueries = Any


def pending(amount: str = "500.00") -> Payment:
    return make_payment(factories.AppointmentFactory.create(), amount=amount,
                        status=PaymentStatus.PENDING, method=PaymentMethod.JAZZCASH)


def pay_url(payment: Payment) -> str:
    return reverse("wallet:pay", kwargs={"payment_id": payment.pk})


# --- Paying -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_payer_pays_a_pending_payment_from_the_wallet(client: Client) -> None:
    payment = pending("500.00")
    fund(payment.payer, "800.00")
    client.force_login(payment.payer)

    response = client.post(pay_url(payment))

    assert response.status_code == 302 and response["Location"] == reverse("wallet:ledger")
    payment.refresh_from_db()
    entry = WalletEntry.objects.get(payment=payment, entry_type=WalletEntryType.DEBIT)
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.payment_method == PaymentMethod.WALLET
    assert payment.transaction_id == f"WALLET-{entry.pk}"
    assert entry.reason == WalletReason.PAYMENT
    assert wallet_balance(payment.payer) == Decimal("300.00")


@pytest.mark.django_db
def test_a_double_click_pays_once(client: Client) -> None:
    payment = pending("500.00")
    fund(payment.payer, "800.00")
    client.force_login(payment.payer)

    client.post(pay_url(payment))
    response = client.post(pay_url(payment), follow=True)

    assert "already paid" in response.content.decode()
    assert wallet_balance(payment.payer) == Decimal("300.00")
    assert WalletEntry.objects.filter(entry_type=WalletEntryType.DEBIT).count() == 1


@pytest.mark.django_db
def test_too_little_in_the_wallet_says_so_and_changes_nothing(client: Client) -> None:
    payment = pending("500.00")
    fund(payment.payer, "499.99")
    client.force_login(payment.payer)

    response = client.post(pay_url(payment))

    assert response.status_code == 400
    assert "balance is too low" in response.content.decode()
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING and payment.transaction_id is None
    assert wallet_balance(payment.payer) == Decimal("499.99")


@pytest.mark.django_db
@pytest.mark.parametrize("status", [PaymentStatus.DISPUTED, PaymentStatus.REFUNDED,
                                    PaymentStatus.COMPLETED])
def test_a_payment_that_is_not_pending_is_not_paid_again(client: Client, status: str) -> None:
    payment = make_payment(factories.AppointmentFactory.create(), status=status)
    fund(payment.payer, "5000.00")
    client.force_login(payment.payer)

    response = client.post(pay_url(payment))

    assert response.status_code == 400
    assert "no longer pending" in response.content.decode()
    assert wallet_balance(payment.payer) == Decimal("5000.00")


@pytest.mark.django_db
def test_a_failed_jazzcash_attempt_can_be_paid_from_the_wallet_instead(client: Client) -> None:
    payment = make_payment(factories.AppointmentFactory.create(), status=PaymentStatus.FAILED,
                           amount="300.00")
    fund(payment.payer, "300.00")
    client.force_login(payment.payer)

    assert client.post(pay_url(payment)).status_code == 302

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.transaction_id is not None and payment.transaction_id.startswith("WALLET-")
    assert wallet_balance(payment.payer) == 0


@pytest.mark.django_db
def test_a_payment_still_open_at_jazzcash_is_not_paid_from_the_wallet(client: Client) -> None:
    payment = pending("300.00")
    Payment.objects.filter(pk=payment.pk).update(transaction_id="T26120412000001")
    fund(payment.payer, "300.00")
    client.force_login(payment.payer)

    response = client.post(pay_url(payment))

    assert response.status_code == 400
    assert "still in progress" in response.content.decode()
    assert wallet_balance(payment.payer) == Decimal("300.00")


@pytest.mark.django_db
def test_a_cancelled_bookings_payment_is_not_paid_from_the_wallet(client: Client) -> None:
    payment = pending("300.00")
    payment.appointment.status = "CANCELLED"
    payment.appointment.save(update_fields=["status"])
    fund(payment.payer, "300.00")
    client.force_login(payment.payer)

    assert client.post(pay_url(payment)).status_code == 400
    assert wallet_balance(payment.payer) == Decimal("300.00")


@pytest.mark.django_db
def test_the_pay_page_shows_amount_and_balance_in_bounded_queries(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    payment = pending("500.00")
    fund(payment.payer, "40.00")
    client.force_login(payment.payer)

    # Session, user, the payment with its appointment and doctor, the balance, the badge.
    with django_assert_max_num_queries(6):
        response = client.get(pay_url(payment))

    body = response.content.decode()
    assert response.status_code == 200
    assert "PKR 500.00" in body and "PKR 40.00" in body


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_patient", "payee_doctor", "staff", "owner"])
def test_nobody_but_the_payer_can_see_or_pay_it(client: Client, who: str) -> None:
    payment = pending("500.00")
    fund(payment.payer, "800.00")
    users = {
        "other_patient": factories.PatientFactory.create,
        "payee_doctor": lambda: payment.payee,
        "staff": factories.StaffFactory.create,
        "owner": factories.PlatformOwnerFactory.create,
    }
    outsider = users[who]()
    fund(outsider, "800.00")
    client.force_login(outsider)

    assert client.get(pay_url(payment)).status_code == 404
    assert client.post(pay_url(payment)).status_code == 404

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert wallet_balance(payment.payer) == Decimal("800.00")


@pytest.mark.django_db
def test_an_unknown_payment_is_404_and_anonymous_users_go_to_login(client: Client) -> None:
    payment = pending()
    assert client.get(pay_url(payment)).status_code == 302
    client.force_login(payment.payer)
    assert client.get(reverse("wallet:pay", kwargs={"payment_id": 999999})).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_two_concurrent_wallet_payments_of_one_booking_debit_once() -> None:
    payment = pending("500.00")
    fund(payment.payer, "5000.00")
    payer = payment.payer

    results = race([lambda: wallet.wallet_pay(actor=payer, payment_id=payment.pk)
                    for _ in range(4)])

    paid_now = [r for r in results if isinstance(r, tuple) and r[1]]
    assert len(paid_now) == 1, results
    assert all(isinstance(r, tuple) for r in results), results
    assert wallet_balance(payer) == Decimal("4500.00")


# --- The ledger -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_ledger_shows_the_balance_and_only_the_users_own_lines(client: Client) -> None:
    mine, theirs = factories.PatientFactory.create(), factories.PatientFactory.create()
    fund(mine, "120.00")
    fund(theirs, "777.77")
    client.force_login(mine)

    body = client.get(reverse("wallet:ledger")).content.decode()

    assert "PKR 120.00" in body
    assert "777.77" not in body
    other_entry = WalletEntry.objects.get(user=theirs)
    assert f"wallet-entry-{other_entry.pk}" not in body


@pytest.mark.django_db
def test_the_ledger_is_paginated_in_bounded_queries(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    patient = factories.PatientFactory.create()
    for _ in range(30):
        fund(patient, "1.00")
    client.force_login(patient)

    # Session, user, balance, preference (twice: saved and default), count, page, badge.
    with django_assert_max_num_queries(9):
        first = client.get(reverse("wallet:ledger")).content.decode()
    second = client.get(reverse("wallet:ledger") + "?page=2").content.decode()

    assert first.count('id="wallet-entry-') == 25
    assert second.count('id="wallet-entry-') == 5
    assert "PKR 30.00" in first
    assert client.get(reverse("wallet:ledger") + "?page=abc").status_code == 200


@pytest.mark.django_db
def test_an_empty_wallet_says_so(client: Client) -> None:
    client.force_login(factories.PatientFactory.create())
    body = client.get(reverse("wallet:ledger")).content.decode()
    assert "no entries yet" in body and "PKR 0.00" in body


@pytest.mark.django_db
def test_a_patient_saves_where_refunds_go(client: Client) -> None:
    patient = factories.PatientFactory.create()
    client.force_login(patient)

    response = client.post(reverse("wallet:preference"), {"destination": "SOURCE"})

    assert response.status_code == 302
    assert RefundPreference.objects.get(user=patient).destination == "SOURCE"
    client.post(reverse("wallet:preference"), {"destination": "nonsense"})
    assert RefundPreference.objects.get(user=patient).destination == "SOURCE"


@pytest.mark.django_db
def test_only_patients_have_a_refund_preference(client: Client) -> None:
    client.force_login(factories.DoctorFactory.create())
    response = client.post(reverse("wallet:preference"), {"destination": "SOURCE"})
    assert response.status_code == 404
    assert not RefundPreference.objects.exists()


# --- Admin adjustment -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_platform_owner_credits_a_wallet_in_admin_and_it_is_recorded(client: Client) -> None:
    owner = factories.PlatformOwnerFactory.create()
    patient = factories.PatientFactory.create()
    fund(patient, "10.00")
    client.force_login(owner)

    response = client.post(reverse("admin:payments_walletentry_add"),
                           {"user": patient.pk, "amount": "25.50", "note": "Goodwill"})

    assert response.status_code == 302, response.content.decode()[:2000]
    entry = WalletEntry.objects.filter(user=patient).order_by("-id").first()
    assert entry is not None
    assert (entry.reason, entry.amount, entry.balance_after, entry.created_by_id) == (
        WalletReason.ADJUSTMENT, Decimal("25.50"), Decimal("35.50"), owner.pk)
    assert client.get(reverse("admin:payments_walletentry_changelist")).status_code == 200


@pytest.mark.django_db
def test_an_admin_who_is_not_an_owner_cannot_credit_a_wallet(client: Client) -> None:
    patient = factories.PatientFactory.create()
    client.force_login(factories.AdminFactory.create())
    response = client.post(reverse("admin:payments_walletentry_add"),
                           {"user": patient.pk, "amount": "25.50", "note": "x"})
    assert response.status_code == 403
    assert not WalletEntry.objects.exists()
