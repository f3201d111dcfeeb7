"""Two submissions of the same dispute at once, and two staff deciding at once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from apps.accounts.models import User
from apps.payments import dispute_services as services
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentStatus,
    Refund,
)
from tests import factories
from tests.concurrency import race
from tests.payments.disputes.support import pdf

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_a_double_submitted_dispute_is_saved_once_and_the_losers_files_removed(
    paid: Payment, payment_storage: Path,
) -> None:
    def submit() -> PaymentDispute:
        return services.dispute_raise(actor=paid.payer, payment_id=paid.pk,
                                      reason="Charged twice", evidence=[pdf()])

    results = race([submit] * 4)

    saved = [result for result in results if isinstance(result, PaymentDispute)]
    refused = [result for result in results if isinstance(result, services.DisputeError)]
    assert (len(saved), len(refused)) == (1, 3), results
    assert PaymentDispute.objects.count() == 1
    assert PaymentDisputeHistory.objects.count() == 1
    files = [path for path in payment_storage.rglob("*") if path.is_file()]
    assert [path.name for path in files] == [
        Path((saved[0].evidence_urls or [""])[0]).name]


def test_two_staff_resolving_at_once_refund_once(paid: Payment, staff: User) -> None:
    colleague = factories.StaffFactory(facility=staff.facility)
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong")
    services.dispute_investigate(actor=staff, dispute_id=dispute.pk)

    def resolve(actor: User) -> PaymentDispute:
        return services.dispute_resolve(actor=actor, dispute_id=dispute.pk, note="Refund",
                                        refund_amount=Decimal("1500.00"), destination="WALLET")

    results = race([lambda: resolve(staff), lambda: resolve(colleague)])

    assert sum(isinstance(result, PaymentDispute) for result in results) == 1, results
    assert sum(isinstance(result, services.DisputeError) for result in results) == 1, results
    assert Refund.objects.filter(payment=paid).count() == 1
    paid.refresh_from_db()
    assert (paid.status, paid.refund_amount) == (PaymentStatus.COMPLETED, Decimal("1500.00"))
    assert PaymentDispute.objects.get().status == DisputeStatus.RESOLVED
