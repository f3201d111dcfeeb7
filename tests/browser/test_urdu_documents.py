"""Urdu in printable documents, in Chromium: a patient with an Urdu name downloads the PDF
of a signed prescription written partly in Urdu, and the receipt of a completed payment."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext
from pypdf import PdfReader

from apps.appointments.models import AppointmentStatus
from apps.payments.models import Payment, PaymentMethod, PaymentStatus
from apps.prescriptions import signing
from tests import factories
from tests.browser_fixtures import log_in
from tests.prescriptions.signing_support import make_prescription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_a_patient_with_an_urdu_name_downloads_the_prescription_and_the_receipt(
    new_context: Callable[[], BrowserContext], tmp_path: Path,
) -> None:
    patient = factories.PatientFactory(name="محمد علی خان")
    doctor = factories.DoctorFactory(name="ڈاکٹر عائشہ صدیقی")
    appointment = factories.AppointmentFactory(patient=patient, doctor=doctor,
                                               status=AppointmentStatus.COMPLETED)
    prescription = make_prescription(
        doctor=doctor, patient=patient, instructions="کھانے کے بعد",
        medications=(("Amoxicillin", "دو گولیاں", "دن میں تین بار", "7 days"),))
    signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
    payment = Payment.objects.create(
        appointment=appointment, payer=patient, payee=doctor, amount=Decimal("1800.00"),
        payment_method=PaymentMethod.JAZZCASH, transaction_id="T20261204000001",
        status=PaymentStatus.COMPLETED,
    )

    page = new_context().new_page()
    log_in(page, patient.email)
    page.goto(f"/prescriptions/{prescription.pk}/signature/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "prescription.pdf"
    download_info.value.save_as(saved)
    text = pdf_text(saved)
    assert "Amoxicillin" in text and "گولیاں" in text and "کھانے" in text
    assert f"PMDC number: {doctor.pmdc_license_number}" in text

    receipt_url = reverse("receipts:pdf", kwargs={"payment_id": payment.pk})
    with page.expect_download() as download_info:
        page.evaluate("url => { window.location.href = url; }", receipt_url)
    download = download_info.value
    assert download.suggested_filename == f"receipt-HL-R-{payment.pk:08d}.pdf"
    saved = tmp_path / "receipt.pdf"
    download.save_as(saved)
    text = pdf_text(saved)
    assert "محمد" in text and "عائشہ" in text
    assert "PKR 1,800.00" in text and "T20261204000001" in text
