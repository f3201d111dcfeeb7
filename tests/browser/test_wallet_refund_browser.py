"""Wallet and refunds in Chromium: a patient pays a booking from the wallet, cancels a
JazzCash-paid one asking for the refund in the wallet, and sees both in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from apps.appointments.models import AppointmentStatus
from apps.payments.models import PaymentMethod, PaymentStatus
from apps.payments.wallet import wallet_balance
from tests import factories
from tests.browser.test_scheduling import log_in
from tests.payments.wallet_support import fund, make_payment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_patient_pays_from_the_wallet_then_cancels_and_sees_the_refund(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path
) -> None:
    patient = factories.PatientFactory.create(name="Sana Iqbal")
    doctor = factories.DoctorFactory.create(name="Dr Omar Farooq")
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    by_wallet = factories.AppointmentFactory.create(patient=patient, doctor=doctor,
                                                    scheduled_at=start)
    by_jazzcash = factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, scheduled_at=start + timedelta(days=1))
    unpaid = make_payment(by_wallet, amount="1500.00", status=PaymentStatus.PENDING)
    paid = make_payment(by_jazzcash, amount="2500.00", method=PaymentMethod.JAZZCASH)
    fund(patient, "2000.00")

    page = new_context().new_page()
    log_in(page, patient.email)

    # Pay the first booking from the wallet, on the checkout page.
    page.goto(f"/payments/{unpaid.pk}/pay/")
    page.get_by_role("button", name="Pay from my HealthLink wallet").click()
    page.wait_for_url("**/wallet/")
    expect(page.get_by_text("Paid from your HealthLink wallet.")).to_be_visible()
    expect(page.locator("#wallet-balance")).to_have_text("PKR 500.00")

    # Cancel the second one, asking for the refund in the wallet.
    page.goto(f"/appointments/{by_jazzcash.pk}/")
    page.get_by_label("HealthLink wallet").check()
    page.screenshot(path=artifacts_dir / "wallet-0-cancel-form.png", full_page=True)
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.get_by_text("The appointment is cancelled.")).to_be_visible()

    # The ledger, from the menu, shows the refund on top and the new balance.
    page.get_by_role("link", name="Wallet").first.click()
    expect(page.locator("#wallet-balance")).to_have_text("PKR 3000.00")
    newest = page.locator("#wallet-ledger tbody tr").first
    expect(newest).to_contain_text("Refund")
    expect(newest).to_contain_text("PKR 2500.00")
    expect(page.locator("#wallet-ledger tbody tr")).to_have_count(3)
    page.screenshot(path=artifacts_dir / "wallet-1-ledger.png", full_page=True)

    by_jazzcash.refresh_from_db()
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert by_jazzcash.status == AppointmentStatus.CANCELLED
    assert paid.status == PaymentStatus.REFUNDED and paid.refund_amount == Decimal("2500.00")
    assert unpaid.status == PaymentStatus.COMPLETED
    assert unpaid.payment_method == PaymentMethod.WALLET
    assert wallet_balance(patient) == Decimal("3000.00")
