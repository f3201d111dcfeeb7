"""Medical records in Chromium: a doctor writes a record with an attachment, the patient
opens it, downloads the attachment and finds the doctor in "Who accessed my data"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from apps.appointments.models import AppointmentStatus
from apps.audit.models import PhiAccessLog, PhiAction
from apps.records.models import MedicalRecord
from tests import factories
from tests.browser_fixtures import log_in
from tests.records.support import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def record_storage(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private-records"
    settings.STORAGES = {
        **settings.STORAGES,
        "records": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": root, "base_url": None}},
    }
    return root


def test_a_doctor_writes_a_record_with_an_attachment_and_the_patient_downloads_it(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, tmp_path: Path,
) -> None:
    patient = factories.PatientFactory.create(name="Bilal Ahmed")
    doctor = factories.DoctorFactory.create(name="Dr Hina Qureshi", specialty="Pulmonologist")
    factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, status=AppointmentStatus.COMPLETED,
        scheduled_at=timezone.now() - timedelta(days=1),
    )
    report = tmp_path / "spirometry-bilal.pdf"
    report.write_bytes(PDF_BYTES)

    # The doctor finds the patient from the dashboard and writes the record.
    doctor_page = new_context().new_page()
    log_in(doctor_page, doctor.email)
    doctor_page.get_by_role("link", name="My patients' records").click()
    doctor_page.get_by_role("link", name="Bilal Ahmed").click()
    doctor_page.get_by_role("link", name="Write a record").click()
    doctor_page.get_by_label("Type").select_option("LAB_RESULT")
    doctor_page.get_by_label("Date").fill(
        timezone.localtime(timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    doctor_page.get_by_label("Diagnosis").fill("Mild obstructive pattern")
    doctor_page.get_by_label("Treatment").fill("Salbutamol inhaler as needed")
    doctor_page.get_by_label("Attachments (PDF, PNG or JPEG)").set_input_files(str(report))
    doctor_page.get_by_role("button", name="Save record").click()
    expect(doctor_page.get_by_text("The record is saved.")).to_be_visible()
    expect(doctor_page.get_by_text("Mild obstructive pattern")).to_be_visible()
    doctor_page.screenshot(path=artifacts_dir / "records-1-doctor-saved.png", full_page=True)
    record = MedicalRecord.objects.get()
    assert record.diagnosis == "Mild obstructive pattern"
    assert "bilal" not in (record.file_urls or [""])[0].lower()

    # The patient opens it from "My records" and downloads the attachment.
    patient_page = new_context().new_page()
    log_in(patient_page, patient.email)
    patient_page.get_by_role("link", name="My records").first.click()
    patient_page.get_by_role("link", name=timezone.localtime(
        record.record_date, timezone.get_default_timezone()).strftime("%-d %b %Y")).click()
    expect(patient_page.get_by_text("Salbutamol inhaler as needed")).to_be_visible()
    expect(patient_page.get_by_text("Dr Hina Qureshi")).to_be_visible()
    patient_page.screenshot(path=artifacts_dir / "records-2-patient-record.png", full_page=True)
    with patient_page.expect_download() as download_info:
        patient_page.get_by_role("link", name="Download attachment 1").click()
    download = download_info.value
    assert download.suggested_filename == f"record-{record.pk}-1.pdf"
    assert Path(download.path()).read_bytes() == PDF_BYTES

    patient_reads = PhiAccessLog.objects.filter(actor=patient, action=PhiAction.VIEW)
    assert patient_reads.count() == 2  # the record page, then the download
    assert not PhiAccessLog.objects.filter(refused=True).exists()

    # "Who accessed my data" names the doctor who wrote the record, and the patient's reads.
    patient_page.get_by_role("link", name="Who accessed my data").first.click()
    table = patient_page.get_by_role("table", name="Accesses to your health information")
    doctor_rows = table.get_by_role("row").filter(has_text="Dr Hina Qureshi")
    expect(doctor_rows.first).to_be_visible()
    expect(doctor_rows.first).to_contain_text("Doctor")
    expect(table.get_by_role("row").filter(has_text="You").first).to_be_visible()
    patient_page.screenshot(path=artifacts_dir / "records-3-access-log.png", full_page=True)
    assert PhiAccessLog.objects.filter(actor=doctor, patient=patient).exists()
