"""Prescriptions in Chromium: a doctor writes one with the formset, watches the interaction
and allergy warnings appear while typing, acknowledges the critical one and signs it; the
patient finds it in "My prescriptions" and downloads the PDF, whose QR URL verifies."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader

from apps.appointments.models import AppointmentStatus
from apps.prescriptions import qr
from apps.prescriptions.models import ESignStatus, Prescription, Severity
from apps.prescriptions.selectors import unacknowledged_critical_count
from tests import factories
from tests.browser_fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def fill_row(page: Page, index: int, name: str, dosage: str, frequency: str,
             duration: str) -> None:
    page.locator(f'[name="medications-{index}-name"]').fill(name)
    page.locator(f'[name="medications-{index}-dosage"]').fill(dosage)
    page.locator(f'[name="medications-{index}-frequency"]').fill(frequency)
    page.locator(f'[name="medications-{index}-duration"]').fill(duration)


def test_a_doctor_writes_and_signs_the_patient_downloads_the_pdf_and_its_qr_verifies(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, tmp_path: Path,
) -> None:
    patient = factories.PatientFactory.create(name="Sana Iqbal", allergies="Penicillin")
    doctor = factories.DoctorFactory.create(name="Dr Kamran Butt", specialty="Cardiologist")
    appointment = factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, status=AppointmentStatus.COMPLETED,
        scheduled_at=timezone.now() - timedelta(days=1),
    )

    # From the appointment, the doctor opens the prescription form.
    page = new_context().new_page()
    log_in(page, doctor.email)
    page.goto(f"/appointments/{appointment.pk}/")
    page.get_by_role("link", name="Write a prescription").click()
    expect(page.get_by_role("heading", name="Write a prescription")).to_be_visible()
    live = page.locator("#live-check")

    # Warfarin, then aspirin: the interaction appears while typing, before any save.
    fill_row(page, 0, "Warfarin 5mg", "5 mg", "once daily", "30 days")
    fill_row(page, 1, "Aspirin 75mg", "75 mg", "once daily", "30 days")
    interaction = live.locator('[data-type="INTERACTION"]')
    expect(interaction).to_have_count(1)
    expect(interaction).to_have_attribute("data-severity", Severity.HIGH.value)
    expect(interaction).to_contain_text("Warfarin 5mg and Aspirin 75mg")

    # Autocomplete offers the bundled names; the penicillin allergy flags amoxicillin.
    page.locator('[name="medications-2-name"]').press_sequentially("amox", delay=30)
    expect(page.locator('#drug-suggestions option[value="amoxicillin"]')).to_have_count(1)
    fill_row(page, 2, "Amoxicillin 500mg", "500 mg", "three times daily", "5 days")
    allergy = live.locator('[data-type="ALLERGY"]')
    expect(allergy).to_have_attribute("data-severity", Severity.CRITICAL.value)
    assert not Prescription.objects.exists()
    page.screenshot(path=artifacts_dir / "prescriptions-1-live-warnings.png", full_page=True)

    page.get_by_label("Instructions for the patient").fill("Check INR weekly")
    page.get_by_role("button", name="Save prescription").click()
    expect(page.get_by_text("The prescription is saved.")).to_be_visible()
    prescription = Prescription.objects.get()
    assert unacknowledged_critical_count(prescription.pk) == 1

    # The critical allergy warning is acknowledged with a reason on the prescription page.
    page.get_by_label("Why is this prescription still appropriate?").fill(
        "Negative penicillin skin test in 2025")
    page.get_by_role("button", name="Acknowledge this critical warning").click()
    expect(page.get_by_text("The warning is acknowledged.")).to_be_visible()
    expect(page.get_by_text("Negative penicillin skin test in 2025")).to_be_visible()
    assert unacknowledged_critical_count(prescription.pk) == 0
    page.screenshot(path=artifacts_dir / "prescriptions-2-acknowledged.png", full_page=True)

    # Signed from the same page: it can no longer be edited.
    page.get_by_role("button", name="Sign prescription").click()
    expect(page.get_by_test_id("sign-status")).to_have_text("Signed")
    expect(page.get_by_role("link", name="Edit this prescription")).to_have_count(0)
    assert Prescription.objects.get().e_sign_status == ESignStatus.SIGNED

    # The patient finds it under "My prescriptions" and opens it.
    patient_page = new_context().new_page()
    log_in(patient_page, patient.email)
    patient_page.get_by_role("link", name="My prescriptions").first.click()
    row = patient_page.get_by_role("row").filter(has_text="Dr Kamran Butt")
    expect(row).to_contain_text("Warfarin 5mg, Aspirin 75mg, Amoxicillin 500mg")
    row.get_by_role("link").click()
    expect(patient_page.get_by_text("Check INR weekly")).to_be_visible()
    patient_page.screenshot(path=artifacts_dir / "prescriptions-3-patient.png", full_page=True)

    # The patient downloads the PDF; its QR code's URL verifies on the public page.
    with patient_page.expect_download() as download_info:
        patient_page.get_by_role("link", name="Download PDF").click()
    saved = tmp_path / "prescription.pdf"
    download_info.value.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "Warfarin 5mg" in text and "Amoxicillin 500mg" in text
    check_path = patient_page.get_by_role(
        "link", name="Check this prescription").get_attribute("href") or ""
    qr_png = patient_page.get_by_role("img", name="QR code to check this prescription")
    source = qr_png.get_attribute("src") or ""
    assert base64.b64decode(source.split(",", 1)[1]) == qr.qr_png(
        settings.SITE_URL.rstrip("/") + check_path)
    pharmacy = new_context().new_page()  # anyone, not signed in
    pharmacy.goto(check_path)
    expect(pharmacy.get_by_test_id("verdict")).to_contain_text("Genuine")
    expect(pharmacy.get_by_text("Sana")).to_have_count(0)
    pharmacy.screenshot(path=artifacts_dir / "prescriptions-4-verified.png", full_page=True)
