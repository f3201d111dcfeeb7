"""A local stand-in for JazzCash, for development without internet (JAZZCASH_SIMULATOR).

It plays the gateway's three parts, in the shapes JazzCash documents:
- the payment page: checks the posted form's secure hash, lets the user approve, decline
  or leave the payment pending, then posts a signed callback to the form's pp_ReturnURL;
- the status inquiry API: answers for transactions it has seen. A transaction left
  pending is reported completed when asked (as if the customer confirmed it later), so
  the settling job can be watched doing its work;
- the refund API: refunds approved transactions, never more than was paid in total.

What it has seen lives in the cache for a day. It is refused outside DEBUG (settings and
apps/payments/checks.py) and every view 404s unless the setting is on.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.payments import jazzcash

CACHE_SECONDS = 24 * 3600
DECISIONS = {"approve": "000", "decline": "004", "pending": "157"}
MESSAGES = {
    "000": "Thank you for Using JazzCash, your transaction was successful.",
    "004": "Low balance.",
    "157": "Transaction is pending. Please confirm it on your JazzCash account.",
}
_INVALID = "110"
_UNKNOWN = "199"


def enabled() -> bool:
    return bool(getattr(settings, "JAZZCASH_SIMULATOR", False))


def _sign(fields: dict[str, str]) -> dict[str, str]:
    salt = settings.JAZZCASH_INTEGRITY_SALT
    return {**fields, "pp_SecureHash": jazzcash.secure_hash(fields, salt)}


def _credentials_ok(fields: Mapping[str, str]) -> bool:
    return (
        jazzcash.verify_secure_hash(fields, settings.JAZZCASH_INTEGRITY_SALT)
        and fields.get("pp_MerchantID") == settings.JAZZCASH_MERCHANT_ID
        and fields.get("pp_Password") == settings.JAZZCASH_PASSWORD
    )


def _txn_key(ref: str) -> str:
    return f"jazzcash-simulator:txn:{ref}"


# --- Payment page ---------------------------------------------------------------------


def open_checkout(fields: Mapping[str, str]) -> str | None:
    """Accept a posted Page Redirection form; a token for the decision page, or None."""
    if not _credentials_ok(fields) or not fields.get("pp_TxnRefNo"):
        return None
    if not str(fields.get("pp_Amount", "")).isdigit() or not fields.get("pp_ReturnURL"):
        return None
    token = secrets.token_urlsafe(16)
    cache.set(f"jazzcash-simulator:checkout:{token}", dict(fields), CACHE_SECONDS)
    return token


def checkout_form(token: str) -> dict[str, str] | None:
    found = cache.get(f"jazzcash-simulator:checkout:{token}")
    return found if isinstance(found, dict) else None


def decide(token: str, decision: str) -> tuple[str, dict[str, str]] | None:
    """The user's choice: (return URL, signed callback fields), or None for a bad token."""
    form = checkout_form(token)
    code = DECISIONS.get(decision)
    if form is None or code is None:
        return None
    cache.delete(f"jazzcash-simulator:checkout:{token}")
    ref = form["pp_TxnRefNo"]
    retrieval = f"{secrets.randbelow(10**12):012d}"
    cache.set(_txn_key(ref), {"code": code, "amount": form["pp_Amount"], "refunded": 0,
                              "retrieval": retrieval}, CACHE_SECONDS)
    callback = {
        "pp_Amount": form["pp_Amount"],
        "pp_AuthCode": f"{secrets.randbelow(10**6):06d}" if code == "000" else "",
        "pp_BankID": form.get("pp_BankID", ""),
        "pp_BillReference": form.get("pp_BillReference", ""),
        "pp_Language": form.get("pp_Language", "EN"),
        "pp_MerchantID": form["pp_MerchantID"],
        "pp_ResponseCode": code,
        "pp_ResponseMessage": MESSAGES[code],
        "pp_RetreivalReferenceNo": retrieval,
        "pp_SubMerchantId": form.get("pp_SubMerchantID", ""),
        "pp_TxnCurrency": form.get("pp_TxnCurrency", ""),
        "pp_TxnDateTime": form.get("pp_TxnDateTime", ""),
        "pp_TxnRefNo": ref,
        "pp_TxnType": form.get("pp_TxnType", ""),
        "pp_Version": form.get("pp_Version", ""),
        **{f"ppmpf_{n}": form.get(f"ppmpf_{n}", "") for n in range(1, 6)},
    }
    return form["pp_ReturnURL"], _sign(callback)


# --- Server APIs ----------------------------------------------------------------------


def inquiry_answer(request: Mapping[str, Any]) -> dict[str, str]:
    fields = {str(k): str(v) for k, v in request.items()}
    if not _credentials_ok(fields):
        return _sign({"pp_ResponseCode": _INVALID,
                      "pp_ResponseMessage": "Invalid merchant credentials or secure hash."})
    state = cache.get(_txn_key(fields.get("pp_TxnRefNo", "")))
    if not isinstance(state, dict):
        return _sign({"pp_ResponseCode": _UNKNOWN,
                      "pp_ResponseMessage": "No transaction found for this reference."})
    code = state["code"]
    if code == "157":  # the customer confirmed it since
        code = state["code"] = "000"
        cache.set(_txn_key(fields["pp_TxnRefNo"]), state, CACHE_SECONDS)
    paid = code == "000"
    return _sign({
        "pp_ResponseCode": "000",
        "pp_ResponseMessage": "Successfully returned status for the transaction.",
        "pp_Status": "Completed" if paid else "Failed",
        "pp_PaymentResponseCode": jazzcash.INQUIRY_COMPLETED if paid else code,
        "pp_PaymentResponseMessage": "Transaction has been completed." if paid
        else MESSAGES.get(code, ""),
        "pp_RetreivalReferenceNo": state["retrieval"],
        "pp_AuthCode": "",
        "pp_SettlementExpiry": "",
    })


def refund_answer(request: Mapping[str, Any]) -> dict[str, str]:
    fields = {str(k): str(v) for k, v in request.items()}
    if not _credentials_ok(fields):
        return _sign({"pp_ResponseCode": _INVALID,
                      "pp_ResponseMessage": "Invalid merchant credentials or secure hash."})
    ref = fields.get("pp_TxnRefNo", "")
    state = cache.get(_txn_key(ref))
    if not isinstance(state, dict) or state["code"] != "000":
        return _sign({"pp_ResponseCode": _UNKNOWN,
                      "pp_ResponseMessage": "No completed transaction for this reference."})
    amount = fields.get("pp_Amount", "")
    if not amount.isdigit() or int(amount) <= 0 or (
        state["refunded"] + int(amount) > int(state["amount"])
    ):
        return _sign({"pp_ResponseCode": _INVALID,
                      "pp_ResponseMessage": "Refund amount is not valid for this transaction."})
    state["refunded"] += int(amount)
    cache.set(_txn_key(ref), state, CACHE_SECONDS)
    return _sign({"pp_ResponseCode": "000", "pp_ResponseMessage": "Refund successful.",
                  "pp_TxnRefNo": ref, "pp_Amount": amount})
