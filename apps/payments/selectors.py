"""Reads of payments in the portal, always through the acting user's scope.

A patient sees the payments they make, a doctor those they receive. Staff see payments
only in the back office (disputes); everyone else sees none. Out of scope is a 404.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Page, Paginator
from django.db.models import OuterRef, Q, QuerySet, Subquery

from apps.accounts.models import Role, User
from apps.appointments.models import AppointmentStatus
from apps.payments.models import Payment, PaymentStatus

PAGE_SIZE = 20

Actor = User | AnonymousUser


def payment_scope(actor: Actor) -> Q | None:
    """The payments `actor` takes part in, as a filter (None: none at all). The one rule for
    the payment pages, receipts and the patient's and doctor's dispute pages."""
    if not isinstance(actor, User) or not actor.is_active:
        return None
    if actor.role == Role.PATIENT:
        return Q(payer_id=actor.pk)
    if actor.role == Role.DOCTOR:
        return Q(payee_id=actor.pk)
    return None


def payments_visible(actor: Actor) -> QuerySet[Payment]:
    """The payments the actor pays or is paid (payment_scope); none for anyone else."""
    scope = payment_scope(actor)
    if scope is None:
        return Payment.objects.none()
    return Payment.objects.filter(scope)


def payments_for_actor(*, actor: Actor, page: str | int | None = 1) -> Page[Payment]:
    """The actor's payments, newest first, with their appointment and the other party."""
    queryset = (
        payments_visible(actor)
        .select_related("appointment", "payer", "payee")
        .order_by("-created_at", "-pk")
    )
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def payment_get_for_actor(*, actor: Actor, payment_id: int) -> Payment:
    """The payment if `actor` may see it; Payment.DoesNotExist otherwise."""
    return (
        payments_visible(actor)
        .select_related("appointment", "appointment__facility", "payer", "payee", "dispute")
        .get(pk=payment_id)
    )


def receipt_get_for_actor(*, actor: Actor, payment_id: int) -> Payment:
    """The actor's payment for its receipt page, whatever its status: whether it has a
    receipt is apps.payments.receipt_pdf.receipt_available's to say (one rule for the
    page and the PDF).

    `paid_at` is when it first became COMPLETED (its history), not its last change.
    """
    history = Payment.history.model
    paid_at = (
        history.objects.filter(id=OuterRef("pk"), status=PaymentStatus.COMPLETED)
        .order_by("history_date")
        .values("history_date")[:1]
    )
    return (
        payments_visible(actor)
        .annotate(paid_at=Subquery(paid_at))
        .select_related("appointment", "appointment__facility", "payer", "payee")
        .get(pk=payment_id)
    )


def payment_awaiting_checkout(payment: Payment) -> bool:
    """Whether the payer can be offered JazzCash for `payment` (select_related appointment):
    PENDING, or FAILED and tried again, for a booking still SCHEDULED. The checkout service
    decides again under the row lock."""
    return (
        payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED)
        and payment.appointment.status == AppointmentStatus.SCHEDULED
    )


def payment_awaiting_wallet(payment: Payment) -> bool:
    """Whether the wallet can pay `payment`: PENDING, never sent to JazzCash, for a booking
    still SCHEDULED (the rules of apps.payments.wallet.wallet_pay)."""
    return (
        payment.status == PaymentStatus.PENDING
        and not payment.transaction_id
        and payment.appointment.status == AppointmentStatus.SCHEDULED
    )
