"""The retention job deletes old payments with their refunds; wallet lines stay, unlinked."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.core import retention
from apps.payments.models import Payment, PaymentMethod, Refund, WalletEntry
from apps.payments.refunds import refund_payment
from apps.payments.wallet import wallet_balance
from tests import factories
from tests.payments.wallet_support import make_payment

pytestmark = pytest.mark.django_db


def test_purging_an_old_refunded_payment_keeps_the_wallet_balance() -> None:
    cutoff = timezone.now() - timedelta(days=3650)
    old = make_payment(factories.AppointmentFactory.create(), amount="900.00",
                       method=PaymentMethod.WALLET)
    refund = refund_payment(payment_id=old.pk, amount=Decimal("400.00"), destination="WALLET",
                            actor=old.payee, reason="test")
    Payment.objects.filter(pk=old.pk).update(created_at=cutoff - timedelta(days=1))
    line = WalletEntry.objects.get(refund=refund)

    assert retention.payments_purge(older_than=cutoff, batch_size=10) == 1

    assert not Payment.objects.filter(pk=old.pk).exists()
    assert not Refund.objects.filter(pk=refund.pk).exists()
    line.refresh_from_db()
    assert (line.payment_id, line.refund_id) == (None, None)
    assert wallet_balance(old.payer) == Decimal("400.00")
