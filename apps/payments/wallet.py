"""The wallet: a per-user ledger of credits and debits whose balance never goes below zero.

Every change locks the user's row (SELECT … FOR UPDATE) before it reads the balance, so
concurrent debits are serialised and each one sees the balance the last one left. The same
lock comes first in every payment service (user row, then payment row), the order the
appointment services use too, so a cancel racing a wallet payment cannot deadlock.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Role, User
from apps.appointments.models import AppointmentStatus
from apps.core.errors import RuleError
from apps.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    WalletEntry,
    WalletEntryType,
    WalletReason,
)
from apps.payments.money import CENT

logger = logging.getLogger(__name__)

WALLET_MAX = Decimal("99999999.99")


class InsufficientBalance(RuleError):
    default_message = _("Your wallet balance is too low to pay this. Top it up or pay "
                        "another way.")


class WalletAmountInvalid(RuleError):
    default_message = _("Enter an amount above zero with at most two decimal places.")
    field = "amount"


class WalletLimitExceeded(RuleError):
    default_message = _("This would take the wallet past its limit of PKR 99999999.99, so "
                        "it cannot be credited.")
    field = "amount"


class PaymentNotPayable(RuleError):
    default_message = _("This payment cannot be paid now: it is no longer pending.")


class GatewayAttemptOpen(RuleError):
    default_message = _("A JazzCash payment for this booking is still in progress. Wait "
                        "until it has finished or failed before paying from your wallet.")


def lock_user(user_id: int) -> None:
    """Hold the user's row until the transaction ends: the wallet's one lock."""
    list(User.all_objects.select_for_update().filter(pk=user_id).values_list("pk"))


def _balance(user_id: int) -> Decimal:
    latest = (
        WalletEntry.objects.filter(user_id=user_id)
        .order_by("-id")  # ids are drawn under the user's lock: their order is the ledger's
        .values_list("balance_after", flat=True)
        .first()
    )
    return latest if latest is not None else Decimal("0.00")


def wallet_balance(user: User) -> Decimal:
    """The balance now: the running total on the newest ledger line (0 with none)."""
    return _balance(user.pk)


def _check_amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise WalletAmountInvalid()
    if amount <= 0 or amount != amount.quantize(CENT) or amount > WALLET_MAX:
        raise WalletAmountInvalid()
    return amount.quantize(CENT)


def ledger_append(
    *,
    user_id: int,
    entry_type: WalletEntryType,
    amount: Decimal,
    reason: WalletReason,
    payment: Payment | None = None,
    refund: Refund | None = None,
    note: str = "",
    created_by: User | None = None,
) -> WalletEntry:
    """Append one line; the caller holds the user's lock inside a transaction."""
    amount = _check_amount(amount)
    balance = _balance(user_id)
    if entry_type == WalletEntryType.DEBIT:
        if amount > balance:
            raise InsufficientBalance()
        after = balance - amount
    else:
        after = balance + amount
        if after > WALLET_MAX:
            logger.info("wallet credit refused reason=limit user=%s", user_id)
            raise WalletLimitExceeded()
    return WalletEntry.objects.create(
        user_id=user_id, entry_type=entry_type, amount=amount, balance_after=after,
        reason=reason, payment=payment, refund=refund, note=note, created_by=created_by,
    )


def wallet_can_take(*, user_id: int, amount: Decimal) -> bool:
    """Whether crediting `amount` keeps the balance within DECIMAL(10,2) (WALLET_MAX).
    Exact only under the user's lock; elsewhere a check before asking the service."""
    return _balance(user_id) + amount <= WALLET_MAX


def wallet_credit_check(*, user_id: int, amount: Decimal) -> None:
    """WalletAmountInvalid or WalletLimitExceeded for a credit the ledger would refuse."""
    _check_amount(amount)
    if not wallet_can_take(user_id=user_id, amount=amount):
        raise WalletLimitExceeded()


def wallet_credit(
    *,
    user: User,
    amount: Decimal,
    reason: WalletReason,
    refund: Refund | None = None,
    note: str = "",
    created_by: User | None = None,
) -> WalletEntry:
    """Add money to the user's wallet (a refund, or an adjustment by a platform owner)."""
    with transaction.atomic():
        lock_user(user.pk)
        entry = ledger_append(
            user_id=user.pk, entry_type=WalletEntryType.CREDIT, amount=amount, reason=reason,
            payment=refund.payment if refund else None, refund=refund, note=note,
            created_by=created_by,
        )
    logger.info("wallet credit entry=%s user=%s reason=%s", entry.pk, user.pk, reason)
    return entry


def wallet_debit(
    *, user: User, amount: Decimal, reason: WalletReason, payment: Payment | None = None
) -> WalletEntry:
    """Take money from the wallet; InsufficientBalance if it would go below zero."""
    with transaction.atomic():
        lock_user(user.pk)
        entry = ledger_append(
            user_id=user.pk, entry_type=WalletEntryType.DEBIT, amount=amount, reason=reason,
            payment=payment,
        )
    logger.info("wallet debit entry=%s user=%s reason=%s", entry.pk, user.pk, reason)
    return entry


def wallet_pay(*, actor: User, payment_id: int) -> tuple[Payment, bool]:
    """Pay the actor's PENDING payment from their wallet: the debit and COMPLETED together.

    Returns (payment, paid_now). A payment this wallet has already paid is returned with
    paid_now False and nothing changes, so a double click pays once. Payment.DoesNotExist
    for a payment that is not the actor's. Only for a booking still SCHEDULED whose
    payment was never sent to JazzCash: an attempt there, open or failed, can still be
    paid late and is matched by its reference, so it is not replaced by a wallet payment.
    """
    if actor.role != Role.PATIENT:
        raise Payment.DoesNotExist
    with transaction.atomic():
        lock_user(actor.pk)
        payment = (
            Payment.objects.select_for_update(of=("self",)).select_related("appointment")
            .get(pk=payment_id, payer_id=actor.pk)
        )
        if (
            payment.status == PaymentStatus.COMPLETED
            and payment.payment_method == PaymentMethod.WALLET
        ):
            return payment, False
        if payment.status != PaymentStatus.PENDING:
            raise PaymentNotPayable()
        if payment.appointment.status != AppointmentStatus.SCHEDULED:
            raise PaymentNotPayable()
        if payment.transaction_id:
            raise GatewayAttemptOpen()
        try:
            with transaction.atomic():
                entry = ledger_append(
                    user_id=actor.pk, entry_type=WalletEntryType.DEBIT,
                    amount=payment.amount, reason=WalletReason.PAYMENT, payment=payment,
                )
        except InsufficientBalance:
            logger.info("wallet pay refused reason=balance payment=%s user=%s",
                        payment.pk, actor.pk)
            raise
        except IntegrityError:  # the unique key: this payment was debited already
            raise PaymentNotPayable() from None
        payment.status = PaymentStatus.COMPLETED
        payment.payment_method = PaymentMethod.WALLET
        payment.transaction_id = f"WALLET-{entry.pk}"
        payment.failure_reason = None
        payment._history_user = actor  # type: ignore[attr-defined]
        payment.save(update_fields=["status", "payment_method", "transaction_id",
                                    "failure_reason", "updated_at"])
    logger.info("wallet paid payment=%s entry=%s user=%s", payment.pk, entry.pk, actor.pk)
    return payment, True
