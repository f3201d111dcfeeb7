"""The payment receipt PDF: contents, who may download it, which payments have one."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from apps.accounts.models import User
from apps.appointments.models import ConsultationType
from apps.payments.models import Payment, PaymentMethod, PaymentStatus
from apps.payments.receipt_pdf import render_receipt_pdf
from tests import factories

pytestmark = pytest.mark.django_db

URDU_NAME = "محمد علی خان"


def make_payment(*, payer: User | None = None, payee: User | None = None,
                 status: str = PaymentStatus.COMPLETED, **fields: Any) -> Payment:
    payer = payer or factories.PatientFactory(name="Bilal Ahmed Rana")
    payee = payee or factories.DoctorFactory(name="Dr Sana Qureshi")
    appointment = factories.AppointmentFactory(
        patient=payer, doctor=payee, consultation_type=ConsultationType.IN_PERSON,
        scheduled_at=datetime(2026, 12, 10, 7, 30, tzinfo=UTC),  # 12:30 in Karachi
    )
    values: dict[str, Any] = {
        "amount": Decimal("2500"), "payment_method": PaymentMethod.JAZZCASH,
        "transaction_id": f"T{appointment.pk:012d}", **fields,
    }
    return Payment.objects.create(appointment=appointment, payer=payer, payee=payee,
                                  status=status, **values)


def url(payment: Payment) -> str:
    return reverse("receipts:pdf", kwargs={"payment_id": payment.pk})


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_payer_downloads_the_receipt(django_assert_max_num_queries: Any) -> None:
    payment = make_payment()
    client = logged_in(payment.payer)

    with django_assert_max_num_queries(6):
        response = client.get(url(payment))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="receipt-HL-R-{payment.pk:08d}.pdf"')
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    for expected in (f"HL-R-{payment.pk:08d}", "Bilal Ahmed Rana", "Dr Sana Qureshi",
                     payment.payee.pmdc_license_number or "?", "10 Dec 2026, 12:30 PKT",
                     "In person", "PKR 2,500.00", "JazzCash mobile wallet",
                     payment.transaction_id or "?", "Status: Completed"):
        assert expected in text
    assert "Refunded" not in text


def test_the_payee_doctor_downloads_it_too() -> None:
    payment = make_payment()

    response = logged_in(payment.payee).get(url(payment))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


def test_the_filename_holds_no_name_or_date() -> None:
    payment = make_payment()

    disposition = logged_in(payment.payer).get(url(payment))["Content-Disposition"]

    assert "Bilal" not in disposition and "Sana" not in disposition
    assert "2026" not in disposition


def test_a_refunded_payment_shows_the_refund() -> None:
    payment = make_payment(status=PaymentStatus.REFUNDED, refund_amount=Decimal("1000.5"))

    text = pdf_text(logged_in(payment.payer).get(url(payment)).content)

    assert "Refunded: PKR 1,000.50" in text
    assert "Status: Refunded" in text
    assert "PKR 2,500.00" in text


def test_the_date_is_when_the_payment_completed_in_karachi_time() -> None:
    payment = make_payment(status=PaymentStatus.PENDING)
    record = payment.history.get()
    record.history_date = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
    record.save()
    payment.status = PaymentStatus.COMPLETED
    payment.save()
    payment.history.filter(status=PaymentStatus.COMPLETED).update(
        history_date=datetime(2026, 12, 2, 20, 15, tzinfo=UTC))

    text = pdf_text(render_receipt_pdf(payment))

    assert "Date: 03 Dec 2026, 01:15 PKT" in text


def test_urdu_names_print() -> None:
    payer = factories.PatientFactory(name=URDU_NAME)
    payee = factories.DoctorFactory(name="ڈاکٹر عائشہ صدیقی")
    payment = make_payment(payer=payer, payee=payee)

    response = logged_in(payer).get(url(payment))

    assert response.status_code == 200
    text = pdf_text(response.content)
    for word in ("محمد", "خان", "عائشہ", "صدیقی"):
        assert word in text
    # The Latin lines after the Urdu names keep their own font.
    assert f"PMDC number: {payee.pmdc_license_number}" in text
    assert "PKR 2,500.00" in text and "Status: Completed" in text


def test_control_characters_and_emoji_in_a_name_do_not_reach_the_receipt() -> None:
    payment = make_payment(payer=factories.PatientFactory(name="Bilal\x07 \x1b[2JRana \U0001f600"))

    response = logged_in(payment.payer).get(url(payment))

    text = pdf_text(response.content)
    assert "Bilal [2JRana \ufffd" in text
    assert "\x07" not in text and "\x1b" not in text


def test_the_receipt_is_in_urdu_for_an_urdu_reader() -> None:
    payment = make_payment()
    client = logged_in(payment.payer)

    response = client.get(url(payment), HTTP_ACCEPT_LANGUAGE="ur")

    text = pdf_text(response.content)
    assert "PKR 2,500.00" in text and "Bilal Ahmed Rana" in text
    assert "Receipt number" not in text


@pytest.mark.parametrize(("status", "reason"), [
    (PaymentStatus.PENDING, "not been completed yet"),
    (PaymentStatus.FAILED, "failed"),
    (PaymentStatus.DISPUTED, "under dispute"),
])
def test_a_payment_without_a_receipt_is_refused_with_the_reason(status: str,
                                                                reason: str) -> None:
    payment = make_payment(status=status)

    response = logged_in(payment.payer).get(url(payment))

    assert response.status_code == 409
    assert reason in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("who", ["patient", "doctor", "staff", "admin"])
def test_outsiders_get_404(who: str) -> None:
    payment = make_payment()
    outsider = {
        "patient": factories.PatientFactory, "doctor": factories.DoctorFactory,
        "staff": factories.StaffFactory, "admin": factories.AdminFactory,
    }[who]()

    response = logged_in(outsider).get(url(payment))

    assert response.status_code == 404


def test_an_outsider_gets_404_for_a_pending_payment_too() -> None:
    payment = make_payment(status=PaymentStatus.PENDING)

    assert logged_in(factories.PatientFactory()).get(url(payment)).status_code == 404


def test_an_unknown_payment_is_404() -> None:
    response = logged_in(factories.PatientFactory()).get(
        reverse("receipts:pdf", kwargs={"payment_id": 999999}))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in() -> None:
    response = Client().get(url(make_payment()))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_names_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    payment = make_payment(payer=factories.PatientFactory(name=URDU_NAME))

    logged_in(payment.payer).get(url(payment))

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert f"payment={payment.pk}" in logged
    assert URDU_NAME not in logged and "Sana" not in logged


def test_receipt_downloads_are_limited_per_user(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid

    from django.conf import settings
    from django.test import override_settings

    from apps.core import throttle

    monkeypatch.setattr(throttle, "PDF_RATE_LIMIT", 2)
    payment = make_payment()
    caches = {"default": {**settings.CACHES["default"],
                          "KEY_PREFIX": f"test-receipts-{uuid.uuid4().hex}"}}
    with override_settings(CACHES=caches):
        client = logged_in(payment.payer)
        codes = [client.get(url(payment)).status_code for _ in range(3)]
        payee_code = logged_in(payment.payee).get(url(payment)).status_code

    assert codes == [200, 200, 429]
    assert payee_code == 200
