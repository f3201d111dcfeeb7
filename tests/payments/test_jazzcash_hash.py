"""The secure hash, the form and the value helpers of apps.payments.jazzcash."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from django.test import override_settings

from apps.payments import jazzcash

PUBLISHED = "c7689cda7474eb1adcd343fd0c0b676bad0ba66361cc46db589bdb0da4c1c867"


def test_secure_hash_matches_the_published_example() -> None:
    fields = {"pp_Amount": "2995", "pp_MerchantID": "MER123", "pp_OrderInfo": "A48cvE28"}

    assert jazzcash.secure_hash(fields, "0F5DD14AE2") == PUBLISHED


def test_secure_hash_ignores_empty_values_non_pp_fields_and_the_hash_itself() -> None:
    fields = {"pp_OrderInfo": "A48cvE28", "pp_MerchantID": "MER123", "pp_Amount": "2995",
              "pp_BankID": "", "csrfmiddlewaretoken": "x", "pp_SecureHash": "abc"}

    assert jazzcash.secure_hash(fields, "0F5DD14AE2") == PUBLISHED


def test_verify_accepts_either_case_and_rejects_a_changed_value() -> None:
    fields = {"pp_Amount": "2995", "pp_MerchantID": "MER123", "pp_OrderInfo": "A48cvE28"}

    assert jazzcash.verify_secure_hash({**fields, "pp_SecureHash": PUBLISHED.upper()},
                                       "0F5DD14AE2")
    assert not jazzcash.verify_secure_hash(
        {**fields, "pp_Amount": "2996", "pp_SecureHash": PUBLISHED}, "0F5DD14AE2"
    )
    assert not jazzcash.verify_secure_hash(fields, "0F5DD14AE2")
    assert not jazzcash.verify_secure_hash({**fields, "pp_SecureHash": PUBLISHED}, "")


def test_paisa_conversion_both_ways() -> None:
    assert jazzcash.to_paisa(Decimal("2500.00")) == "250000"
    assert jazzcash.to_paisa(Decimal("29.95")) == "2995"
    assert jazzcash.from_paisa("2995") == Decimal("29.95")
    assert jazzcash.from_paisa("-5") is None
    assert jazzcash.from_paisa("12.5") is None


def test_txn_ref_is_short_unique_per_payment_and_encodes_pakistan_time() -> None:
    moment = datetime(2026, 12, 4, 19, 30, 5, tzinfo=UTC)

    ref = jazzcash.make_txn_ref_no(2_000_000_000, moment)

    assert ref.startswith("T261205003005")
    assert len(ref) <= 20
    assert ref != jazzcash.make_txn_ref_no(2_000_000_001, moment)
    assert jazzcash.txn_ref_time(ref) == moment
    assert jazzcash.txn_ref_time("X1") is None


@override_settings(JAZZCASH_MERCHANT_ID="MC1", JAZZCASH_PASSWORD="pw",
                   JAZZCASH_INTEGRITY_SALT="salt", JAZZCASH_TXN_EXPIRY_HOURS=1)
def test_payment_form_has_every_field_and_a_valid_hash() -> None:
    ref = jazzcash.make_txn_ref_no(7, datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC))

    form = jazzcash.build_payment_form(
        txn_ref_no=ref, amount=Decimal("2500.00"), method="CREDIT_CARD",
        bill_reference="APT7", description="Consultation", return_url="http://x/return/",
    )

    assert form["pp_Version"] == "1.1"
    assert form["pp_TxnType"] == "MPAY"
    assert form["pp_Amount"] == "250000"
    assert form["pp_TxnCurrency"] == "PKR"
    assert form["pp_TxnDateTime"] == "20261204150000"
    assert form["pp_TxnExpiryDateTime"] == "20261204160000"
    assert form["pp_Language"] == "EN"
    assert jazzcash.verify_secure_hash(form, "salt")
    assert jazzcash.txn_type_for("JAZZCASH") == "MWALLET"


def test_response_meanings_cover_known_and_unknown_codes() -> None:
    assert "balance" in jazzcash.response_meaning("004")
    assert "777" in jazzcash.response_meaning("777")
