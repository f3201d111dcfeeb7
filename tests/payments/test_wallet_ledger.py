"""The wallet ledger: credits, debits, a balance that never goes below zero, even racing."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from apps.payments import wallet
from apps.payments.models import WalletEntry, WalletEntryType, WalletReason
from apps.payments.wallet import InsufficientBalance, WalletAmountInvalid, wallet_balance
from tests import factories
from tests.concurrency import race
from tests.payments.wallet_support import fund


@pytest.mark.django_db
def test_the_balance_is_the_running_total_of_credits_and_debits() -> None:
    patient = factories.PatientFactory.create()
    assert wallet_balance(patient) == Decimal("0.00")

    fund(patient, "100.00")
    fund(patient, "50.50")
    wallet.wallet_debit(user=patient, amount=Decimal("20.25"), reason=WalletReason.PAYMENT)

    assert wallet_balance(patient) == Decimal("130.25")
    lines = list(WalletEntry.objects.filter(user=patient).order_by("id"))
    assert [(e.entry_type, e.balance_after) for e in lines] == [
        (WalletEntryType.CREDIT, Decimal("100.00")),
        (WalletEntryType.CREDIT, Decimal("150.50")),
        (WalletEntryType.DEBIT, Decimal("130.25")),
    ]


@pytest.mark.django_db
def test_a_debit_larger_than_the_balance_is_refused_and_writes_nothing() -> None:
    patient = factories.PatientFactory.create()
    fund(patient, "10.00")

    with pytest.raises(InsufficientBalance):
        wallet.wallet_debit(user=patient, amount=Decimal("10.01"), reason=WalletReason.PAYMENT)

    assert wallet_balance(patient) == Decimal("10.00")
    assert WalletEntry.objects.filter(user=patient).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("amount", ["0", "-5", "1.001", "NaN", "100000000.00"])
def test_an_amount_that_is_not_positive_money_is_refused(amount: str) -> None:
    patient = factories.PatientFactory.create()
    with pytest.raises(WalletAmountInvalid):
        fund(patient, amount)
    assert not WalletEntry.objects.filter(user=patient).exists()


@pytest.mark.django_db
def test_one_users_money_is_not_another_users_balance() -> None:
    rich, poor = factories.PatientFactory.create(), factories.PatientFactory.create()
    fund(rich, "500.00")
    assert wallet_balance(poor) == Decimal("0.00")
    with pytest.raises(InsufficientBalance):
        wallet.wallet_debit(user=poor, amount=Decimal("1.00"), reason=WalletReason.PAYMENT)


@pytest.mark.django_db
def test_the_database_refuses_a_negative_balance_or_a_zero_amount() -> None:
    patient = factories.PatientFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletEntry.objects.create(user=patient, entry_type=WalletEntryType.DEBIT,
                                   amount=Decimal("1"), balance_after=Decimal("-1"),
                                   reason=WalletReason.PAYMENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        WalletEntry.objects.create(user=patient, entry_type=WalletEntryType.CREDIT,
                                   amount=Decimal("0"), balance_after=Decimal("0"),
                                   reason=WalletReason.ADJUSTMENT)


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_twenty_concurrent_debits_of_one_against_five_exactly_five_succeed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = factories.PatientFactory.create()
    fund(patient, "5.00")
    real_balance = wallet._balance

    def slow_balance(user_id: int) -> Decimal:
        # Without the user-row lock every thread would read 5 here before any writes.
        value = real_balance(user_id)
        time.sleep(0.05)
        return value

    monkeypatch.setattr(wallet, "_balance", slow_balance)

    def debit() -> WalletEntry:
        return wallet.wallet_debit(user=patient, amount=Decimal("1.00"),
                                   reason=WalletReason.PAYMENT)

    results = race([debit for _ in range(20)])

    succeeded = [r for r in results if isinstance(r, WalletEntry)]
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert len(succeeded) == 5, results
    assert len(refused) == 15, results
    monkeypatch.setattr(wallet, "_balance", real_balance)
    assert wallet_balance(patient) == Decimal("0.00")
    debits = WalletEntry.objects.filter(user=patient, entry_type=WalletEntryType.DEBIT)
    assert sorted(debits.values_list("balance_after", flat=True)) == [
        Decimal(n) for n in ("0.00", "1.00", "2.00", "3.00", "4.00")
    ]
