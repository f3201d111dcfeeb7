"""Reads of payments' receipts and disputes, always through the acting user's scope."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils import timezone

from apps.payments.dispute_permissions import Actor, backoffice_payment_scope
from apps.payments.models import (
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentStatus,
    Refund,
)
from apps.payments.selectors import payment_scope, payments_visible

PAGE_SIZE = 20
DISPUTABLE_STATUSES = (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED)


def payment_get_for_party(*, actor: Actor, payment_id: int) -> Payment:
    """A payment the actor pays or is paid; Payment.DoesNotExist otherwise."""
    return payments_visible(actor).select_related("appointment").get(pk=payment_id)


def payment_get_for_payer(*, actor: Actor, payment_id: int) -> Payment:
    """A payment the actor made; Payment.DoesNotExist otherwise."""
    return payments_visible(actor).filter(payer_id=actor.pk).get(pk=payment_id)


def payments_of_payer(*, actor: Actor, page: str | int | None = 1) -> Page[Payment]:
    """The actor's own payments, newest first, each with its dispute when there is one."""
    queryset = (
        payments_visible(actor).filter(payer_id=actor.pk)
        .select_related("dispute", "payee", "appointment")
        .order_by("-created_at", "-pk")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def dispute_get_for_party(*, actor: Actor, dispute_id: int) -> PaymentDispute:
    """A dispute about a payment the actor pays or is paid; DoesNotExist otherwise."""
    scope = payment_scope(actor)
    if scope is None:
        raise PaymentDispute.DoesNotExist
    payments = Payment.objects.filter(scope).values("pk")
    return (
        PaymentDispute.objects.filter(payment_id__in=payments)
        .select_related("payment", "payment__payee", "payment__payer", "payment__appointment")
        .get(pk=dispute_id)
    )


def dispute_id_of_payment(*, payment_id: int) -> int | None:
    """The id of the payment's dispute, if any. Call after the payment's access check."""
    return (
        PaymentDispute.objects.filter(payment_id=payment_id)
        .values_list("pk", flat=True).first()
    )


def dispute_history(*, dispute_id: int) -> list[PaymentDisputeHistory]:
    """The dispute's status changes, oldest first. Call after the dispute's access check."""
    return list(
        PaymentDisputeHistory.objects.filter(dispute_id=dispute_id)
        .select_related("changed_by")
        .order_by("created_at", "pk")
    )


def dispute_refunds(*, dispute_id: int) -> list[Refund]:
    """Refunds made by the dispute's resolution. Call after the dispute's access check."""
    return list(Refund.objects.filter(dispute_id=dispute_id).order_by("created_at", "pk"))


# --- Back office ----------------------------------------------------------------------------

def _backoffice_disputes(actor: Actor) -> QuerySet[PaymentDispute]:
    scope = backoffice_payment_scope(actor, prefix="payment__")
    if scope is None:
        return PaymentDispute.objects.none()
    return PaymentDispute.objects.filter(scope)


def backoffice_disputes(
    *,
    actor: Actor,
    status: str | None = None,
    older_than_days: int | None = None,
    page: str | int | None = 1,
    now: datetime | None = None,
) -> Page[PaymentDispute]:
    """The dispute queue the actor handles: optionally one status and raised more than
    `older_than_days` ago; oldest first, so the longest-waiting dispute is on top."""
    queryset = _backoffice_disputes(actor)
    if status:
        queryset = queryset.filter(status=status)
    if older_than_days:
        cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
        queryset = queryset.filter(created_at__lt=cutoff)
    queryset = (
        queryset.select_related("payment", "payment__payer", "payment__payee",
                                "payment__appointment__facility")
        .order_by("created_at", "pk")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def backoffice_dispute_get(*, actor: Actor, dispute_id: int) -> PaymentDispute:
    """A dispute in the actor's back office; PaymentDispute.DoesNotExist otherwise."""
    return (
        _backoffice_disputes(actor)
        .select_related("payment", "payment__payer", "payment__payee", "raised_by",
                        "resolved_by", "payment__appointment__facility")
        .get(pk=dispute_id)
    )


def backoffice_payment_get(*, actor: Actor, payment_id: int) -> Payment:
    """A payment back-office staff may see (their facility's); Payment.DoesNotExist else."""
    scope = backoffice_payment_scope(actor)
    if scope is None:
        raise Payment.DoesNotExist
    return Payment.objects.get(scope, pk=payment_id)

