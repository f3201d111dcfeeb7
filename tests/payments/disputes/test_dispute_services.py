"""Disputes from the patient's complaint to the staff's decision: rules, history, refunds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.facilities.models import DoctorFacility, Facility
from apps.notifications.models import Notification, NotificationEvent
from apps.payments import dispute_services as services
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentStatus,
    Refund,
)
from apps.payments.wallet import wallet_balance
from tests import factories
from tests.payments.disputes.support import EXE_BYTES, pdf, png, upload

pytestmark = pytest.mark.django_db


def _history(dispute: PaymentDispute) -> list[tuple[str | None, str, int, str | None]]:
    return [
        (row.from_status, row.to_status, row.changed_by_id, row.note)
        for row in PaymentDisputeHistory.objects.filter(dispute=dispute).order_by("pk")
    ]


def _investigating(paid: Payment, staff: User) -> PaymentDispute:
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk,
                                     reason="Charged twice")
    return services.dispute_investigate(actor=staff, dispute_id=dispute.pk)


def _stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- The lifecycle ----------------------------------------------------------------------------

def test_it_walks_a_dispute_to_a_partial_refund_writing_history_at_every_step(
    paid: Payment, staff: User, django_capture_on_commit_callbacks: Any,
) -> None:
    patient = paid.payer

    with django_capture_on_commit_callbacks(execute=True):
        dispute = services.dispute_raise(actor=patient, payment_id=paid.pk,
                                         reason="The doctor did not join", evidence=[pdf(), png()])
    paid.refresh_from_db()
    assert (dispute.status, paid.status) == (DisputeStatus.PENDING, PaymentStatus.DISPUTED)
    assert dispute.payment_status_before == PaymentStatus.COMPLETED
    assert len(dispute.evidence_urls or []) == 2

    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_investigate(actor=staff, dispute_id=dispute.pk, note="Checking logs")
    with django_capture_on_commit_callbacks(execute=True):
        services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="Half refunded",
                                 refund_amount=Decimal("750.00"), destination="WALLET")

    dispute.refresh_from_db()
    paid.refresh_from_db()
    assert dispute.status == DisputeStatus.RESOLVED
    assert (dispute.resolution, dispute.resolved_by_id) == ("Half refunded", staff.pk)
    assert dispute.resolved_at is not None and dispute.resolved_at <= timezone.now()
    assert _history(dispute) == [
        (None, "PENDING", patient.pk, None),
        ("PENDING", "INVESTIGATING", staff.pk, "Checking logs"),
        ("INVESTIGATING", "RESOLVED", staff.pk, "Half refunded"),
    ]
    # A partial refund: the payment goes back to what it was, with the amount recorded.
    assert (paid.status, paid.refund_amount) == (PaymentStatus.COMPLETED, Decimal("750.00"))
    refund = Refund.objects.get(payment=paid)
    assert (refund.amount, refund.dispute_id, refund.actor_id) == (
        Decimal("750.00"), dispute.pk, staff.pk)
    assert wallet_balance(patient) == Decimal("750.00")
    # Patient and doctor are told of each of the three changes.
    told = Notification.objects.filter(event=NotificationEvent.PAYMENT_DISPUTE_UPDATED)
    assert sorted(told.values_list("user_id", flat=True)) == sorted(
        [patient.pk, paid.payee_id] * 3)
    assert all("did not join" not in note.message for note in told)


def test_a_full_refund_leaves_the_payment_refunded(paid: Payment, staff: User) -> None:
    dispute = _investigating(paid, staff)

    services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="Full refund",
                             refund_amount=Decimal("2000.00"), destination="WALLET")

    paid.refresh_from_db()
    assert (paid.status, paid.refund_amount) == (PaymentStatus.REFUNDED, Decimal("2000.00"))


def test_rejecting_puts_back_the_status_the_payment_had(
    paid: Payment, staff: User,
) -> None:
    Payment.objects.filter(pk=paid.pk).update(status=PaymentStatus.REFUNDED,
                                              refund_amount=Decimal("500.00"))
    dispute = _investigating(paid, staff)

    services.dispute_reject(actor=staff, dispute_id=dispute.pk, note="Policy followed")

    paid.refresh_from_db()
    dispute.refresh_from_db()
    assert paid.status == PaymentStatus.REFUNDED
    assert (dispute.status, dispute.resolution) == (DisputeStatus.REJECTED, "Policy followed")
    assert _history(dispute)[-1] == ("INVESTIGATING", "REJECTED", staff.pk, "Policy followed")


# --- Illegal moves ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("current", "action", "message"),
    [
        ("PENDING", "resolve", "A dispute that is Pending cannot be moved to Resolved."),
        ("PENDING", "reject", "A dispute that is Pending cannot be moved to Rejected."),
        ("INVESTIGATING", "investigate",
         "A dispute that is Investigating cannot be moved to Investigating."),
        ("RESOLVED", "investigate", "A dispute that is Resolved cannot be moved to Investigating."),
        ("REJECTED", "resolve", "A dispute that is Rejected cannot be moved to Resolved."),
        ("RESOLVED", "reject", "A dispute that is Resolved cannot be moved to Rejected."),
    ],
)
def test_it_refuses_an_illegal_move_and_writes_nothing(
    paid: Payment, staff: User, current: str, action: str, message: str,
) -> None:
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong")
    PaymentDispute.objects.filter(pk=dispute.pk).update(status=current)
    rows = PaymentDisputeHistory.objects.count()
    calls = {
        "investigate": lambda: services.dispute_investigate(actor=staff, dispute_id=dispute.pk),
        "reject": lambda: services.dispute_reject(actor=staff, dispute_id=dispute.pk,
                                                  note="No"),
        "resolve": lambda: services.dispute_resolve(
            actor=staff, dispute_id=dispute.pk, note="Yes", refund_amount=Decimal("10.00"),
            destination="WALLET"),
    }

    with pytest.raises(services.DisputeError) as caught:
        calls[action]()

    assert str(caught.value.message) == message
    dispute.refresh_from_db()
    assert dispute.status == current
    assert PaymentDisputeHistory.objects.count() == rows
    assert not Refund.objects.exists()


@pytest.mark.parametrize("action", ["reject", "resolve"])
def test_a_decision_needs_notes(paid: Payment, staff: User, action: str) -> None:
    dispute = _investigating(paid, staff)

    with pytest.raises(services.DisputeError) as caught:
        if action == "reject":
            services.dispute_reject(actor=staff, dispute_id=dispute.pk, note="  ")
        else:
            services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="",
                                     refund_amount=Decimal("5.00"), destination="WALLET")

    assert (str(caught.value.message), caught.value.field) == (
        "Write the resolution notes.", "note")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.INVESTIGATING


@pytest.mark.parametrize(("amount", "message"), [
    (Decimal("2000.01"), "At most PKR 2000.00 of this payment can still be refunded."),
    (Decimal("0"), "Give a refund amount above zero."),
])
def test_a_refund_beyond_what_is_left_is_refused_and_nothing_moves(
    paid: Payment, staff: User, amount: Decimal, message: str,
) -> None:
    dispute = _investigating(paid, staff)

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="Refund",
                                 refund_amount=amount, destination="WALLET")

    assert str(caught.value.message) == message
    paid.refresh_from_db()
    dispute.refresh_from_db()
    assert (paid.status, paid.refund_amount) == (PaymentStatus.DISPUTED, None)
    assert dispute.status == DisputeStatus.INVESTIGATING
    assert not Refund.objects.exists()


def test_a_refund_to_an_unknown_destination_is_refused(paid: Payment, staff: User) -> None:
    dispute = _investigating(paid, staff)

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_resolve(actor=staff, dispute_id=dispute.pk, note="Refund",
                                 refund_amount=Decimal("5.00"), destination="CASH")

    assert caught.value.field == "destination"


# --- Raising -----------------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["PENDING", "FAILED", "DISPUTED"])
def test_only_completed_or_refunded_payments_can_be_disputed(
    paid: Payment, status: str, payment_storage: Path,
) -> None:
    Payment.objects.filter(pk=paid.pk).update(status=status)

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong",
                               evidence=[pdf()])

    assert str(caught.value.message) == "Only a completed or refunded payment can be disputed."
    assert not PaymentDispute.objects.exists()
    assert _stored(payment_storage) == []


def test_a_payment_is_disputed_once(paid: Payment, payment_storage: Path) -> None:
    services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong")

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Again",
                               evidence=[pdf()])

    assert str(caught.value.message) == "This payment already has a dispute."
    assert PaymentDispute.objects.count() == 1
    assert _stored(payment_storage) == []


def test_a_reason_is_required(paid: Payment) -> None:
    with pytest.raises(services.DisputeError) as caught:
        services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="   ")

    assert caught.value.field == "reason"
    assert not PaymentDispute.objects.exists()


# --- Evidence -----------------------------------------------------------------------------------

def test_an_executable_disguised_as_a_pdf_is_refused_and_nothing_is_kept(
    paid: Payment, payment_storage: Path,
) -> None:
    disguised = upload("bank-statement.pdf", EXE_BYTES)

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong",
                               evidence=[pdf(), disguised])

    assert str(caught.value.message) == (
        "A file is a program, not a document or image; it was refused.")
    assert caught.value.field == "evidence"
    assert not PaymentDispute.objects.exists()
    assert _stored(payment_storage) == []  # the good file stored first was removed again
    paid.refresh_from_db()
    assert paid.status == PaymentStatus.COMPLETED


def test_too_many_evidence_files_are_refused(paid: Payment, settings: Any) -> None:
    settings.PAYMENT_DISPUTE_MAX_EVIDENCE = 2

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong",
                               evidence=[pdf(), pdf(), pdf()])

    assert str(caught.value.message) == "Attach at most 2 files."


def test_an_oversized_file_is_refused(paid: Payment, settings: Any) -> None:
    settings.PAYMENT_FILE_MAX_BYTES = 100

    with pytest.raises(services.DisputeError) as caught:
        services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong",
                               evidence=[upload("big.pdf", b"%PDF-1.4\n" + b"0" * 200)])

    assert "larger than the limit" in str(caught.value.message)


def test_evidence_keys_hold_no_file_name(paid: Payment) -> None:
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong",
                                     evidence=[pdf("ayesha-khan-statement.pdf")])

    (key,) = dispute.evidence_urls or []
    assert key.startswith(f"payments/{paid.pk}/evidence/") and key.endswith(".pdf")
    assert "ayesha" not in key and "://" not in key


# --- Receipt image ------------------------------------------------------------------------------

def test_the_payer_attaches_and_replaces_a_receipt(
    paid: Payment, payment_storage: Path, django_capture_on_commit_callbacks: Any,
) -> None:
    services.payment_receipt_attach(actor=paid.payer, payment_id=paid.pk, upload=png())
    paid.refresh_from_db()
    first = paid.receipt_image_url
    assert first and first.startswith(f"payments/{paid.pk}/receipt/") and "://" not in first

    with django_capture_on_commit_callbacks(execute=True):
        services.payment_receipt_attach(actor=paid.payer, payment_id=paid.pk, upload=pdf())

    paid.refresh_from_db()
    assert paid.receipt_image_url != first
    assert [path.name for path in _stored(payment_storage)] == [
        Path(paid.receipt_image_url or "").name]


def test_a_receipt_that_is_a_program_is_refused(paid: Payment) -> None:
    with pytest.raises(services.DisputeError) as caught:
        services.payment_receipt_attach(actor=paid.payer, payment_id=paid.pk,
                                        upload=upload("receipt.jpg", EXE_BYTES, "image/jpeg"))

    assert caught.value.field == "receipt"
    paid.refresh_from_db()
    assert paid.receipt_image_url is None


def test_a_disputed_payments_receipt_cannot_change(paid: Payment) -> None:
    services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong")

    with pytest.raises(services.DisputeError):
        services.payment_receipt_attach(actor=paid.payer, payment_id=paid.pk, upload=png())


# --- Outsiders ------------------------------------------------------------------------------------

def test_another_patient_or_the_doctor_cannot_dispute_or_attach(
    paid: Payment, other_patient: User,
) -> None:
    for outsider in (other_patient, paid.payee):
        with pytest.raises(services.DisputeNotFound):
            services.dispute_raise(actor=outsider, payment_id=paid.pk, reason="Mine now")
        with pytest.raises(services.DisputeNotFound):
            services.payment_receipt_attach(actor=outsider, payment_id=paid.pk, upload=png())
    assert not PaymentDispute.objects.exists()


def test_staff_of_another_facility_cannot_touch_the_dispute(
    paid: Payment, other_staff: User, doctor: User,
) -> None:
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong")

    for actor in (other_staff, doctor, paid.payer):
        with pytest.raises(services.DisputeNotFound):
            services.dispute_investigate(actor=actor, dispute_id=dispute.pk)
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.PENDING


def test_a_remote_consultation_belongs_to_the_facilities_where_the_doctor_works(
    patient: User, doctor: User, staff: User, facility: Facility, other_staff: User,
) -> None:
    DoctorFacility.objects.create(doctor=doctor, facility=facility)
    remote = factories.PaidPaymentFactory(
        appointment=factories.AppointmentFactory(patient=patient, doctor=doctor, facility=None,
                                                 status="COMPLETED"))
    dispute = services.dispute_raise(actor=patient, payment_id=remote.pk, reason="Wrong")

    with pytest.raises(services.DisputeNotFound):
        services.dispute_investigate(actor=other_staff, dispute_id=dispute.pk)
    services.dispute_investigate(actor=staff, dispute_id=dispute.pk)

    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.INVESTIGATING


def test_an_admin_may_decide_any_dispute(paid: Payment) -> None:
    admin = factories.AdminFactory()
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Wrong")

    services.dispute_investigate(actor=admin, dispute_id=dispute.pk)

    assert _history(dispute)[-1][2] == admin.pk
