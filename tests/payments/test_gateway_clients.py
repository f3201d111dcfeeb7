"""The status-inquiry and refund clients, and the settling job, against local HTTP servers.

A fake gateway on 127.0.0.1 serves the modelled answers in fixtures/jazzcash (see its
README); the simulator, served by pytest-django's live_server, plays the whole gateway.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import User
from apps.payments import jazzcash, services, simulator, tasks
from apps.payments.models import Payment, PaymentStatus
from tests.payments.conftest import SALT, book_with_fee, start_checkout

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures" / "jazzcash"


@dataclass
class FakeGateway:
    url: str = ""
    answer: str = "inquiry_completed.json"
    mode: str = "signed"  # signed | bad_hash | server_error | not_json | slow
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    state = FakeGateway()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.received.append(json.loads(self.rfile.read(length)))
            if state.mode == "slow":
                time.sleep(1.5)
            if state.mode == "server_error":
                self._send(500, b"{}")
                return
            if state.mode == "not_json":
                self._send(200, b"<html>maintenance</html>")
                return
            body = json.loads((FIXTURES / state.answer).read_text())
            fields = {k: "" if v is None else str(v) for k, v in body.items()}
            body["pp_SecureHash"] = jazzcash.secure_hash(
                fields, SALT if state.mode == "signed" else "some-other-salt")
            self._send(200, json.dumps(body).encode())

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with override_settings(JAZZCASH_STATUS_INQUIRY_URL=f"{state.url}/inquire",
                               JAZZCASH_REFUND_URL=f"{state.url}/refund",
                               JAZZCASH_READ_TIMEOUT_SECONDS=0.5):
            yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- Status inquiry -------------------------------------------------------------------


def test_the_inquiry_is_signed_and_its_verified_answer_read(gateway: FakeGateway) -> None:
    result = jazzcash.inquire_status(txn_ref_no="T261204101010A")

    sent = gateway.received[0]
    assert sent["pp_TxnRefNo"] == "T261204101010A"
    assert jazzcash.verify_secure_hash(sent, SALT)
    assert result.known and result.completed and not result.pending
    assert result.retrieval_reference == "201204123456"


@pytest.mark.parametrize("mode", ["bad_hash", "server_error", "not_json", "slow"])
def test_an_unverified_or_missing_answer_is_an_error(gateway: FakeGateway, mode: str) -> None:
    gateway.mode = mode
    with pytest.raises(jazzcash.JazzCashError):
        jazzcash.inquire_status(txn_ref_no="T261204101010A")


@pytest.mark.parametrize(("answer", "status", "reason"), [
    ("inquiry_completed.json", PaymentStatus.COMPLETED, None),
    ("inquiry_failed.json", PaymentStatus.FAILED, "004: The account balance is too low."),
    ("inquiry_pending.json", PaymentStatus.PENDING, None),
])
def test_the_job_settles_pending_payments_by_the_inquiry(
    gateway: FakeGateway, patient: User, answer: str, status: str, reason: str | None,
) -> None:
    gateway.answer = answer
    payment = book_with_fee(patient)
    start_checkout(payment)
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    counts = tasks.settle_pending_jazzcash()

    payment.refresh_from_db()
    assert (payment.status, payment.failure_reason) == (status, reason)
    assert counts == {"asked": 1, "changed": int(status != PaymentStatus.PENDING)}
    assert gateway.received[0]["pp_TxnRefNo"] == payment.transaction_id


def test_a_tampered_inquiry_answer_changes_nothing(gateway: FakeGateway, patient: User) -> None:
    gateway.mode = "bad_hash"
    payment = book_with_fee(patient)
    start_checkout(payment)

    assert services.payment_settle_from_inquiry(payment_id=payment.pk) is False
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_an_unknown_attempt_fails_only_once_it_has_expired(
    gateway: FakeGateway, patient: User,
) -> None:
    gateway.answer = "inquiry_not_found.json"
    payment = book_with_fee(patient)
    start_checkout(payment)
    assert services.payment_settle_from_inquiry(payment_id=payment.pk) is False

    old = jazzcash.make_txn_ref_no(payment.pk, timezone.now() - timedelta(hours=2))
    Payment.objects.filter(pk=payment.pk).update(transaction_id=old)
    assert services.payment_settle_from_inquiry(payment_id=payment.pk) is True
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason.startswith("EXPIRED: ")  # type: ignore[union-attr]


def test_recent_and_settled_payments_are_not_asked(gateway: FakeGateway, patient: User) -> None:
    payment = book_with_fee(patient)
    start_checkout(payment)  # just sent: JazzCash's own callback may still come
    unsent = book_with_fee(patient)
    Payment.objects.filter(pk=unsent.pk).update(updated_at=timezone.now() - timedelta(hours=1))

    assert tasks.settle_pending_jazzcash() == {"asked": 0, "changed": 0}
    assert gateway.received == []


# --- Refund ---------------------------------------------------------------------------


def test_a_refund_is_signed_in_paisa_and_accepted(gateway: FakeGateway) -> None:
    gateway.answer = "refund_success.json"

    result = jazzcash.request_refund(txn_ref_no="T261204101010A", amount=Decimal("1250.50"))

    assert result == jazzcash.GatewayRefundResult(ok=True, pending=False, response_code="000",
                                                  message="Refund successful.")
    sent = gateway.received[0]
    assert (sent["pp_Amount"], sent["pp_TxnCurrency"]) == ("125050", "PKR")
    assert jazzcash.verify_secure_hash(sent, SALT)


@pytest.mark.parametrize(("answer", "mode", "expected"), [
    ("refund_rejected.json", "signed", (False, False, "110")),
    ("refund_success.json", "bad_hash", (False, False, "ERROR")),
    ("refund_success.json", "server_error", (False, False, "ERROR")),
    ("refund_success.json", "slow", (False, True, "TIMEOUT")),
])
def test_a_refused_unverified_or_unanswered_refund_is_not_ok(
    gateway: FakeGateway, answer: str, mode: str, expected: tuple[bool, bool, str],
) -> None:
    gateway.answer, gateway.mode = answer, mode

    result = jazzcash.request_refund(txn_ref_no="T261204101010A", amount=Decimal("10"))

    assert (result.ok, result.pending, result.response_code) == expected
    assert "salt" not in result.message.lower() and "password" not in result.message.lower()


def test_a_refused_connection_is_an_error_not_a_pending_refund() -> None:
    result = jazzcash.request_refund(txn_ref_no="T261204101010A", amount=Decimal("10"))
    assert (result.ok, result.pending, result.response_code) == (False, False, "ERROR")


# --- Against the simulator ------------------------------------------------------------


@pytest.fixture
def simulated(live_server: Any, fresh_cache: None) -> Iterator[str]:
    base = f"{live_server.url}/payments/simulator"
    with override_settings(JAZZCASH_SIMULATOR=True,
                           JAZZCASH_POST_URL=f"{base}/pay/",
                           JAZZCASH_STATUS_INQUIRY_URL=f"{base}/api/inquire/",
                           JAZZCASH_REFUND_URL=f"{base}/api/refund/"):
        yield base


def test_the_simulator_answers_inquiry_and_refunds_over_http(
    simulated: str, patient: User,
) -> None:
    payment = book_with_fee(patient, "2000.00")
    form = start_checkout(payment)
    token = simulator.open_checkout(form)
    assert token is not None
    simulator.decide(token, "pending")

    assert services.payment_settle_from_inquiry(payment_id=payment.pk) is True
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED

    ref = str(payment.transaction_id)
    assert jazzcash.request_refund(txn_ref_no=ref, amount=Decimal("1500")).ok
    too_much = jazzcash.request_refund(txn_ref_no=ref, amount=Decimal("600"))
    assert (too_much.ok, too_much.response_code) == (False, "110")
    assert jazzcash.request_refund(txn_ref_no=ref, amount=Decimal("500")).ok
