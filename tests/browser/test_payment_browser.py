"""Paying in Chromium: the patient books, pays through the local JazzCash simulator, and
sees the payment COMPLETED with its receipt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from apps.payments.models import Payment, PaymentStatus
from tests import factories
from tests.browser_fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def simulator(live_server: Any) -> Iterator[None]:
    base = f"{live_server.url}/payments/simulator"
    with override_settings(
        JAZZCASH_SIMULATOR=True, JAZZCASH_MERCHANT_ID="MC-BROWSER",
        JAZZCASH_PASSWORD="browser-password", JAZZCASH_INTEGRITY_SALT="browser-salt",
        JAZZCASH_POST_URL=f"{base}/pay/", JAZZCASH_STATUS_INQUIRY_URL=f"{base}/api/inquire/",
        JAZZCASH_REFUND_URL=f"{base}/api/refund/",
    ):
        yield


def test_a_patient_books_and_pays_through_the_simulator(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, simulator: None,
) -> None:
    doctor = factories.DoctorFactory.create(name="Dr Rabia Anwar",
                                            consultation_fee=Decimal("2500.00"))
    factories.available_all_week(doctor)
    patient = factories.PatientFactory.create(name="Kashif Mehmood")
    slot = (timezone.now() + timedelta(days=2)).astimezone(UTC).replace(
        hour=6, minute=0, second=0, microsecond=0)

    page = new_context().new_page()
    log_in(page, patient.email)
    page.goto(f"/appointments/book/{doctor.pk}/?consultation_type=VIDEO_CALL")
    radio = page.locator(f'input[name="slot"][value="{slot.isoformat()}"]')
    for _ in range(2):
        if radio.count():
            break
        page.get_by_role("link", name="Next week").click()
    radio.check()
    page.get_by_role("button", name="Book appointment").click()
    page.wait_for_url("**/appointments/*/")
    expect(page.locator(".messages")).to_contain_text("Your appointment is booked.")

    # The appointment leads to its payment; the patient chooses JazzCash.
    page.get_by_role("link", name="Payment for this consultation (pay here)").click()
    expect(page.locator("main")).to_contain_text("PKR 2500.00")
    expect(page.locator("main")).to_contain_text("Pending")
    page.get_by_role("link", name="Pay now").click()
    page.get_by_label("JazzCash mobile wallet").check()
    page.screenshot(path=artifacts_dir / "payment-1-checkout.png", full_page=True)
    page.get_by_role("button", name="Pay with JazzCash").click()

    # The browser is posted on to the (simulated) gateway, where the payment is approved.
    expect(page.get_by_role("heading", name="JazzCash simulator")).to_be_visible()
    expect(page.locator("main")).to_contain_text("250000 paisa")
    page.screenshot(path=artifacts_dir / "payment-2-simulator.png", full_page=True)
    page.get_by_role("button", name="Approve").click()

    # The gateway posts the browser back; the portal verifies the answer.
    expect(page.get_by_role("heading", name="Payment complete")).to_be_visible()
    page.screenshot(path=artifacts_dir / "payment-3-result.png", full_page=True)
    page.get_by_role("link", name="Go to the payment").click()
    expect(page.locator("main")).to_contain_text("Completed")
    page.get_by_role("link", name="Receipt", exact=True).click()
    receipt = page.locator("main")
    expect(receipt).to_contain_text("Receipt")
    expect(receipt).to_contain_text("PKR 2500.00")
    expect(receipt).to_contain_text("Dr Rabia Anwar")
    page.screenshot(path=artifacts_dir / "payment-4-receipt.png", full_page=True)

    payment = Payment.objects.get(payer=patient)
    assert payment.status == PaymentStatus.COMPLETED
    assert payment.payment_method == "JAZZCASH"
    assert payment.history.filter(status=PaymentStatus.COMPLETED).count() == 1
