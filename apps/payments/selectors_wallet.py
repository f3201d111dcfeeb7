"""Reads for the wallet pages: always the acting user's own ledger and payments."""

from __future__ import annotations

from django.core.paginator import Page, Paginator

from apps.accounts.models import Role, User
from apps.payments.models import Payment, WalletEntry

PAGE_SIZE = 25


def wallet_entries_page(*, actor: User, page: str | int | None = 1) -> Page[WalletEntry]:
    """The actor's ledger lines, newest first; nobody else's, whoever asks."""
    queryset = (
        WalletEntry.objects.filter(user_id=actor.pk)
        .only("pk", "user_id", "entry_type", "amount", "balance_after", "reason",
              "payment_id", "refund_id", "note", "created_at")
        .order_by("-id")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def payment_for_wallet_pay(*, actor: User, payment_id: int) -> Payment:
    """The payment the actor, its payer, may pay from the wallet; DoesNotExist otherwise."""
    if actor.role != Role.PATIENT:
        raise Payment.DoesNotExist
    return (
        Payment.objects.select_related("appointment", "payee")
        .get(pk=payment_id, payer_id=actor.pk)
    )
