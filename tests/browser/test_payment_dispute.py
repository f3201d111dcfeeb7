"""Payment disputes in Chromium: a patient disputes a paid consultation with evidence from
its payment page, and staff of the clinic investigate and resolve it with a partial refund
to the wallet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from apps.facilities.models import DoctorFacility
from apps.payments.models import (
    DisputeStatus,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentStatus,
    Refund,
)
from apps.payments.wallet import wallet_balance
from tests import factories
from tests.browser_fixtures import log_in
from tests.records.support import PDF_BYTES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def payment_storage(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "private-payments"
    settings.STORAGES = {
        **settings.STORAGES,
        "payments": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                     "OPTIONS": {"location": root, "base_url": None}},
    }
    return root


def test_a_patient_disputes_a_payment_and_staff_resolve_it_with_a_partial_refund(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, tmp_path: Path,
) -> None:
    facility = factories.FacilityFactory.create(name="Gulberg Family Clinic")
    staff = factories.StaffFactory.create(facility=facility, name="Sana Malik")
    patient = factories.PatientFactory.create(name="Imran Yousaf")
    doctor = factories.DoctorFactory.create(name="Dr Farah Siddiqui")
    DoctorFacility.objects.create(doctor=doctor, facility=facility)
    payment = factories.PaidPaymentFactory.create(
        appointment=factories.AppointmentFactory.create(
            patient=patient, doctor=doctor, facility=facility, consultation_type="IN_PERSON",
            status="COMPLETED", scheduled_at=timezone.now() - timedelta(days=2)),
        amount=Decimal("3000.00"),
    )
    statement = tmp_path / "bank-statement.pdf"
    statement.write_bytes(PDF_BYTES)

    # The patient disputes the payment from "Payments and disputes", attaching a statement.
    patient_page = new_context().new_page()
    log_in(patient_page, patient.email)
    patient_page.goto("/payments/")  # payjc's "Payments" (its nav link arrives with h/payjc)
    patient_page.get_by_role("link", name=f"#{payment.pk}", exact=True).click()
    patient_page.get_by_role("link", name="Dispute this payment").click()
    patient_page.get_by_label("What is wrong with this payment?").fill(
        "I was charged twice for the same visit.")
    patient_page.get_by_label("Evidence (PDF, PNG or JPEG)").set_input_files(str(statement))
    patient_page.get_by_role("button", name="Send the dispute").click()
    expect(patient_page.get_by_text("Your dispute is sent.")).to_be_visible()
    expect(patient_page.get_by_role("link", name="Download evidence 1")).to_be_visible()
    patient_page.screenshot(path=artifacts_dir / "dispute-1-patient-raised.png", full_page=True)
    dispute = PaymentDispute.objects.get()
    assert dispute.status == DisputeStatus.PENDING

    # Staff of the clinic find it in the queue, take it up and resolve it with a refund.
    staff_page = new_context().new_page()
    log_in(staff_page, staff.email)
    staff_page.get_by_role("link", name="Payment disputes").click()
    staff_page.get_by_role("link", name=f"Dispute #{dispute.pk}").click()
    expect(staff_page.get_by_text("I was charged twice for the same visit.")).to_be_visible()
    with staff_page.expect_download() as download:
        staff_page.get_by_role("link", name="Download evidence 1").click()
    assert Path(download.value.path()).read_bytes() == PDF_BYTES
    staff_page.get_by_label("Notes").fill("Checking the gateway report")
    staff_page.get_by_role("button", name="Start investigating").click()
    expect(staff_page.get_by_text("The dispute is updated.")).to_be_visible()
    staff_page.get_by_label("Refund amount (PKR)").fill("1500.00")
    staff_page.get_by_label("Refund to").select_option("WALLET")
    staff_page.get_by_label("Resolution notes").fill("The second charge is refunded.")
    staff_page.get_by_role("button", name="Resolve and refund").click()
    expect(staff_page.get_by_text("The dispute is updated.")).to_be_visible()
    expect(staff_page.get_by_text("Status: Resolved")).to_be_visible()
    staff_page.screenshot(path=artifacts_dir / "dispute-2-staff-resolved.png", full_page=True)

    dispute.refresh_from_db()
    payment.refresh_from_db()
    assert (dispute.status, dispute.resolved_by_id) == (DisputeStatus.RESOLVED, staff.pk)
    assert (payment.status, payment.refund_amount) == (PaymentStatus.COMPLETED,
                                                       Decimal("1500.00"))
    assert Refund.objects.get().dispute_id == dispute.pk
    assert wallet_balance(patient) == Decimal("1500.00")
    assert list(PaymentDisputeHistory.objects.filter(dispute=dispute)
                .values_list("to_status", flat=True)) == ["PENDING", "INVESTIGATING", "RESOLVED"]

    # The patient sees the decision and its history.
    patient_page.reload()
    expect(patient_page.get_by_text("Status: Resolved")).to_be_visible()
    expect(patient_page.get_by_text("The second charge is refunded.").first).to_be_visible()
