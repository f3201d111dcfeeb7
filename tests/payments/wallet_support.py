"""Shared set-up for the wallet and refund tests: payments, wallet money, a fake gateway."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from itertools import count
from typing import Any

import pytest

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.payments import refunds
from apps.payments.models import Payment, PaymentMethod, PaymentStatus, WalletReason
from apps.payments.wallet import wallet_credit

_txn = count(1)


def make_payment(
    appointment: Appointment,
    *,
    amount: str = "1500.00",
    status: str = PaymentStatus.COMPLETED,
    method: str = PaymentMethod.JAZZCASH,
    with_txn: bool = True,
) -> Payment:
    """The appointment's payment, as payjc's booking and callback would leave it."""
    return Payment.objects.create(
        appointment=appointment, payer=appointment.patient, payee=appointment.doctor,
        amount=Decimal(amount), payment_method=method, status=status,
        transaction_id=f"T2026{next(_txn):010d}" if with_txn and status != "PENDING" else None,
    )


def fund(user: User, amount: str) -> None:
    wallet_credit(user=user, amount=Decimal(amount), reason=WalletReason.ADJUSTMENT,
                  note="test top-up")


@dataclass
class FakeGateway:
    """Plays JazzCash's refund API: records every call, answers as told."""

    ok: bool = True
    pending: bool = False
    response_code: str = "000"
    calls: list[tuple[str, Decimal]] = field(default_factory=list)

    def request_refund(self, *, txn_ref_no: str, amount: Decimal) -> Any:
        self.calls.append((txn_ref_no, amount))
        return self

    @property
    def message(self) -> str:
        return "fake"


@pytest.fixture
def refund_gateway(monkeypatch: pytest.MonkeyPatch) -> FakeGateway:
    fake = FakeGateway()
    monkeypatch.setattr(refunds, "_gateway", lambda: fake)
    return fake
