"""Regressions of the issue 6 QA: failure reasons in the reader's language, one receipt
rule, the wallet's ceiling, checkout pages only for payable payments, and the refund choice
while a JazzCash attempt is open."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.appointments import lifecycle
from apps.core.errors import RuleError
from apps.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundDestination,
    WalletEntry,
)
from apps.payments.refunds import payment_completed_after_cancel, refund_preference_set
from apps.payments.wallet import (
    WALLET_MAX,
    wallet_balance,
    wallet_credit,
)
from tests import factories
from tests.appointments.lifecycle_support import Clinic, in_hours, make_clinic
from tests.payments.wallet_support import fund, make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- 2. The failure reason in the reader's language ------------------------------------------

def _failed(clinic: Clinic, reason: str) -> Payment:
    payment = make_payment(clinic.appointment(scheduled_at=in_hours(30)),
                           status=PaymentStatus.FAILED)
    Payment.objects.filter(pk=payment.pk).update(failure_reason=reason)
    return payment


@pytest.mark.parametrize(("stored", "urdu", "english"), [
    ("004: The account balance is too low.", "اکاؤنٹ میں رقم کم ہے\u06d4",
     "The account balance is too low."),
])
def test_an_urdu_reader_sees_why_a_payment_failed_in_urdu(
    clinic: Clinic, stored: str, urdu: str, english: str,
) -> None:
    payment = _failed(clinic, stored)
    User.objects.filter(pk=clinic.patient.pk).update(language="ur")

    page = logged_in(clinic.patient).get(
        reverse("payments:detail", args=[payment.pk])).content.decode()

    assert urdu in page and english not in page
    payment.refresh_from_db()
    assert payment.failure_reason == stored  # staff and admin keep the English text


def test_an_english_reader_sees_the_meaning_without_the_code(clinic: Clinic) -> None:
    payment = _failed(clinic, "004: The account balance is too low.")
    page = logged_in(clinic.patient).get(
        reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "The account balance is too low." in page and "004:" not in page


def test_the_portals_own_failure_reason_is_translated_too(clinic: Clinic) -> None:
    payment = _failed(clinic, "Appointment cancelled before payment.")
    User.objects.filter(pk=clinic.patient.pk).update(language="ur")
    page = logged_in(clinic.patient).get(
        reverse("payments:detail", args=[payment.pk])).content.decode()
    assert "Appointment cancelled before payment." not in page


# --- 3. One rule for the HTML receipt, the PDF and their links -------------------------------

@pytest.mark.parametrize(("status", "has_receipt"), [
    (PaymentStatus.COMPLETED, True), (PaymentStatus.REFUNDED, True),
    (PaymentStatus.DISPUTED, False), (PaymentStatus.FAILED, False),
])
def test_receipt_links_the_html_receipt_and_the_pdf_agree(
    clinic: Clinic, status: str, has_receipt: bool,
) -> None:
    payment = make_payment(clinic.appointment(scheduled_at=in_hours(30)), status=status)
    client = logged_in(clinic.patient)
    html_url = reverse("payments:receipt", args=[payment.pk])
    pdf_url = reverse("receipts:pdf", args=[payment.pk])

    detail = client.get(reverse("payments:detail", args=[payment.pk])).content.decode()
    html = client.get(html_url)
    pdf = client.get(pdf_url)

    assert (html_url in detail, pdf_url in detail) == (has_receipt, has_receipt)
    assert html.status_code == pdf.status_code == (200 if has_receipt else 409)
    if has_receipt:
        assert pdf_url in html.content.decode()


# --- 4. The wallet's ceiling ----------------------------------------------------------------

def test_a_credit_past_the_wallet_ceiling_is_refused_with_a_limit_message() -> None:
    patient = factories.PatientFactory.create()
    fund(patient, "99999999.00")

    with pytest.raises(RuleError) as refused:  # WalletLimitExceeded
        wallet_credit(user=patient, amount=Decimal("1.00"), reason="ADJUSTMENT")  # type: ignore[arg-type]

    assert "limit" in str(refused.value.message)
    assert wallet_balance(patient) == Decimal("99999999.00")


def test_a_cancellation_refund_the_wallet_cannot_hold_goes_back_to_the_source(
    clinic: Clinic,
) -> None:
    fund(clinic.patient, "99999999.00")
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    payment = make_payment(appointment, amount="1500.00")

    lifecycle.appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk,
                                 reason="Unwell")

    appointment.refresh_from_db()
    assert appointment.status == "CANCELLED"
    refund = Refund.objects.get(payment=payment)
    assert (refund.destination, refund.amount) == (RefundDestination.SOURCE,
                                                   Decimal("1500.00"))
    assert wallet_balance(clinic.patient) == Decimal("99999999.00")


def test_a_wallet_payment_the_wallet_cannot_take_back_does_not_block_the_cancel(
    clinic: Clinic,
) -> None:
    fund(clinic.patient, str(WALLET_MAX))
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    payment = make_payment(appointment, amount="1500.00", method=PaymentMethod.WALLET)

    lifecycle.appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk,
                                 reason="Unwell")

    appointment.refresh_from_db()
    assert appointment.status == "CANCELLED"
    assert not Refund.objects.filter(payment=payment).exists()  # left for a person (logged)


@pytest.mark.parametrize(("amount", "message"), [
    ("1.00", "limit"), ("1e3", "plain digits"), ("10.001", "plain digits"),
])
def test_the_admin_adjustment_form_refuses_before_saving_and_says_why(
    client: Client, amount: str, message: str,
) -> None:
    owner = factories.PlatformOwnerFactory.create()
    patient = factories.PatientFactory.create()
    fund(patient, "99999999.00")
    client.force_login(owner)

    response = client.post(reverse("admin:payments_walletentry_add"),
                           {"user": patient.pk, "amount": amount, "note": "Goodwill"},
                           follow=True)

    body = response.content.decode()
    assert message in body
    assert "successfully" not in body
    assert WalletEntry.objects.filter(user=patient).count() == 1


# --- 6. Checkout pages only for a payment waiting to be paid --------------------------------

@pytest.mark.parametrize(("status", "appointment_status"), [
    (PaymentStatus.REFUNDED, "SCHEDULED"), (PaymentStatus.COMPLETED, "SCHEDULED"),
    (PaymentStatus.DISPUTED, "SCHEDULED"), (PaymentStatus.FAILED, "CANCELLED"),
    (PaymentStatus.PENDING, "CANCELLED"),
])
def test_checkout_pages_show_no_pay_button_for_a_payment_not_waiting(
    clinic: Clinic, status: str, appointment_status: str,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(30), status=appointment_status)
    payment = make_payment(appointment, status=status)
    client = logged_in(clinic.patient)

    for url in (reverse("payments:checkout", args=[payment.pk]),
                reverse("wallet:pay", args=[payment.pk])):
        with django_assert_max_num_queries(8):
            page = client.get(url).content.decode()
        assert "This payment is not waiting to be paid." in page, url
        assert "<button" not in page.split("<main", 1)[-1].split("</main>")[0], url


def test_no_refund_choice_for_a_payment_jazzcash_never_saw(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    make_payment(appointment, status=PaymentStatus.PENDING)  # no reference: never sent
    page = logged_in(clinic.patient).get(
        reverse("appointments:detail", args=[appointment.pk])).content.decode()
    assert 'name="refund_to"' not in page


def test_checkout_pages_offer_both_ways_for_a_pending_payment(clinic: Clinic) -> None:
    payment = make_payment(clinic.appointment(scheduled_at=in_hours(30)),
                           status=PaymentStatus.PENDING)
    client = logged_in(clinic.patient)

    checkout = client.get(reverse("payments:checkout", args=[payment.pk])).content.decode()
    assert "Pay with JazzCash" in checkout and "Pay from my HealthLink wallet" in checkout
    wallet_page = client.get(reverse("wallet:pay", args=[payment.pk])).content.decode()
    assert "from wallet</button>" in wallet_page
    assert "not waiting to be paid" not in checkout + wallet_page


def test_the_wallet_is_not_offered_while_a_jazzcash_attempt_is_open(clinic: Clinic) -> None:
    payment = make_payment(clinic.appointment(scheduled_at=in_hours(30)),
                           status=PaymentStatus.PENDING)
    Payment.objects.filter(pk=payment.pk).update(transaction_id="T26120412000009")
    client = logged_in(clinic.patient)

    checkout = client.get(reverse("payments:checkout", args=[payment.pk])).content.decode()
    assert "Pay with JazzCash" in checkout and "Pay from my HealthLink wallet" not in checkout
    wallet_page = client.get(reverse("wallet:pay", args=[payment.pk])).content.decode()
    assert "still in progress" in wallet_page and "from wallet</button>" not in wallet_page


# --- 7. The refund choice while a JazzCash attempt is open ----------------------------------

@pytest.mark.parametrize("status", [PaymentStatus.PENDING, PaymentStatus.FAILED])
def test_the_choice_made_while_jazzcash_is_pending_is_used_when_it_completes_late(
    clinic: Clinic, status: str,
) -> None:
    refund_preference_set(user=clinic.patient, destination=RefundDestination.WALLET)
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    payment = make_payment(appointment, status=status, amount="800.00")
    Payment.objects.filter(pk=payment.pk).update(transaction_id="T26120412000007")
    client = logged_in(clinic.patient)
    detail = reverse("appointments:detail", args=[appointment.pk])

    assert 'name="refund_to"' in client.get(detail).content.decode()
    response = client.post(reverse("appointments:cancel", args=[appointment.pk]),
                           {"reason": "", "refund_to": "SOURCE"})
    assert response.status_code == 302

    # JazzCash reports the open attempt paid after the cancel: the refund goes where the
    # patient chose on the cancel form, not to the wallet they had saved before.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.COMPLETED)
    refund = payment_completed_after_cancel(payment_id=payment.pk)
    assert refund is not None
    assert (refund.destination, refund.amount) == (RefundDestination.SOURCE,
                                                   Decimal("800.00"))
    assert wallet_balance(clinic.patient) == Decimal("0")
