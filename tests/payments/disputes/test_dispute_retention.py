"""Retention: a payment purged after ten years takes its receipt and evidence files along."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.core import retention
from apps.payments import dispute_services as services
from apps.payments.models import Payment
from tests import factories
from tests.payments.disputes.support import pdf, png

pytestmark = pytest.mark.django_db(transaction=True)


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_a_purged_payment_takes_its_receipt_and_evidence_files(payment_storage: Path) -> None:
    old = factories.PaidPaymentFactory()
    young = factories.PaidPaymentFactory()
    for payment in (old, young):
        services.payment_receipt_attach(actor=payment.payer, payment_id=payment.pk,
                                        upload=png())
        services.dispute_raise(actor=payment.payer, payment_id=payment.pk, reason="Wrong",
                               evidence=[pdf(), pdf()])
    cutoff = timezone.now() - timedelta(days=1)
    Payment.objects.filter(pk=old.pk).update(created_at=cutoff - timedelta(days=1))
    assert len(_files(payment_storage)) == 6

    assert retention.payments_purge(older_than=cutoff, batch_size=10) == 1

    left = {path.relative_to(payment_storage).parts[1] for path in _files(payment_storage)}
    assert left == {str(young.pk)}
    assert len(_files(payment_storage)) == 3
