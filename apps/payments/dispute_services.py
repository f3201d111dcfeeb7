"""Receipt images, and disputes from the patient's complaint to the staff's decision.

A dispute moves PENDING -> INVESTIGATING -> RESOLVED or REJECTED, each step by back-office
staff, row-locked and atomic, each written to payment_dispute_history. While a dispute is
open its payment is DISPUTED. REJECTED and RESOLVED both set the payment's status from
the money (status_after_dispute): REFUNDED once its refunds reach the amount paid -- also
when they were made while the dispute was open, e.g. the doctor cancelled -- otherwise the
status it had when the dispute was raised. RESOLVED refunds an amount
(apps.payments.refunds); a payment refunded in full already is resolved with no refund
(amount empty or 0.00) and the staff's notes. Patient and doctor are told of every change
once it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.core import uploads
from apps.core.errors import RuleError
from apps.core.i18n import in_language_of
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.payments.dispute_permissions import Actor, backoffice_payment_scope
from apps.payments.dispute_selectors import (
    DISPUTABLE_STATUSES,
    backoffice_payment_get,
    payment_get_for_party,
    payment_get_for_payer,
)
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentStatus,
)
from apps.payments.money import format_money
from apps.payments.refunds import refund_payment
from apps.payments.wallet import lock_user

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "payments"
REASON_MAX_LENGTH = 5000
NOTE_MAX_LENGTH = 5000
REFUND_DESTINATIONS = ("SOURCE", "WALLET")

# The only moves a dispute can make; anything else is refused with a message.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    DisputeStatus.PENDING: (DisputeStatus.INVESTIGATING,),
    DisputeStatus.INVESTIGATING: (DisputeStatus.RESOLVED, DisputeStatus.REJECTED),
}


class DisputeError(RuleError):
    default_message = gettext_lazy("This dispute could not be changed.")


class DisputeNotFound(Exception):
    """Outside the actor's scope, or absent: both are a 404."""


def payment_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def max_bytes() -> int:
    return int(getattr(settings, "PAYMENT_FILE_MAX_BYTES", 10 * 1024 * 1024))


def max_evidence() -> int:
    return int(getattr(settings, "PAYMENT_DISPUTE_MAX_EVIDENCE", 5))


def _store(*, prefix: str, files: Sequence[Any]) -> list[str]:
    try:
        return uploads.uploads_store(storage=payment_storage(), prefix=prefix, uploads=files,
                                     max_bytes=max_bytes())
    except ValidationError as exc:
        raise DisputeError(exc.messages[0], field="evidence") from None


def _discard(keys: Sequence[str]) -> None:
    uploads.uploads_discard(storage=payment_storage(), keys=keys)


# --- Receipt image ------------------------------------------------------------------------

def payment_receipt_attach(*, actor: Actor, payment_id: int, upload: Any) -> Payment:
    """The payer attaches a receipt image (or PDF) to their payment, replacing an earlier one.

    Refused once the payment is disputed: what staff are looking at must not change.
    """
    try:
        payment_get_for_payer(actor=actor, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise DisputeNotFound from None
    try:
        keys = uploads.uploads_store(storage=payment_storage(),
                                     prefix=f"payments/{int(payment_id)}/receipt",
                                     uploads=[upload], max_bytes=max_bytes())
    except ValidationError as exc:
        raise DisputeError(exc.messages[0], field="receipt") from None
    try:
        with transaction.atomic():
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            if PaymentDispute.objects.filter(payment_id=payment_id).exists():
                raise DisputeError(_("The receipt of a disputed payment cannot be changed."),
                                   field="receipt")
            previous = payment.receipt_image_url
            payment.receipt_image_url = keys[0]
            payment.save(update_fields=["receipt_image_url", "updated_at"])
            if previous:
                transaction.on_commit(partial(_discard, [previous]))
    except BaseException:
        _discard(keys)
        raise
    logger.info("payment receipt attached payment=%s replaced=%s", payment_id, bool(previous))
    return payment


def payment_receipt_key(*, actor: Actor, payment_id: int) -> str:
    """The receipt's storage key for the payer, the payee or back-office staff in scope."""
    try:
        payment = payment_get_for_party(actor=actor, payment_id=payment_id)
    except Payment.DoesNotExist:
        try:
            payment = backoffice_payment_get(actor=actor, payment_id=payment_id)
        except Payment.DoesNotExist:
            raise DisputeNotFound from None
    if not payment.receipt_image_url:
        raise DisputeNotFound
    return payment.receipt_image_url


# --- Raising a dispute --------------------------------------------------------------------

def _check_disputable(payment: Payment) -> None:
    if PaymentDispute.objects.filter(payment_id=payment.pk).exists():
        raise DisputeError(_("This payment already has a dispute."))
    if payment.status not in DISPUTABLE_STATUSES:
        raise DisputeError(_("Only a completed or refunded payment can be disputed."))


def dispute_raise(
    *, actor: User, payment_id: int, reason: str, evidence: Sequence[Any] = (),
) -> PaymentDispute:
    """The payer disputes a completed or refunded payment, once; the payment turns DISPUTED.

    The evidence is stored first and removed again when the dispute is not saved, so a
    refused or losing submission (two at once) leaves no file behind.
    """
    try:
        payment = payment_get_for_payer(actor=actor, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise DisputeNotFound from None
    reason = (reason or "").strip()
    if not reason:
        raise DisputeError(_("Say what is wrong with this payment."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise DisputeError(_("Keep the reason under %(count)s characters.")
                           % {"count": REASON_MAX_LENGTH}, field="reason")
    if len(evidence) > max_evidence():
        raise DisputeError(_("Attach at most %(count)s files.") % {"count": max_evidence()},
                           field="evidence")
    _check_disputable(payment)

    keys = _store(prefix=f"payments/{int(payment_id)}/evidence", files=evidence)
    try:
        with transaction.atomic():
            lock_user(actor.pk)  # the payer: see _locked_payment
            payment = Payment.objects.select_for_update().get(pk=payment_id)
            _check_disputable(payment)
            dispute = PaymentDispute.objects.create(
                payment=payment, raised_by=actor, reason=reason, evidence_urls=keys or None,
                status=DisputeStatus.PENDING, payment_status_before=payment.status,
            )
            PaymentDisputeHistory.objects.create(
                dispute=dispute, from_status=None, to_status=DisputeStatus.PENDING,
                changed_by=actor,
            )
            payment.status = PaymentStatus.DISPUTED
            payment.save(update_fields=["status", "updated_at"])
            transaction.on_commit(partial(_notify, dispute.pk))
    except IntegrityError:
        # The OneToOne's unique index caught a second submission the lock did not see.
        _discard(keys)
        raise DisputeError(_("This payment already has a dispute.")) from None
    except BaseException:
        _discard(keys)
        raise
    logger.info("payment dispute raised id=%s payment=%s evidence=%s",
                dispute.pk, payment_id, len(keys))
    return dispute


# --- Staff decisions ----------------------------------------------------------------------

def _locked_dispute(*, actor: User, dispute_id: int) -> PaymentDispute:
    scope = backoffice_payment_scope(actor, prefix="payment__")
    if scope is None:
        raise DisputeNotFound
    try:
        return (
            PaymentDispute.objects.select_for_update(of=("self",))
            .filter(scope).get(pk=dispute_id)
        )
    except PaymentDispute.DoesNotExist:
        raise DisputeNotFound from None


def _locked_payment(dispute: PaymentDispute) -> Payment:
    """The dispute's payment, locked after its payer's row: the order every payment service
    (wallet, refunds) takes its locks in, so none of them can deadlock with a decision."""
    payer_id = Payment.objects.values_list("payer_id", flat=True).get(pk=dispute.payment_id)
    lock_user(payer_id)
    return Payment.objects.select_for_update().get(pk=dispute.payment_id)


def _check_transition(dispute: PaymentDispute, to_status: str) -> None:
    if to_status not in TRANSITIONS.get(dispute.status, ()):
        raise DisputeError(
            _("A dispute that is %(current)s cannot be moved to %(target)s.") % {
                "current": dispute.get_status_display(),
                "target": DisputeStatus(to_status).label,
            }
        )


def _clean_note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise DisputeError(_("Write the resolution notes."), field="note")
    if len(note) > NOTE_MAX_LENGTH:
        raise DisputeError(_("Keep the notes under %(count)s characters.")
                           % {"count": NOTE_MAX_LENGTH}, field="note")
    return note


def _record(
    *, dispute: PaymentDispute, actor: User, to_status: str, note: str,
) -> PaymentDispute:
    from_status = dispute.status
    dispute.status = to_status
    fields = ["status"]
    if to_status in (DisputeStatus.RESOLVED, DisputeStatus.REJECTED):
        dispute.resolution = note
        dispute.resolved_by = actor
        dispute.resolved_at = timezone.now()
        fields += ["resolution", "resolved_by", "resolved_at"]
    dispute.save(update_fields=fields)
    PaymentDisputeHistory.objects.create(
        dispute=dispute, from_status=from_status, to_status=to_status, changed_by=actor,
        note=note or None,
    )
    transaction.on_commit(partial(_notify, dispute.pk))
    logger.info("payment dispute id=%s %s -> %s by=%s", dispute.pk, from_status, to_status,
                actor.pk)
    return dispute


def dispute_investigate(*, actor: User, dispute_id: int, note: str = "") -> PaymentDispute:
    """Staff take a new dispute up: PENDING -> INVESTIGATING."""
    with transaction.atomic():
        dispute = _locked_dispute(actor=actor, dispute_id=dispute_id)
        _check_transition(dispute, DisputeStatus.INVESTIGATING)
        return _record(dispute=dispute, actor=actor, to_status=DisputeStatus.INVESTIGATING,
                       note=_clean_note(note, required=False))


def dispute_reject(*, actor: User, dispute_id: int, note: str) -> PaymentDispute:
    """INVESTIGATING -> REJECTED: the payment gets back the status it had before."""
    with transaction.atomic():
        dispute = _locked_dispute(actor=actor, dispute_id=dispute_id)
        _check_transition(dispute, DisputeStatus.REJECTED)
        note = _clean_note(note, required=True)
        payment = _locked_payment(dispute)
        payment.status = status_after_dispute(payment, dispute)
        payment.save(update_fields=["status", "updated_at"])
        return _record(dispute=dispute, actor=actor, to_status=DisputeStatus.REJECTED,
                       note=note)


def refundable(payment: Payment) -> Decimal:
    return payment.amount - (payment.refund_amount or Decimal("0"))


def status_after_dispute(payment: Payment, dispute: PaymentDispute) -> str:
    """The payment's status once its dispute closes, from the money and not from memory:
    REFUNDED when its completed refunds reach the amount paid (refunds made while the
    dispute was open count), else the status it had when the dispute was raised."""
    if payment.refund_amount is not None and payment.refund_amount >= payment.amount:
        return PaymentStatus.REFUNDED
    before = dispute.payment_status_before
    if before in (None, "", PaymentStatus.DISPUTED):
        return PaymentStatus.COMPLETED
    return str(before)


def dispute_resolve(
    *, actor: User, dispute_id: int, note: str, refund_amount: Decimal, destination: str,
) -> PaymentDispute:
    """INVESTIGATING -> RESOLVED with a full or partial refund of the payment.

    The refund goes through apps.payments.refunds in this same transaction: if it is
    refused, the dispute stays INVESTIGATING and nothing is written.
    """
    with transaction.atomic():
        dispute = _locked_dispute(actor=actor, dispute_id=dispute_id)
        _check_transition(dispute, DisputeStatus.RESOLVED)
        note = _clean_note(note, required=True)
        payment = _locked_payment(dispute)
        left = refundable(payment)
        if left <= 0 and not refund_amount:
            # Everything was refunded while the dispute was open (e.g. the doctor cancelled):
            # staff close it with their notes and no further refund.
            logger.info("payment dispute id=%s resolved without refund: nothing left",
                        dispute.pk)
        elif left <= 0:
            raise DisputeError(
                _("This payment has been refunded in full already; resolve with a refund of "
                  "0.00 or leave the amount empty."),
                field="refund_amount",
            )
        elif refund_amount is None or refund_amount <= 0:
            raise DisputeError(_("Give a refund amount above zero."), field="refund_amount")
        elif refund_amount > left:
            raise DisputeError(
                _("At most %(currency)s %(amount)s of this payment can still be refunded.")
                % {"amount": format_money(left), "currency": payment.currency},
                field="refund_amount",
            )
        elif destination not in REFUND_DESTINATIONS:
            raise DisputeError(_("Choose where the refund goes."), field="destination")
        else:
            # LIMITATION: a refund to the source is sent to JazzCash after this commits; if
            # the gateway then fails it, the dispute stays RESOLVED and its page shows the
            # refund as FAILED — a person settles it (e.g. a wallet credit in admin).
            refund_payment(payment_id=payment.pk, amount=refund_amount,
                           destination=destination, actor=actor, reason=note,
                           dispute_id=dispute.pk)
            payment.refresh_from_db()
        payment.status = status_after_dispute(payment, dispute)
        payment.save(update_fields=["status", "updated_at"])
        return _record(dispute=dispute, actor=actor, to_status=DisputeStatus.RESOLVED,
                       note=note)


# --- Telling both sides -------------------------------------------------------------------

def _notify(dispute_id: int) -> int:
    """Tell the payer and the payee where the dispute stands. No reason, note or evidence
    goes in the message: it may travel by email or push."""
    dispute = (
        PaymentDispute.objects.select_related("payment__payer", "payment__payee")
        .filter(pk=dispute_id).first()
    )
    if dispute is None:
        return 0
    payment = dispute.payment
    url = reverse("disputes:detail", args=[dispute.pk])
    for user in (payment.payer, payment.payee):
        with in_language_of(user):
            status = dispute.get_status_display()
            notification_create(
                user=user, event=NotificationEvent.PAYMENT_DISPUTE_UPDATED,
                title=_("Payment dispute: %(status)s") % {"status": status},
                message=_("The dispute about payment #%(payment)s (%(currency)s %(amount)s) "
                          "is now %(status)s.") % {
                    "payment": payment.pk, "amount": format_money(payment.amount),
                    "currency": payment.currency, "status": status,
                },
                action_url=url,
            )
    return 2
