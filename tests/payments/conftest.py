"""Payments fixtures: JazzCash credentials for tests, payments made by booking, callbacks."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import services as appointment_services
from apps.appointments.models import ConsultationType
from apps.payments import jazzcash
from apps.payments.models import Payment
from tests import factories
from tests.payments.wallet_support import refund_gateway  # noqa: F401 - a fixture for every test here

SALT = "test-salt-0F5DD14AE2"
MERCHANT = "MC-TEST-1"
PASSWORD = "test-password"  # noqa: S105 - test fixture


@pytest.fixture(autouse=True)
def jazzcash_settings() -> Iterator[None]:
    # Every URL points at a closed loopback port unless a test points it at its own server:
    # nothing here may ever reach JazzCash.
    with override_settings(
        JAZZCASH_MERCHANT_ID=MERCHANT, JAZZCASH_PASSWORD=PASSWORD,
        JAZZCASH_INTEGRITY_SALT=SALT, JAZZCASH_MERCHANT_MPIN="",
        JAZZCASH_POST_URL="http://127.0.0.1:9/jazzcash/",
        JAZZCASH_STATUS_INQUIRY_URL="http://127.0.0.1:9/inquire",
        JAZZCASH_REFUND_URL="http://127.0.0.1:9/refund",
        JAZZCASH_CONNECT_TIMEOUT_SECONDS=2.0, JAZZCASH_READ_TIMEOUT_SECONDS=2.0,
        JAZZCASH_SIMULATOR=False,
    ):
        yield


@pytest.fixture
def fresh_cache() -> Iterator[None]:
    """An empty cache for this test (the simulator keeps its state there): a key prefix of
    its own, not cache.clear(), which would empty the whole Redis database under the other
    test processes too (their simulator state, their Celery queue)."""
    caches: dict[str, Any] = {
        alias: {**config, "KEY_PREFIX": f"test-payments-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield


_next_hour = itertools.count()


def book_with_fee(patient: User, fee: str | None = "2500.00") -> Payment:
    """A booking with a doctor charging `fee`; its PENDING payment."""
    doctor = factories.DoctorFactory.create(
        consultation_fee=Decimal(fee) if fee is not None else None
    )
    factories.available_all_week(doctor)
    when = (timezone.now() + timedelta(days=2, hours=next(_next_hour) % 2000)).replace(
        minute=0, second=0, microsecond=0)
    appointment = appointment_services.appointment_book(
        patient=patient, doctor=doctor, scheduled_at=when,
        consultation_type=ConsultationType.VIDEO_CALL,
    )
    return Payment.objects.get(appointment_id=appointment.pk)


def start_checkout(payment: Payment, method: str = "JAZZCASH") -> dict[str, str]:
    from apps.payments import services

    return services.payment_checkout_start(
        actor=payment.payer, payment_id=payment.pk, method=method,
        return_url="http://testserver/payments/jazzcash/return/",
    )


def signed_callback(form: dict[str, str], code: str = "000", **changes: str) -> dict[str, str]:
    """The callback JazzCash would post for `form`, signed with the test salt."""
    fields = {
        "pp_Amount": form["pp_Amount"], "pp_AuthCode": "123456", "pp_BankID": "",
        "pp_BillReference": form["pp_BillReference"], "pp_Language": "EN",
        "pp_MerchantID": form["pp_MerchantID"], "pp_ResponseCode": code,
        "pp_ResponseMessage": "modelled", "pp_RetreivalReferenceNo": "201204123456",
        "pp_SubMerchantId": "", "pp_TxnCurrency": "PKR",
        "pp_TxnDateTime": form["pp_TxnDateTime"], "pp_TxnRefNo": form["pp_TxnRefNo"],
        "pp_TxnType": form["pp_TxnType"], "pp_Version": "1.1",
        **changes,
    }
    fields["pp_SecureHash"] = jazzcash.secure_hash(fields, SALT)
    return fields
