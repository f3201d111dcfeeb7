"""The payment receipt as PDF, for the payer patient and the payee doctor.

Only a COMPLETED or REFUNDED payment has a receipt; a PENDING or FAILED one (and one under
dispute) is refused with the reason. receipt_available is the one rule: the HTML receipt
page, the PDF and the links to them on the payment page all follow it. Dates are printed
in Asia/Karachi, amounts in PKR with two decimals. The document is made by the shared
helper (apps.core.pdf), so Urdu names print as written; a character the fonts cannot draw
(an emoji in a name) prints as U+FFFD rather than vanishing. Names are never logged: only
payment and user ids.
"""

from __future__ import annotations

import datetime
import logging
import zoneinfo
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import RuleError
from apps.core.pdf import MARK, Document
from apps.payments.models import Payment, PaymentStatus

logger = logging.getLogger(__name__)

RECEIPT_ZONE = zoneinfo.ZoneInfo("Asia/Karachi")
RECEIPT_STATUSES = (PaymentStatus.COMPLETED, PaymentStatus.REFUNDED)


class ReceiptNotFound(Exception):
    """Not there, or not the actor's payment: the view answers 404 either way."""


class ReceiptUnavailable(RuleError):
    """The payment has no receipt (yet); the message says why."""


def receipt_number(payment: Payment) -> str:
    return f"HL-R-{payment.pk:08d}"


def receipt_filename(payment: Payment) -> str:
    """The download's name: the receipt number only, never a name or a date of a visit."""
    return f"receipt-{receipt_number(payment)}.pdf"


def _money(amount: Decimal) -> str:
    return f"PKR {amount.quantize(Decimal('0.01')):,.2f}"


def _local(value: datetime.datetime) -> str:
    return value.astimezone(RECEIPT_ZONE).strftime("%d %b %Y, %H:%M PKT")


def paid_at(payment: Payment) -> datetime.datetime:
    """When the payment became COMPLETED, from its history; its last change otherwise."""
    completed: datetime.datetime | None = (
        payment.history.filter(status=PaymentStatus.COMPLETED)
        .order_by("history_date").values_list("history_date", flat=True).first()
    )
    return completed or payment.updated_at or payment.created_at


def receipt_payment(*, actor: User, payment_id: int) -> Payment:
    """The payment if the actor is its payer or payee and it has a receipt.

    ReceiptNotFound for anyone else; ReceiptUnavailable (with the reason) for a payment
    that is pending, failed or under dispute.
    """
    if not actor.is_authenticated or not actor.is_active:
        raise ReceiptNotFound
    payment = (
        Payment.objects.select_related("payer", "payee", "appointment")
        .filter(pk=payment_id).first()
    )
    if payment is None or actor.pk not in (payment.payer_id, payment.payee_id):
        raise ReceiptNotFound
    refusal = receipt_refusal(payment)
    if refusal is not None:
        raise ReceiptUnavailable(refusal)
    return payment


def receipt_available(payment: Payment) -> bool:
    """The one rule for receipts, HTML page and PDF alike (and for showing their links)."""
    return payment.status in RECEIPT_STATUSES


def receipt_refusal(payment: Payment) -> str | None:
    """Why `payment` has no receipt now, in the active language; None when it has one."""
    if receipt_available(payment):
        return None
    if payment.status == PaymentStatus.PENDING:
        return _("This payment has not been completed yet, so there is no receipt for it.")
    if payment.status == PaymentStatus.FAILED:
        return _("This payment failed, so there is no receipt for it.")
    return _("This payment is under dispute; its receipt is available again once the "
             "dispute is resolved.")


def render_receipt_pdf(payment: Payment) -> bytes:
    """The receipt of a COMPLETED or REFUNDED payment (the caller checks who asks)."""
    doctor, appointment = payment.payee, payment.appointment
    document = Document(
        title=_("Receipt %(number)s") % {"number": receipt_number(payment)},
        language=translation.get_language() or "en", rtl=translation.get_language_bidi(),
    )
    document.add(_("HealthLink payment receipt"), size=16, bold=True)
    document.add(_("Receipt number: %(number)s"), {"number": receipt_number(payment)},
                 size=11)
    document.add(_("Date: %(when)s"), {"when": _local(paid_at(payment))})

    document.heading(_("Paid by"), gap=14)
    document.add(payment.payer.display_name)
    document.heading(_("Paid to"))
    document.add(doctor.display_name)
    document.add(_("PMDC number: %(pmdc)s"), {"pmdc": doctor.pmdc_license_number or "-"})

    document.heading(_("Appointment"))
    document.add(_("Date: %(when)s"), {"when": _local(appointment.scheduled_at)})
    document.add(_("Type: %(type)s"), {"type": appointment.get_consultation_type_display()})

    document.heading(_("Payment"))
    document.add(_("Amount: %(amount)s"), {"amount": _money(payment.amount)}, bold=True)
    document.add(_("Method: %(method)s"), {"method": payment.get_payment_method_display()})
    document.add(_("Transaction ID: %(id)s"), {"id": payment.transaction_id or "-"})
    if payment.refund_amount:
        document.add(_("Refunded: %(amount)s"), {"amount": _money(payment.refund_amount)},
                     bold=True)
    document.add(_("Status: %(status)s"), {"status": payment.get_status_display()})
    document.add(_("Amounts are in Pakistani rupees; dates and times in Pakistan Standard "
                   "Time."), size=8, gap=14)
    content = document.render(missing=MARK)
    logger.info("payment receipt rendered payment=%s", payment.pk)
    return content
