"""Payment list, detail and receipt: payer and payee only, bounded queries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.payments import services
from apps.payments.models import Payment
from tests import factories
from tests.payments.conftest import book_with_fee, signed_callback, start_checkout

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def paid(patient: User) -> Payment:
    payment = book_with_fee(patient, "3500.00")
    services.payment_callback_handle(fields=signed_callback(start_checkout(payment), "000"))
    payment.refresh_from_db()
    return payment


def test_the_patient_and_the_doctor_list_their_payments_in_bounded_queries(
    patient: User, django_assert_max_num_queries: Callable[..., Any],
) -> None:
    payments = [book_with_fee(patient) for _ in range(3)]
    client = logged_in(patient)

    # Session, user, count, the page with its appointments and people, unread count.
    with django_assert_max_num_queries(5):
        body = client.get(reverse("payments:list")).content.decode()
    assert all(f"#{p.pk}<" in body for p in payments)

    doctor_body = logged_in(payments[0].payee).get(reverse("payments:list")).content.decode()
    assert f"#{payments[0].pk}<" in doctor_body
    assert f"#{payments[1].pk}<" not in doctor_body


def test_the_list_pages(patient: User) -> None:
    for _ in range(21):
        book_with_fee(patient)
    client = logged_in(patient)
    assert 'rel="next"' in client.get(reverse("payments:list")).content.decode()
    assert 'rel="prev"' in client.get(reverse("payments:list") + "?page=2").content.decode()


def test_others_lists_show_nothing_of_the_payment(patient: User, other_patient: User) -> None:
    payment = book_with_fee(patient)
    body = logged_in(other_patient).get(reverse("payments:list")).content.decode()
    assert f"#{payment.pk}<" not in body


def test_the_detail_page_for_payer_and_payee(
    patient: User, django_assert_max_num_queries: Callable[..., Any],
) -> None:
    payment = book_with_fee(patient, "3500.00")
    url = reverse("payments:detail", kwargs={"payment_id": payment.pk})

    client = logged_in(patient)
    # Session, user, the payment with appointment and people, the header's unread count.
    with django_assert_max_num_queries(4):
        body = client.get(url).content.decode()
    assert "PKR 3500.00" in body and "Pay now" in body
    doctor_body = logged_in(payment.payee).get(url).content.decode()
    assert "PKR 3500.00" in doctor_body and "Pay now" not in doctor_body


@pytest.mark.parametrize("name", ["payments:detail", "payments:receipt"])
def test_outsiders_get_404(patient: User, other_patient: User, name: str) -> None:
    payment = paid(patient)
    url = reverse(name, kwargs={"payment_id": payment.pk})
    staff = factories.StaffFactory.create(facility=factories.FacilityFactory.create())

    assert logged_in(patient).get(url).status_code == 200
    for outsider in (other_patient, factories.DoctorFactory.create(), staff):
        assert logged_in(outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_the_receipt_is_only_for_completed_payments(
    patient: User, django_assert_max_num_queries: Callable[..., Any],
) -> None:
    pending = book_with_fee(patient)
    refused = logged_in(patient).get(
        reverse("payments:receipt", kwargs={"payment_id": pending.pk}))
    # The same rule and answer as the PDF (receipt_pdf.receipt_refusal): 409 with the reason.
    assert refused.status_code == 409
    assert "has not been completed yet" in refused.content.decode()

    payment = paid(patient)
    client = logged_in(patient)
    with django_assert_max_num_queries(4):
        body = client.get(reverse("payments:receipt", kwargs={"payment_id": payment.pk}))
    text = body.content.decode()
    assert "PKR 3500.00" in text and str(payment.transaction_id) in text
    assert logged_in(payment.payee).get(
        reverse("payments:receipt", kwargs={"payment_id": payment.pk})).status_code == 200


def test_the_receipt_dates_the_payment_when_it_was_paid_not_when_it_last_changed(
    patient: User,
) -> None:
    payment = paid(patient)
    paid_at = payment.history.get(status="COMPLETED").history_date
    later = paid_at.replace(year=paid_at.year + 1)
    Payment.objects.filter(pk=payment.pk).update(updated_at=later)

    body = logged_in(patient).get(
        reverse("payments:receipt", kwargs={"payment_id": payment.pk})).content.decode()

    assert f"{paid_at.year + 1}" not in body.split("Paid on", 1)[1].split("</dd>", 1)[0]
