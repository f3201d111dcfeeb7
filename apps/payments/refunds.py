"""Refunds: money back to the payer's wallet or, through JazzCash, to where it came from.

A refund is a row in `refunds`, written under a lock on the payment row after counting the
payment's other refunds, so partial refunds never add up to more than was paid, however
many arrive at once. A wallet refund is credited in the same transaction. A gateway refund
is committed as PENDING first and sent after the commit, outside any lock; the row is
marked sent before the call, so a crash or a retry never sends it twice.

Payment status: REFUNDED once completed refunds reach the amount paid. A partial refund
leaves the payment COMPLETED (or DISPUTED) with `refund_amount` holding the total so far.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.core.errors import RuleError
from apps.core.i18n import in_language_of
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.payments import jazzcash
from apps.payments.models import (
    GATEWAY_METHODS,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundDestination,
    RefundPreference,
    RefundStatus,
    WalletEntryType,
    WalletReason,
)
from apps.payments.money import format_money
from apps.payments.wallet import (
    CENT,
    WalletAmountInvalid,
    ledger_append,
    lock_user,
    wallet_balance,
    wallet_can_take,
)

logger = logging.getLogger(__name__)

__all__ = ["refund_payment", "wallet_balance"]

REFUNDABLE = (PaymentStatus.COMPLETED, PaymentStatus.DISPUTED)


class RefundExceedsPayment(RuleError):
    default_message = gettext_lazy("This refund would return more than was paid.")
    field = "amount"


class RefundNotAllowed(RuleError):
    default_message = gettext_lazy("Only a completed payment can be refunded.")


class RefundDestinationInvalid(RuleError):
    default_message = gettext_lazy("Choose where the refund goes: the original payment "
                                   "method or the HealthLink wallet.")
    field = "destination"


def _refunded_so_far(payment_id: int, *, statuses: tuple[str, ...]) -> Decimal:
    total = Refund.objects.filter(payment_id=payment_id, status__in=statuses).aggregate(
        total=Sum("amount")
    )["total"]
    return total or Decimal("0.00")


def refund_payment(
    *,
    payment_id: int,
    amount: Decimal,
    destination: str,
    actor: User,
    reason: str,
    dispute_id: int | None = None,
) -> Refund:
    """Refund `amount` of a completed payment to `destination` ("SOURCE" or "WALLET").

    RuleError when the payment is not refundable, the amount is not positive, or it would
    take the payment's refunds past what was paid. Payment.DoesNotExist for an unknown id;
    callers check who may refund before calling. Runs inside the caller's transaction if
    there is one; a gateway refund is sent only once that transaction commits.
    """
    if destination not in RefundDestination.values:
        raise RefundDestinationInvalid()
    try:
        if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(CENT):
            raise WalletAmountInvalid()
    except ArithmeticError:
        raise WalletAmountInvalid() from None
    payer_id = Payment.objects.values_list("payer_id", flat=True).get(pk=payment_id)

    with transaction.atomic():
        lock_user(payer_id)  # the wallet's lock first, as every payment service takes it
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.status not in REFUNDABLE:
            raise RefundNotAllowed()
        held = _refunded_so_far(payment.pk, statuses=(RefundStatus.PENDING,
                                                      RefundStatus.COMPLETED))
        if held + amount > payment.amount:
            logger.info("refund refused reason=exceeds payment=%s", payment.pk)
            raise RefundExceedsPayment()
        to_wallet = _goes_to_wallet(payment, destination)
        if not to_wallet and not payment.transaction_id:
            raise RefundDestinationInvalid(
                _("This payment has no gateway reference; refund it to the wallet.")
            )
        refund = Refund.objects.create(
            payment=payment, amount=amount, destination=destination, actor=actor,
            reason=reason[:255], dispute_id=dispute_id,
        )
        if to_wallet:
            ledger_append(
                user_id=payer_id, entry_type=WalletEntryType.CREDIT, amount=amount,
                reason=WalletReason.REFUND, payment=payment, refund=refund,
            )
            _settle(refund, payment, status=RefundStatus.COMPLETED)
        else:
            refund_id = refund.pk
            transaction.on_commit(lambda: _queue_gateway_refund(refund_id))
    logger.info("refund created id=%s payment=%s destination=%s status=%s actor=%s",
                refund.pk, payment.pk, destination, refund.status, actor.pk)
    refund.refresh_from_db()
    return refund


def _settle(refund: Refund, payment: Payment, *, status: RefundStatus,
            response_code: str = "") -> None:
    """Record a refund's outcome and the payment's totals; both rows are locked."""
    refund.status = status
    refund.gateway_response_code = response_code or refund.gateway_response_code
    if status == RefundStatus.COMPLETED:
        refund.completed_at = timezone.now()
    refund.save(update_fields=["status", "gateway_response_code", "completed_at"])
    if status != RefundStatus.COMPLETED:
        return
    refunded = _refunded_so_far(payment.pk, statuses=(RefundStatus.COMPLETED,))
    payment.refund_amount = refunded
    fields = ["refund_amount", "updated_at"]
    # A payment under dispute stays DISPUTED (no receipt) until the dispute closes; its
    # status is then worked out from these totals (dispute_services.status_after_dispute).
    if refunded >= payment.amount and payment.status != PaymentStatus.DISPUTED:
        payment.status = PaymentStatus.REFUNDED
        fields.append("status")
    payment._history_user = refund.actor  # type: ignore[attr-defined]
    payment._change_reason = f"refund {refund.pk}"  # type: ignore[attr-defined]
    payment.save(update_fields=fields)
    _notify_refund(refund, payment)


def _notify_refund(refund: Refund, payment: Payment) -> None:
    payer = User.all_objects.get(pk=payment.payer_id)
    if not payer.is_active:
        return
    with in_language_of(payer):
        if _goes_to_wallet(payment, refund.destination):
            message = _("PKR %(amount)s has been refunded to your HealthLink wallet.")
        else:
            message = _("PKR %(amount)s has been refunded to your original payment method.")
        notification_create(
            user=payer, event=NotificationEvent.PAYMENT_RECEIVED, title=_("Refund issued"),
            message=message % {"amount": format_money(refund.amount)},
            action_url=reverse("wallet:ledger"),
        )


# --- The gateway ------------------------------------------------------------------------


def _queue_gateway_refund(refund_id: int) -> None:
    from apps.payments.tasks import refund_send_task  # tasks imports this module

    try:
        refund_send_task.delay(refund_id)
    except Exception as exc:  # broker down: the row stays PENDING and unsent for a retry
        logger.warning("refund %s not queued error=%s", refund_id, type(exc).__name__)


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    pending: bool
    response_code: str


def _gateway() -> Any:
    """The JazzCash refund client (apps.payments.jazzcash); tests put a local fake here."""
    return jazzcash


def refund_send(*, refund_id: int) -> str:
    """Send a PENDING gateway refund once; returns what happened ("sent", "skipped")."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().select_related("payment").get(pk=refund_id)
        if refund.status != RefundStatus.PENDING or refund.gateway_sent_at is not None:
            return "skipped"
        refund.gateway_sent_at = timezone.now()
        refund.save(update_fields=["gateway_sent_at"])
    payment = refund.payment

    try:
        result = _gateway().request_refund(
            txn_ref_no=payment.transaction_id or "", amount=refund.amount
        )
        outcome = _Outcome(bool(result.ok), bool(result.pending), str(result.response_code))
    except Exception as exc:  # unknown outcome: leave it sent and pending for a person
        logger.warning("refund %s gateway call failed error=%s", refund_id, type(exc).__name__)
        return "sent"
    refund_record_gateway_outcome(
        refund_id=refund_id, ok=outcome.ok, pending=outcome.pending,
        response_code=outcome.response_code,
    )
    return "sent"


# A refund whose task never ran (broker down at commit) is sent by the job after this long.
UNSENT_REFUND_GRACE = timedelta(minutes=5)


def refunds_requeue_unsent(*, now: datetime | None = None, limit: int = 100) -> int:
    """Queue gateway refunds committed PENDING but never sent; returns how many.

    Only rows without gateway_sent_at: one that was sent and got no answer is never sent
    again by a job. LIMITATION: such a row (or one JazzCash answered "pending") waits for a
    person; there is no refund status inquiry yet — matters when JazzCash times out.
    """
    now = now or timezone.now()
    ids = list(
        Refund.objects.filter(
            status=RefundStatus.PENDING, gateway_sent_at__isnull=True,
            destination=RefundDestination.SOURCE, created_at__lt=now - UNSENT_REFUND_GRACE,
        ).order_by("pk").values_list("pk", flat=True)[:limit]
    )
    for refund_id in ids:
        _queue_gateway_refund(refund_id)
    if ids:
        logger.info("refunds requeued count=%d", len(ids))
    return len(ids)


def refund_record_gateway_outcome(
    *, refund_id: int, ok: bool, pending: bool, response_code: str
) -> Refund:
    """Apply the gateway's answer to a PENDING refund; a settled refund stays as it is."""
    payer_id = (
        Refund.objects.filter(pk=refund_id).values_list("payment__payer_id", flat=True).get()
    )
    with transaction.atomic():
        lock_user(payer_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
        if refund.status == RefundStatus.PENDING:
            if pending:
                refund.gateway_response_code = response_code[:20]
                refund.save(update_fields=["gateway_response_code"])
            else:
                status = RefundStatus.COMPLETED if ok else RefundStatus.FAILED
                _settle(refund, payment, status=status, response_code=response_code[:20])
    logger.info("refund gateway outcome id=%s payment=%s status=%s code=%s",
                refund.pk, payment.pk, refund.status, response_code[:20])
    return refund


# --- Cancellation policy ----------------------------------------------------------------

# A patient who cancels this long before the start gets everything back; the appointment
# services do not let a patient cancel later than this at all (PATIENT_CHANGE_CUTOFF).
PATIENT_FULL_REFUND_NOTICE_HOURS = 2


def refund_due_on_cancel(
    *, payment: Payment, cancelled_by_patient: bool, scheduled_at: datetime, now: datetime
) -> Decimal:
    """How much of a completed payment goes back when its appointment is cancelled."""
    remaining = payment.amount - _refunded_so_far(
        payment.pk, statuses=(RefundStatus.PENDING, RefundStatus.COMPLETED)
    )
    if payment.status not in REFUNDABLE or remaining <= 0:
        return Decimal("0.00")
    if cancelled_by_patient:
        notice = scheduled_at - now
        if notice.total_seconds() < PATIENT_FULL_REFUND_NOTICE_HOURS * 3600:
            return Decimal("0.00")
    return remaining


def refund_destination_for(patient_id: int, chosen: str | None) -> str:
    """The patient's choice now, else their saved preference, else the wallet."""
    if chosen in RefundDestination.values:
        return str(chosen)
    saved = (
        RefundPreference.objects.filter(user_id=patient_id)
        .values_list("destination", flat=True).first()
    )
    return saved or RefundDestination.WALLET


def refund_choice_offered(*, actor: User, appointment_id: int, patient_id: int) -> bool:
    """Whether the cancel form asks the patient where the refund goes: only for their own
    appointment with a payment made through the gateway (a wallet payment goes back there),
    paid already or that JazzCash may still complete: an attempt open there (PENDING with a
    reference) or one we failed that JazzCash can still report paid (services
    _apply_gateway_code). Its refund then goes where the patient chose here."""
    return actor.pk == patient_id and Payment.objects.filter(
        Q(status__in=REFUNDABLE)
        | Q(status__in=(PaymentStatus.PENDING, PaymentStatus.FAILED),
            transaction_id__isnull=False),
        appointment_id=appointment_id, payment_method__in=GATEWAY_METHODS,
        payer_id=actor.pk,
    ).exists()


def refund_preference_set(*, user: User, destination: str) -> RefundPreference:
    if destination not in RefundDestination.values:
        raise RefundDestinationInvalid()
    preference, _created = RefundPreference.objects.update_or_create(
        user=user, defaults={"destination": destination}
    )
    return preference


def payments_on_appointment_cancelled(
    *,
    appointment_id: int,
    patient_id: int,
    actor: User,
    cancelled_by_patient: bool,
    scheduled_at: datetime,
    destination: str | None = None,
    now: datetime | None = None,
) -> int:
    """Apply the cancellation policy to the appointment's payments; returns refunds made.

    Call in the transaction that cancels (the patient's row is already locked). A payment
    still PENDING and never sent to JazzCash is closed as FAILED, nothing was taken; a
    completed one is refunded in full when the doctor or staff cancel, or the patient does
    with enough notice.
    """
    now = now or timezone.now()
    target = refund_destination_for(patient_id, destination)
    if cancelled_by_patient and destination in RefundDestination.values:
        RefundPreference.objects.update_or_create(
            user_id=patient_id, defaults={"destination": destination}
        )
    refunds = 0
    payments = Payment.objects.select_for_update().filter(appointment_id=appointment_id)
    for payment in payments.order_by("pk"):
        if payment.status == PaymentStatus.PENDING and payment.transaction_id:
            # An attempt is open at JazzCash: its answer settles the payment, and one that
            # completes after the cancel is refunded by payment_completed_after_cancel.
            logger.info("payment left to the gateway payment=%s appointment=%s",
                        payment.pk, appointment_id)
            continue
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            payment.status = PaymentStatus.FAILED
            payment.failure_reason = jazzcash.CANCELLED_BEFORE_PAYMENT
            payment._history_user = actor  # type: ignore[attr-defined]
            payment.save(update_fields=["status", "failure_reason", "updated_at"])
            logger.info("payment closed unpaid payment=%s appointment=%s",
                        payment.pk, appointment_id)
            continue
        amount = refund_due_on_cancel(
            payment=payment, cancelled_by_patient=cancelled_by_patient,
            scheduled_at=scheduled_at, now=now,
        )
        if amount > 0:
            chosen = target
            if chosen == RefundDestination.SOURCE and not payment.transaction_id:
                chosen = RefundDestination.WALLET  # nothing to send a gateway refund against
            where = _within_wallet_limit(payment, amount, chosen)
            if where is None:
                continue
            refund_payment(
                payment_id=payment.pk, amount=amount, destination=where, actor=actor,
                reason="Appointment cancelled",
            )
            refunds += 1
    return refunds


def _goes_to_wallet(payment: Payment, destination: str) -> bool:
    """A wallet payment's refund always goes back to the wallet, whatever was asked."""
    return destination == RefundDestination.WALLET or (
        payment.payment_method == PaymentMethod.WALLET
    )


def _within_wallet_limit(payment: Payment, amount: Decimal, where: str) -> str | None:
    """Where a cancellation refund can go given the wallet's ceiling (DECIMAL(10,2)).

    A refund the wallet cannot hold goes back to the source when the payment went through
    JazzCash; a wallet payment has no other way back, so None: no refund now, the cancel
    still goes through, and the log tells a person to settle it (LIMITATION, a wallet
    holding ~PKR 100 million).
    """
    if not _goes_to_wallet(payment, where) or wallet_can_take(user_id=payment.payer_id,
                                                               amount=amount):
        return where
    if payment.payment_method in GATEWAY_METHODS and payment.transaction_id:
        logger.info("refund sent to source: wallet limit payment=%s", payment.pk)
        return RefundDestination.SOURCE
    logger.warning("refund not made: wallet limit payment=%s", payment.pk)
    return None


def payments_on_no_show(*, appointment_id: int) -> int:
    """A missed appointment is not refunded; what was paid stays paid and a PENDING fee
    stays due. Returns the number of completed payments kept (for the log)."""
    kept = Payment.objects.filter(
        appointment_id=appointment_id, status__in=REFUNDABLE
    ).count()
    logger.info("no-show: no refund appointment=%s payments=%d", appointment_id, kept)
    return kept


def payment_completed_after_cancel(*, payment_id: int, actor: User | None = None) -> Refund | None:
    """Refund in full a payment that JazzCash completed after its appointment was cancelled.

    For the gateway's settling code to call once a payment turns COMPLETED (after commit):
    the patient paid for a visit that will not happen. The refund goes where the patient's
    preference says (else the wallet). None when the appointment is not cancelled or
    nothing is left to refund.
    """
    payment = Payment.objects.select_related("appointment").get(pk=payment_id)
    appointment = payment.appointment
    if appointment.status != AppointmentStatus.CANCELLED or payment.status not in REFUNDABLE:
        return None
    due = payment.amount - _refunded_so_far(
        payment.pk, statuses=(RefundStatus.PENDING, RefundStatus.COMPLETED)
    )
    if due <= 0:
        return None
    destination: str | None = refund_destination_for(payment.payer_id, None)
    if destination == RefundDestination.SOURCE and not payment.transaction_id:
        destination = RefundDestination.WALLET
    destination = _within_wallet_limit(payment, due, str(destination))
    if destination is None:
        return None
    return refund_payment(
        payment_id=payment.pk, amount=due, destination=destination,
        actor=actor or User.all_objects.get(pk=appointment.cancelled_by_id or payment.payer_id),
        reason="Paid after the appointment was cancelled",
    )
