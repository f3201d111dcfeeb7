"""Prescription signing in Chromium: the doctor signs, the patient downloads the PDF, and
the QR code's URL opens the public check page, which says "Genuine"."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import BrowserContext, expect
from pypdf import PdfReader

from apps.prescriptions import qr
from apps.prescriptions.models import ESignStatus, Prescription
from tests import factories
from tests.browser_fixtures import log_in
from tests.prescriptions.signing_support import make_prescription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_doctor_signs_the_patient_downloads_and_the_qr_url_verifies(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, tmp_path: Path,
) -> None:
    patient = factories.PatientFactory(name="Bilal Ahmed")
    doctor = factories.DoctorFactory(name="Dr Hina Qureshi")
    prescription = make_prescription(doctor=doctor, patient=patient)
    panel = f"/prescriptions/{prescription.pk}/signature/"

    doctor_page = new_context().new_page()
    log_in(doctor_page, doctor.email)
    doctor_page.goto(panel)
    expect(doctor_page.get_by_test_id("sign-status")).to_have_text("Pending")
    doctor_page.get_by_role("button", name="Sign prescription").click()
    expect(doctor_page.get_by_text("Prescription signed.")).to_be_visible()
    expect(doctor_page.get_by_test_id("sign-status")).to_have_text("Signed")
    doctor_page.screenshot(path=str(artifacts_dir / "prescription-signed.png"))
    assert Prescription.objects.get(pk=prescription.pk).e_sign_status == ESignStatus.SIGNED

    patient_page = new_context().new_page()
    log_in(patient_page, patient.email)
    patient_page.goto(panel)
    expect(patient_page.get_by_role("button", name="Sign prescription")).to_have_count(0)
    with patient_page.expect_download() as download_info:
        patient_page.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "prescription.pdf"
    download_info.value.save_as(saved)
    reader = PdfReader(io.BytesIO(saved.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Amoxicillin" in text and "Paracetamol" in text and "Dr Hina Qureshi" in text

    # The QR image on the page is the PNG of the site URL of the "Check" link.
    check_link = patient_page.get_by_role("link", name="Check this prescription")
    path = check_link.get_attribute("href") or ""
    image = patient_page.get_by_role("img", name="QR code to check this prescription")
    source = image.get_attribute("src") or ""
    assert base64.b64decode(source.split(",", 1)[1]) == qr.qr_png(
        settings.SITE_URL.rstrip("/") + path)

    pharmacy_page = new_context().new_page()  # anyone, not logged in
    pharmacy_page.goto(path)
    expect(pharmacy_page.get_by_test_id("verdict")).to_contain_text("Genuine")
    expect(pharmacy_page.get_by_test_id("verdict")).not_to_contain_text("Not genuine")
    expect(pharmacy_page.get_by_role("cell", name="Amoxicillin")).to_be_visible()
    expect(pharmacy_page.get_by_text("Initials BA")).to_be_visible()
    expect(pharmacy_page.get_by_text("Bilal")).to_have_count(0)
    pharmacy_page.screenshot(path=str(artifacts_dir / "prescription-verified.png"))

    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    pharmacy_page.goto(tampered)
    expect(pharmacy_page.get_by_test_id("verdict")).to_contain_text("Not genuine")
