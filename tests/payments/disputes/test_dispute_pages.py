"""The patient's pages: payments, receipts, raising a dispute and following it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.payments import dispute_services as services
from apps.payments.models import Payment, PaymentDispute, PaymentStatus
from tests import factories
from tests.payments.disputes.conftest import client_for
from tests.payments.disputes.support import EXE_BYTES, PDF_BYTES, pdf, png, upload

pytestmark = pytest.mark.django_db


def _dispute(paid: Payment, **kwargs: Any) -> PaymentDispute:
    return services.dispute_raise(actor=paid.payer, payment_id=paid.pk,
                                  reason="Charged twice", **kwargs)


def test_the_patient_raises_a_dispute_with_evidence_and_sees_it(paid: Payment) -> None:
    client = client_for(paid.payer)

    response = client.post(reverse("disputes:raise", args=[paid.pk]),
                           {"reason": "The clinic charged me twice", "evidence": [pdf(), png()]})

    dispute = PaymentDispute.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[dispute.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert b"The clinic charged me twice" in page.content
    assert b"Download evidence 2" in page.content
    assert b"Pending" in page.content
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.DISPUTED


def test_a_disguised_program_is_refused_with_a_message(paid: Payment) -> None:
    response = client_for(paid.payer).post(
        reverse("disputes:raise", args=[paid.pk]),
        {"reason": "Wrong", "evidence": [upload("statement.pdf", EXE_BYTES)]},
    )

    assert response.status_code == 400
    assert "it was refused" in response.content.decode()
    assert not PaymentDispute.objects.exists()


def test_the_raise_page_of_a_disputed_payment_leads_to_its_dispute(paid: Payment) -> None:
    dispute = _dispute(paid)

    response = client_for(paid.payer).get(reverse("disputes:raise", args=[paid.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[dispute.pk])


def test_the_patient_downloads_their_evidence(paid: Payment) -> None:
    dispute = _dispute(paid, evidence=[pdf()])

    response = client_for(paid.payer).get(reverse("disputes:evidence", args=[dispute.pk, 1]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"] == f'attachment; filename="dispute-{dispute.pk}-1.pdf"'


def test_the_doctor_sees_the_dispute_but_not_the_patients_reason_or_files(
    paid: Payment,
) -> None:
    dispute = _dispute(paid, evidence=[pdf()])
    client = client_for(paid.payee)

    page = client.get(reverse("disputes:detail", args=[dispute.pk]))
    evidence = client.get(reverse("disputes:evidence", args=[dispute.pk, 1]))

    assert page.status_code == 200
    assert b"Charged twice" not in page.content
    assert evidence.status_code == 404


@pytest.mark.parametrize("who", ["other_patient", "other_doctor", "staff", "anonymous"])
def test_outsiders_get_404_on_every_patient_page(
    paid: Payment, staff: User, other_patient: User, other_doctor: User, who: str,
) -> None:
    services.payment_receipt_attach(actor=paid.payer, payment_id=paid.pk, upload=png())
    dispute = _dispute(paid, evidence=[pdf()])
    users = {"other_patient": other_patient, "other_doctor": other_doctor, "staff": staff}
    client = client_for(users[who]) if who in users else None
    urls = [
        reverse("disputes:detail", args=[dispute.pk]),
        reverse("disputes:evidence", args=[dispute.pk, 1]),
        reverse("disputes:raise", args=[paid.pk]),
        reverse("disputes:receipt", args=[paid.pk]),
    ]
    if who != "staff":  # staff of the facility may read the receipt (back office)
        urls.append(reverse("disputes:receipt_file", args=[paid.pk]))

    for url in urls:
        if client is None:
            response = Client().get(url)
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert client.get(url).status_code == 404, url


def test_a_missing_evidence_number_is_404(paid: Payment) -> None:
    dispute = _dispute(paid, evidence=[pdf()])

    response = client_for(paid.payer).get(reverse("disputes:evidence", args=[dispute.pk, 2]))

    assert response.status_code == 404


# --- Receipts -----------------------------------------------------------------------------------

def test_the_payer_uploads_a_receipt_that_payer_payee_and_staff_can_download(
    paid: Payment, staff: User, other_staff: User,
) -> None:
    response = client_for(paid.payer).post(reverse("disputes:receipt", args=[paid.pk]),
                                           {"receipt": png("my receipt.png")})

    assert response.status_code == 302
    paid.refresh_from_db()
    assert paid.receipt_image_url and paid.receipt_image_url.endswith(".png")
    assert "receipt" in paid.receipt_image_url and " " not in paid.receipt_image_url
    url = reverse("disputes:receipt_file", args=[paid.pk])
    for reader in (paid.payer, paid.payee, staff):
        download = client_for(reader).get(url)
        assert download.status_code == 200
        assert download["Content-Type"] == "image/png"
    assert client_for(other_staff).get(url).status_code == 404


def test_a_receipt_that_is_a_program_is_refused_with_a_message(paid: Payment) -> None:
    response = client_for(paid.payer).post(
        reverse("disputes:receipt", args=[paid.pk]),
        {"receipt": upload("receipt.png", EXE_BYTES, "image/png")},
    )

    assert response.status_code == 400
    assert "it was refused" in response.content.decode()


def test_no_receipt_is_404(paid: Payment) -> None:
    response = client_for(paid.payer).get(reverse("disputes:receipt_file", args=[paid.pk]))

    assert response.status_code == 404


# --- Query bounds -------------------------------------------------------------------------------

def test_the_payments_page_does_not_grow_with_payments(
    patient: User, django_assert_max_num_queries: Any,
) -> None:
    for number in range(8):
        payment = factories.PaidPaymentFactory(
            appointment=factories.AppointmentFactory(patient=patient, status="COMPLETED"))
        if number % 2:
            _dispute(payment)
    client = client_for(patient)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("disputes:mine"))

    assert response.status_code == 200
    assert response.content.count(b"Pending") == 4
    assert response.content.count(b"Dispute this payment") == 4


def test_the_dispute_page_is_query_bounded(
    paid: Payment, staff: User, django_assert_max_num_queries: Any,
) -> None:
    dispute = _dispute(paid, evidence=[pdf(), pdf()])
    services.dispute_investigate(actor=staff, dispute_id=dispute.pk, note="Looking")
    client = client_for(paid.payer)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("disputes:detail", args=[dispute.pk]))

    assert response.status_code == 200
    assert b"Looking" in response.content


def test_the_payments_page_is_for_patients(doctor: User) -> None:
    assert client_for(doctor).get(reverse("disputes:mine")).status_code == 404


def test_the_payment_page_links_the_payer_to_receipt_and_dispute(
    paid: Payment, django_assert_max_num_queries: Any,
) -> None:
    url = reverse("payments:detail", kwargs={"payment_id": paid.pk})
    client = client_for(paid.payer)

    before = client.get(url).content.decode()
    dispute = _dispute(paid)
    with django_assert_max_num_queries(4):
        after = client.get(url).content.decode()
    doctor = client_for(paid.payee).get(url).content.decode()

    assert reverse("disputes:raise", args=[paid.pk]) in before
    assert reverse("disputes:receipt", args=[paid.pk]) in before
    assert reverse("disputes:detail", args=[dispute.pk]) in after
    assert reverse("disputes:raise", args=[paid.pk]) not in after
    assert reverse("disputes:raise", args=[paid.pk]) not in doctor
