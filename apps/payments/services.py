"""Writes for payments through JazzCash: checkout, the gateway's callback, settling pending.

Every change of a payment's status happens under its row lock and only from PENDING, so a
callback delivered twice (even at the same moment) or a callback racing the status-inquiry
job changes the payment once and notifies once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.core.errors import RuleError
from apps.core.i18n import in_language_of
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.payments import jazzcash
from apps.payments.models import GATEWAY_METHODS, Payment, PaymentStatus
from apps.payments.money import format_money
from apps.payments.refunds import payment_completed_after_cancel

logger = logging.getLogger(__name__)

EXPIRED_CODE = "EXPIRED"  # ours, not JazzCash's: the attempt expired unpaid


class PaymentError(RuleError):
    default_message = gettext_lazy("This payment cannot be made.")


class PaymentNotPayable(PaymentError):
    default_message = gettext_lazy("This payment is not waiting to be paid.")


class AttemptInProgress(PaymentError):
    default_message = gettext_lazy(
        "Your last attempt to pay is still being confirmed with JazzCash. Please check "
        "again in a few minutes."
    )


class MethodNotOffered(PaymentError):
    default_message = gettext_lazy("Choose JazzCash or a card.")
    field = "method"


# --- Checkout -------------------------------------------------------------------------


@transaction.atomic
def payment_checkout_start(
    *, actor: User, payment_id: int, method: str, return_url: str
) -> dict[str, str]:
    """The signed Page Redirection form for the payer to post to JazzCash.

    A payment gets one transaction reference per attempt. While an attempt is open at
    JazzCash (PENDING with a reference that has not expired) the same form is built again,
    so a reload or a second tab cannot start a second charge. A FAILED payment may be
    tried again: it becomes PENDING with a new reference.
    """
    if method not in GATEWAY_METHODS:
        raise MethodNotOffered()
    payment = (
        Payment.objects.select_for_update(of=("self",))
        .select_related("appointment")
        .filter(payer_id=actor.pk)
        .get(pk=payment_id)
    )
    if payment.appointment.status != AppointmentStatus.SCHEDULED:
        raise PaymentNotPayable()
    now = timezone.now()
    if payment.status == PaymentStatus.PENDING and payment.transaction_id:
        started = jazzcash.txn_ref_time(payment.transaction_id)
        expiry = timedelta(hours=settings.JAZZCASH_TXN_EXPIRY_HOURS)
        if started is None or started + expiry <= now:
            raise AttemptInProgress()
    elif payment.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
        # A reference names its second: a retry within the same second must not repeat it.
        previous = jazzcash.txn_ref_time(payment.transaction_id or "")
        moment = max(now, previous + timedelta(seconds=1)) if previous else now
        payment.transaction_id = jazzcash.make_txn_ref_no(payment.pk, moment)
        payment.payment_method = method
        payment.status = PaymentStatus.PENDING
        payment.failure_reason = None
        payment.save(update_fields=["transaction_id", "payment_method", "status",
                                    "failure_reason", "updated_at"])
        logger.info("payment %s checkout started ref=%s", payment.pk, payment.transaction_id)
    else:
        raise PaymentNotPayable()

    assert payment.transaction_id is not None  # noqa: S101 - set just above
    return jazzcash.build_payment_form(
        txn_ref_no=payment.transaction_id,
        amount=payment.amount,
        method=payment.payment_method,
        bill_reference=f"APT{payment.appointment_id}",
        description=f"HealthLink consultation {payment.appointment_id}",
        return_url=return_url,
    )


# --- The gateway's answer -------------------------------------------------------------


@dataclass(frozen=True)
class CallbackOutcome:
    accepted: bool
    payment_id: int | None = None
    status: str | None = None
    changed: bool = False


REJECTED = CallbackOutcome(accepted=False)


def payment_callback_handle(*, fields: Mapping[str, str]) -> CallbackOutcome:
    """Apply JazzCash's Page Redirection answer, trusting nothing the browser brought.

    Rejected (nothing changes) unless the hash verifies with our salt, the merchant is us,
    the reference is one of our payments, and amount and currency are that payment's.
    """
    if not jazzcash.verify_secure_hash(fields, settings.JAZZCASH_INTEGRITY_SALT):
        logger.warning("jazzcash callback rejected reason=hash")
        return REJECTED
    if fields.get("pp_MerchantID") != settings.JAZZCASH_MERCHANT_ID:
        logger.warning("jazzcash callback rejected reason=merchant")
        return REJECTED
    ref = str(fields.get("pp_TxnRefNo") or "")
    if jazzcash.txn_ref_time(ref) is None:
        logger.warning("jazzcash callback rejected reason=reference")
        return REJECTED
    code = str(fields.get("pp_ResponseCode") or "")[:10]
    amount = jazzcash.from_paisa(str(fields.get("pp_Amount") or ""))
    currency = str(fields.get("pp_TxnCurrency") or "")
    with transaction.atomic():
        payment = (
            Payment.objects.select_for_update()
            .filter(transaction_id=ref, payment_method__in=GATEWAY_METHODS)
            .first()
        )
        if payment is None:
            logger.warning("jazzcash callback rejected reason=unknown-reference ref=%s", ref)
            return REJECTED
        if amount != payment.amount or currency != payment.currency:
            logger.warning("jazzcash callback rejected reason=amount payment=%s", payment.pk)
            return REJECTED
        changed = _apply_gateway_code(payment, code, source="callback")
    return CallbackOutcome(accepted=True, payment_id=payment.pk, status=payment.status,
                           changed=changed)


def _apply_gateway_code(payment: Payment, code: str, *, source: str) -> bool:
    """Move a locked PENDING payment by JazzCash's code; False when nothing changed.

    One exception: JazzCash's success for the attempt of a payment we had already failed
    (it expired unpaid here, then was paid after all) completes it; the money was taken.
    """
    paid = code in (jazzcash.SUCCESS, jazzcash.INQUIRY_COMPLETED)
    if paid and payment.status == PaymentStatus.FAILED:
        logger.warning("payment %s %s: paid after it was failed", payment.pk, source)
    elif payment.status != PaymentStatus.PENDING:
        logger.info("payment %s %s code=%s ignored: already %s", payment.pk, source, code,
                    payment.status)
        return False
    if code in jazzcash.PENDING_CODES:
        logger.info("payment %s %s code=%s: still pending", payment.pk, source, code)
        return False
    if paid:
        payment.status = PaymentStatus.COMPLETED
        payment.failure_reason = None
    else:
        payment.status = PaymentStatus.FAILED
        with translation.override(settings.LANGUAGE_CODE):
            payment.failure_reason = f"{code}: {jazzcash.response_meaning(code)}"
    payment.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("payment %s %s code=%s -> %s", payment.pk, source, code, payment.status)
    if payment.status == PaymentStatus.COMPLETED:
        _notify_paid(payment)
        # Paid at JazzCash after the booking was cancelled: give it back (paywallet).
        payment_id = payment.pk
        transaction.on_commit(lambda: _refund_if_cancelled(payment_id))
    return True


def _refund_if_cancelled(payment_id: int) -> None:
    try:
        payment_completed_after_cancel(payment_id=payment_id)
    except RuleError as exc:  # logged for staff to settle by hand
        logger.warning("payment %s late refund refused: %s", payment_id, type(exc).__name__)


def _notify_paid(payment: Payment) -> None:
    """One notification each to payer and payee, written with the status change."""
    link = reverse("payments:detail", kwargs={"payment_id": payment.pk})
    people = User.objects.filter(pk__in=(payment.payer_id, payment.payee_id))
    for person in people:
        with in_language_of(person):
            notification_create(
                user=person,
                event=NotificationEvent.PAYMENT_RECEIVED,
                title=_("Payment received"),
                message=_("Payment #%(id)s of PKR %(amount)s is complete.")
                % {"id": payment.pk, "amount": format_money(payment.amount)},
                action_url=link,
            )


# --- Settling pending payments --------------------------------------------------------


def payment_settle_from_inquiry(*, payment_id: int) -> bool:
    """Ask JazzCash about a PENDING payment and apply the answer; True when it changed.

    The HTTP call runs outside any transaction; the answer is applied under the row lock,
    so a callback arriving meanwhile wins or loses cleanly.
    """
    ref = (
        Payment.objects.filter(pk=payment_id, status=PaymentStatus.PENDING,
                               payment_method__in=GATEWAY_METHODS)
        .values_list("transaction_id", flat=True)
        .first()
    )
    if not ref:
        return False
    try:
        result = jazzcash.inquire_status(txn_ref_no=ref)
    except jazzcash.JazzCashError as exc:
        logger.warning("payment %s status inquiry failed: %s", payment_id, exc)
        return False
    code = result.payment_response_code
    if not result.known:
        # JazzCash has no such transaction: the payer never finished at the gateway. Once
        # the attempt has expired it can no longer be paid, so it is closed as failed.
        started = jazzcash.txn_ref_time(ref)
        expiry = timedelta(hours=settings.JAZZCASH_TXN_EXPIRY_HOURS)
        if started is None or started + expiry > timezone.now():
            return False
        code = EXPIRED_CODE
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment_id)
        if payment.transaction_id != ref:
            return False
        return _apply_gateway_code(payment, code, source="inquiry")


def pending_gateway_payment_ids(*, limit: int) -> list[int]:
    """PENDING payments sent to JazzCash long enough ago to ask about, oldest first."""
    cutoff = timezone.now() - timedelta(minutes=settings.JAZZCASH_INQUIRY_AFTER_MINUTES)
    return list(
        Payment.objects.filter(
            status=PaymentStatus.PENDING, payment_method__in=GATEWAY_METHODS,
            transaction_id__isnull=False, updated_at__lte=cutoff,
        )
        .order_by("updated_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
