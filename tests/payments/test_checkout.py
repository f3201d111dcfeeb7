"""Checkout: the patient picks JazzCash or a card and the browser is posted to JazzCash."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.payments import jazzcash, services
from apps.payments.models import Payment, PaymentStatus
from tests import factories
from tests.payments.conftest import SALT, book_with_fee, signed_callback, start_checkout

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_patient_is_sent_to_jazzcash_with_a_signed_form(
    patient: User, django_assert_max_num_queries: Callable[..., Any],
) -> None:
    payment = book_with_fee(patient, "2500.00")
    client = logged_in(patient)
    url = reverse("payments:checkout", kwargs={"payment_id": payment.pk})
    assert "PKR 2500.00" in client.get(url).content.decode()

    with django_assert_max_num_queries(10):
        response = client.post(url, {"method": "CREDIT_CARD"})

    body = response.content.decode()
    assert response.status_code == 200
    assert 'action="http://127.0.0.1:9/jazzcash/"' in body
    assert 'name="pp_TxnType" value="MPAY"' in body
    assert 'name="pp_Amount" value="250000"' in body
    assert "data-autosubmit" in body and "<button" in body  # works without JavaScript too
    payment.refresh_from_db()
    assert payment.payment_method == "CREDIT_CARD"
    assert payment.transaction_id and body.count(payment.transaction_id) == 1
    assert 'name="pp_ReturnURL" value="http://testserver/payments/jazzcash/return/"' in body


def test_a_second_checkout_reuses_the_open_attempt(patient: User) -> None:
    payment = book_with_fee(patient)

    first = start_checkout(payment)
    second = start_checkout(payment, method="CREDIT_CARD")

    assert second == first
    assert jazzcash.verify_secure_hash(first, SALT)


def test_a_failed_payment_can_be_tried_again_with_a_new_reference(patient: User) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)
    services.payment_callback_handle(fields=signed_callback(form, "004"))

    again = start_checkout(payment)

    payment.refresh_from_db()
    assert again["pp_TxnRefNo"] != form["pp_TxnRefNo"]
    assert payment.status == PaymentStatus.PENDING
    assert payment.failure_reason is None
    # The old attempt's late answer no longer matches anything.
    assert not services.payment_callback_handle(fields=signed_callback(form, "000")).accepted


def test_an_expired_open_attempt_waits_for_the_status_inquiry(patient: User) -> None:
    payment = book_with_fee(patient)
    old = timezone.now() - timedelta(hours=3)
    Payment.objects.filter(pk=payment.pk).update(
        transaction_id=jazzcash.make_txn_ref_no(payment.pk, old))

    with pytest.raises(services.AttemptInProgress):
        start_checkout(payment)


def test_a_completed_or_cancelled_booking_cannot_be_paid(patient: User) -> None:
    payment = book_with_fee(patient)
    services.payment_callback_handle(fields=signed_callback(start_checkout(payment), "000"))
    with pytest.raises(services.PaymentNotPayable):
        start_checkout(payment)

    other = book_with_fee(patient)
    other.appointment.status = AppointmentStatus.CANCELLED
    other.appointment.save(update_fields=["status"])
    response = logged_in(patient).post(
        reverse("payments:checkout", kwargs={"payment_id": other.pk}), {"method": "JAZZCASH"})
    assert response.status_code == 400
    assert "not waiting to be paid" in response.content.decode()


def test_an_unknown_method_is_refused_with_a_message(patient: User) -> None:
    payment = book_with_fee(patient)
    response = logged_in(patient).post(
        reverse("payments:checkout", kwargs={"payment_id": payment.pk}), {"method": "CASH"})
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.transaction_id is None


def test_outsiders_and_the_doctor_cannot_check_out(patient: User, other_patient: User) -> None:
    payment = book_with_fee(patient)
    url = reverse("payments:checkout", kwargs={"payment_id": payment.pk})

    assert logged_in(other_patient).post(url, {"method": "JAZZCASH"}).status_code == 404
    assert logged_in(payment.payee).get(url).status_code == 404
    assert logged_in(factories.DoctorFactory.create()).get(url).status_code == 404
    with pytest.raises(Payment.DoesNotExist):
        services.payment_checkout_start(actor=other_patient, payment_id=payment.pk,
                                        method="JAZZCASH", return_url="http://x/")
    payment.refresh_from_db()
    assert payment.transaction_id is None
