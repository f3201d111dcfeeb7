"""JazzCash Page Redirection v1.1: the signed form, callback checks and the two server APIs.

The secure hash (JazzCash's published rule): every field whose name starts with ``pp``
except ``pp_SecureHash``, empty values dropped, sorted by field name, values joined with
``&``, prefixed with the integrity salt and ``&``, HMAC-SHA256 keyed with the salt, hex.

Amounts travel in paisa (integer strings); times in Pakistan time as YYYYMMDDHHmmss.
Credentials come from settings (the environment) and never reach a log line or an error.

Server-to-server calls (status inquiry, refund) send and receive JSON signed the same way;
an answer whose hash does not verify is treated as no answer at all.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

PAKISTAN_TZ = ZoneInfo("Asia/Karachi")
DATETIME_FORMAT = "%Y%m%d%H%M%S"
VERSION = "1.1"
CURRENCY = "PKR"
TXN_TYPE_MOBILE_WALLET = "MWALLET"
TXN_TYPE_CARD = "MPAY"

SUCCESS = "000"
INQUIRY_COMPLETED = "121"  # status inquiry: "transaction has been completed"
PENDING_CODES = frozenset({"124", "157"})

# Meanings of the response codes a patient can meet, after JazzCash's published list.
# Unknown codes get a generic line with the code; the code itself is never a secret.
RESPONSE_MEANINGS: dict[str, Any] = {
    "000": _("The payment was successful."),
    "001": _("The transaction limit of the account was exceeded."),
    "002": _("The account was not found."),
    "003": _("The account is inactive."),
    "004": _("The account balance is too low."),
    "014": _("The card is restricted."),
    "015": _("The card has been reported lost or stolen."),
    "101": _("The merchant is not set up for this payment."),
    "110": _("The payment request was invalid."),
    "115": _("The card has expired."),
    "121": _("The payment was successful."),
    "124": _("The order is placed and waits for the payment to be made."),
    "157": _("The payment is pending confirmation by the customer."),
    "199": _("JazzCash reported a system error."),
    "349": _("The transaction was declined."),
    "999": _("The payment was cancelled."),
    "EXPIRED": _("The payment was not completed before the attempt expired."),
}

TXN_REF_PATTERN = re.compile(r"^T\d{12}[0-9A-Z]{1,7}$")


class JazzCashError(Exception):
    """A gateway call that gave no usable answer. The message holds no secret and no PHI."""


class JazzCashTimeout(JazzCashError):
    """The request was sent but no answer came: its outcome at the gateway is unknown."""


@dataclass(frozen=True)
class GatewayRefundResult:
    ok: bool
    pending: bool
    response_code: str
    message: str


@dataclass(frozen=True)
class InquiryResult:
    """The verified answer of a status inquiry: the payment's code at the gateway.

    ``known`` is False when JazzCash answered but does not know the transaction (or refused
    the inquiry): then the payment codes are empty.
    """

    response_code: str
    payment_response_code: str
    status: str
    retrieval_reference: str

    @property
    def known(self) -> bool:
        return self.response_code == SUCCESS

    @property
    def completed(self) -> bool:
        return self.payment_response_code in (SUCCESS, INQUIRY_COMPLETED)

    @property
    def pending(self) -> bool:
        return self.payment_response_code in PENDING_CODES


# --- Hash -----------------------------------------------------------------------------


def secure_hash(fields: Mapping[str, str], salt: str) -> str:
    values = [
        str(fields[name])
        for name in sorted(fields)
        if name.startswith("pp") and name != "pp_SecureHash" and str(fields[name]) != ""
    ]
    message = "&".join([salt, *values])
    return hmac.new(salt.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify_secure_hash(fields: Mapping[str, str], salt: str) -> bool:
    received = str(fields.get("pp_SecureHash") or "")
    if not received or not salt:
        return False
    expected = secure_hash(fields, salt)
    return hmac.compare_digest(expected.lower().encode(), received.lower().encode())


# --- Values ---------------------------------------------------------------------------


def to_paisa(amount: Decimal) -> str:
    paisa = (amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return str(int(paisa))


def from_paisa(value: str) -> Decimal | None:
    if not value or not value.isdigit():
        return None
    try:
        return (Decimal(value) / 100).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def pakistan_time(moment: datetime) -> str:
    return moment.astimezone(PAKISTAN_TZ).strftime(DATETIME_FORMAT)


def make_txn_ref_no(payment_id: int, moment: datetime) -> str:
    """``T`` + yymmddHHMMSS (Pakistan time) + the payment id in base 36: unique, <= 20 chars."""
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    number, encoded = payment_id, ""
    while True:
        number, rest = divmod(number, 36)
        encoded = digits[rest] + encoded
        if not number:
            break
    stamp = moment.astimezone(PAKISTAN_TZ).strftime("%y%m%d%H%M%S")
    return f"T{stamp}{encoded}"


def txn_ref_time(txn_ref_no: str) -> datetime | None:
    """The moment a reference of ours was made (it is encoded in it), or None if not ours."""
    if not TXN_REF_PATTERN.match(txn_ref_no):
        return None
    try:
        return datetime.strptime(txn_ref_no[1:13], "%y%m%d%H%M%S").replace(tzinfo=PAKISTAN_TZ)
    except ValueError:
        return None


# Failure reasons the portal itself writes (stored in English, shown translated).
CANCELLED_BEFORE_PAYMENT = "Appointment cancelled before payment."
OWN_REASONS: dict[str, Any] = {
    CANCELLED_BEFORE_PAYMENT: _("Appointment cancelled before payment."),
}


def failure_reason_display(stored: str | None) -> str:
    """What a stored `failure_reason` means, in the active language.

    The row keeps "<code>: <English meaning>" (services.py) for staff and admin; a reader
    gets the meaning of the code in their language. Text of another shape is shown as
    stored (it was never a gateway code)."""
    text = (stored or "").strip()
    if not text:
        return ""
    if text in OWN_REASONS:
        return str(OWN_REASONS[text])
    code, separator, _english = text.partition(":")
    code = code.strip()
    if separator and code and re.fullmatch(r"[A-Z0-9]{1,10}", code):
        return response_meaning(code)
    return text


def response_meaning(code: str) -> str:
    meaning = RESPONSE_MEANINGS.get(code)
    if meaning is None:
        return str(_("JazzCash declined the payment (code %(code)s).") % {"code": code[:10]})
    return str(meaning)


def txn_type_for(method: str) -> str:
    return TXN_TYPE_CARD if method == "CREDIT_CARD" else TXN_TYPE_MOBILE_WALLET


# --- Page Redirection form ------------------------------------------------------------


def build_payment_form(
    *,
    txn_ref_no: str,
    amount: Decimal,
    method: str,
    bill_reference: str,
    description: str,
    return_url: str,
) -> dict[str, str]:
    """Every field of the form the browser posts to ``JAZZCASH_POST_URL``, signed."""
    created = txn_ref_time(txn_ref_no)
    if created is None:
        raise ValueError("Not a transaction reference of ours.")
    expires = created + timedelta(hours=settings.JAZZCASH_TXN_EXPIRY_HOURS)
    fields = {
        "pp_Version": VERSION,
        "pp_TxnType": txn_type_for(method),
        "pp_Language": "EN",
        "pp_MerchantID": settings.JAZZCASH_MERCHANT_ID,
        "pp_SubMerchantID": "",
        "pp_Password": settings.JAZZCASH_PASSWORD,
        "pp_BankID": "",
        "pp_ProductID": "",
        "pp_TxnRefNo": txn_ref_no,
        "pp_Amount": to_paisa(amount),
        "pp_TxnCurrency": CURRENCY,
        "pp_TxnDateTime": pakistan_time(created),
        "pp_BillReference": bill_reference,
        "pp_Description": description,
        "pp_TxnExpiryDateTime": pakistan_time(expires),
        "pp_ReturnURL": return_url,
        "ppmpf_1": "",
        "ppmpf_2": "",
        "ppmpf_3": "",
        "ppmpf_4": "",
        "ppmpf_5": "",
    }
    fields["pp_SecureHash"] = secure_hash(fields, settings.JAZZCASH_INTEGRITY_SALT)
    return fields


# --- Server-to-server APIs ------------------------------------------------------------


def _post_signed(url: str, fields: dict[str, str], what: str) -> dict[str, str]:
    salt = settings.JAZZCASH_INTEGRITY_SALT
    body = {**fields, "pp_SecureHash": secure_hash(fields, salt)}
    timeout = (settings.JAZZCASH_CONNECT_TIMEOUT_SECONDS, settings.JAZZCASH_READ_TIMEOUT_SECONDS)
    try:
        response = requests.post(url, json=body, timeout=timeout)
    except requests.ConnectTimeout as exc:
        raise JazzCashError(f"{what}: connection timed out") from exc
    except requests.Timeout as exc:
        raise JazzCashTimeout(f"{what}: no answer in time") from exc
    except requests.RequestException as exc:
        raise JazzCashError(f"{what}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise JazzCashError(f"{what}: HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as exc:
        raise JazzCashError(f"{what}: answer is not JSON") from exc
    if not isinstance(data, dict):
        raise JazzCashError(f"{what}: answer is not an object")
    answer = {str(key): "" if value is None else str(value) for key, value in data.items()}
    if not verify_secure_hash(answer, salt):
        logger.warning("JazzCash %s answer rejected: secure hash does not verify", what)
        raise JazzCashError(f"{what}: secure hash does not verify")
    return answer


def inquire_status(*, txn_ref_no: str) -> InquiryResult:
    """Ask JazzCash for a transaction's state. Raises JazzCashError without a verified answer."""
    answer = _post_signed(
        settings.JAZZCASH_STATUS_INQUIRY_URL,
        {
            "pp_TxnRefNo": txn_ref_no,
            "pp_MerchantID": settings.JAZZCASH_MERCHANT_ID,
            "pp_Password": settings.JAZZCASH_PASSWORD,
        },
        "status inquiry",
    )
    return InquiryResult(
        response_code=answer.get("pp_ResponseCode", "")[:10],
        payment_response_code=answer.get("pp_PaymentResponseCode", "")[:10],
        status=answer.get("pp_Status", "")[:30],
        retrieval_reference=answer.get("pp_RetreivalReferenceNo", "")[:50],
    )


def request_refund(*, txn_ref_no: str, amount: Decimal) -> GatewayRefundResult:
    """Refund (part of) a JazzCash transaction to its source.

    ``ok`` means JazzCash accepted the refund. ``pending`` means its outcome is not known
    yet (JazzCash said pending, or the request was sent and no answer came): do not retry
    blindly, ask again later. Neither means it was refused or never sent.
    """
    fields = {
        "pp_TxnRefNo": txn_ref_no,
        "pp_Amount": to_paisa(amount),
        "pp_TxnCurrency": CURRENCY,
        "pp_MerchantID": settings.JAZZCASH_MERCHANT_ID,
        "pp_Password": settings.JAZZCASH_PASSWORD,
    }
    if settings.JAZZCASH_MERCHANT_MPIN:
        fields["pp_MerchantMPIN"] = settings.JAZZCASH_MERCHANT_MPIN
    try:
        answer = _post_signed(settings.JAZZCASH_REFUND_URL, fields, "refund")
    except JazzCashTimeout:
        logger.warning("JazzCash refund for %s timed out; outcome unknown", txn_ref_no)
        return GatewayRefundResult(ok=False, pending=True, response_code="TIMEOUT",
                                   message="No answer from JazzCash in time.")
    except JazzCashError as exc:
        logger.warning("JazzCash refund for %s failed: %s", txn_ref_no, exc)
        return GatewayRefundResult(ok=False, pending=False, response_code="ERROR",
                                   message=str(exc))
    code = answer.get("pp_ResponseCode", "")[:10]
    logger.info("JazzCash refund for %s answered %s", txn_ref_no, code)
    return GatewayRefundResult(
        ok=code == SUCCESS,
        pending=code in PENDING_CODES,
        response_code=code,
        message=answer.get("pp_ResponseMessage", "")[:200],
    )
