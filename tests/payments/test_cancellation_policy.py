"""Refunds by the cancellation policy: who cancels, how early, and where the money goes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.appointments import lifecycle
from apps.notifications.models import Notification, NotificationEvent
from apps.payments.models import (
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundDestination,
    RefundPreference,
    RefundStatus,
)
from apps.payments.refunds import (
    payment_completed_after_cancel,
    refund_due_on_cancel,
    refund_preference_set,
)
from apps.payments.wallet import wallet_balance
from tests.appointments.lifecycle_support import Clinic, in_hours, make_clinic
from tests.payments.wallet_support import FakeGateway, make_payment

pytestmark = pytest.mark.django_db

CaptureCommits = Any


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()


# --- The rule by timing and by who cancels ----------------------------------------------


@pytest.mark.parametrize(("hours_before", "by_patient", "due"), [
    (48, True, "1500.00"),
    (2, True, "1500.00"),       # exactly the notice the policy asks for
    (1.99, True, "0.00"),       # later than that: nothing (the services refuse anyway)
    (0.5, False, "1500.00"),    # the doctor or staff: always in full
    (-1, False, "1500.00"),
])
def test_the_refund_due_depends_on_notice_and_who_cancels(
    clinic: Clinic, hours_before: float, by_patient: bool, due: str
) -> None:
    now = timezone.now()
    appointment = clinic.appointment(scheduled_at=in_hours(24))
    payment = make_payment(appointment, amount="1500.00")
    start = now + timedelta(hours=hours_before)
    assert refund_due_on_cancel(payment=payment, cancelled_by_patient=by_patient,
                                scheduled_at=start, now=now) == Decimal(due)


def test_nothing_is_due_on_a_payment_never_completed(clinic: Clinic) -> None:
    payment = make_payment(clinic.appointment(), status=PaymentStatus.PENDING)
    assert refund_due_on_cancel(payment=payment, cancelled_by_patient=False,
                                scheduled_at=in_hours(24), now=timezone.now()) == 0


# --- Cancelling -------------------------------------------------------------------------


def test_a_patient_cancelling_early_gets_it_all_back_where_they_chose(
    clinic: Clinic, refund_gateway: FakeGateway, django_capture_on_commit_callbacks: CaptureCommits
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(3))
    payment = make_payment(appointment, amount="2000.00")

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk,
                                     refund_destination=RefundDestination.SOURCE)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert payment.refund_amount == Decimal("2000.00")
    assert refund_gateway.calls == [(payment.transaction_id, Decimal("2000.00"))]
    assert wallet_balance(clinic.patient) == 0
    # Their choice is remembered for the next time someone else cancels.
    assert RefundPreference.objects.get(user=clinic.patient).destination == "SOURCE"


def test_a_patient_choosing_the_wallet_sees_it_credited(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    payment = make_payment(appointment, amount="1200.00")

    lifecycle.appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk,
                                 refund_destination=RefundDestination.WALLET)

    assert wallet_balance(clinic.patient) == Decimal("1200.00")
    refund = Refund.objects.get(payment=payment)
    assert (refund.destination, refund.status) == ("WALLET", RefundStatus.COMPLETED)
    assert refund.actor_id == clinic.patient.pk
    titles = set(Notification.objects.filter(user=clinic.patient).values_list("title", flat=True))
    assert "Refund issued" in titles


@pytest.mark.parametrize("who", ["doctor", "staff"])
def test_a_doctor_or_staff_cancel_refunds_in_full_to_the_wallet_by_default(
    clinic: Clinic, who: str
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(0.5))
    payment = make_payment(appointment, amount="900.00")

    lifecycle.appointment_cancel(actor=getattr(clinic, who), appointment_id=appointment.pk,
                                 reason="Doctor unwell")

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert wallet_balance(clinic.patient) == Decimal("900.00")


def test_a_doctor_cancel_follows_the_patients_saved_preference(
    clinic: Clinic, refund_gateway: FakeGateway, django_capture_on_commit_callbacks: CaptureCommits
) -> None:
    refund_preference_set(user=clinic.patient, destination=RefundDestination.SOURCE)
    appointment = clinic.appointment(scheduled_at=in_hours(5))
    payment = make_payment(appointment, amount="900.00", method=PaymentMethod.CREDIT_CARD)

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk,
                                     reason="Clinic closed")

    assert len(refund_gateway.calls) == 1
    assert wallet_balance(clinic.patient) == 0
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED


def test_a_pending_payment_is_closed_without_a_refund_on_cancel(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(10))
    payment = make_payment(appointment, status=PaymentStatus.PENDING)

    lifecycle.appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason
    assert not Refund.objects.exists()
    assert wallet_balance(clinic.patient) == 0


def test_a_payment_open_at_jazzcash_is_left_for_the_gateway_and_refunded_if_it_completes(
    clinic: Clinic,
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(10))
    payment = make_payment(appointment, status=PaymentStatus.PENDING, amount="800.00")
    Payment.objects.filter(pk=payment.pk).update(transaction_id="T26120412000002")

    lifecycle.appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    # JazzCash then reports it paid: the patient gets it back (wallet by default).
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.COMPLETED)
    refund = payment_completed_after_cancel(payment_id=payment.pk)
    assert refund is not None and refund.status == RefundStatus.COMPLETED
    assert wallet_balance(clinic.patient) == Decimal("800.00")
    assert payment_completed_after_cancel(payment_id=payment.pk) is None


def test_a_payment_completed_for_a_booking_still_on_is_kept(clinic: Clinic) -> None:
    payment = make_payment(clinic.appointment())
    assert payment_completed_after_cancel(payment_id=payment.pk) is None
    assert not Refund.objects.exists()


def test_a_no_show_is_not_refunded(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-1))
    payment = make_payment(appointment, amount="900.00")

    lifecycle.appointment_mark_no_show(actor=clinic.doctor, appointment_id=appointment.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and payment.refund_amount is None
    assert not Refund.objects.exists()


def test_a_completed_visit_is_not_refunded(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-1))
    payment = make_payment(appointment)
    lifecycle.appointment_complete(actor=clinic.doctor, appointment_id=appointment.pk)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED and not Refund.objects.exists()


def test_a_refused_cancel_refunds_nothing(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))
    make_payment(appointment)
    with pytest.raises(lifecycle.errors.TooLateToChange):
        lifecycle.appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk)
    assert not Refund.objects.exists()


def test_a_deleted_doctors_appointments_are_refunded(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(20))
    payment = make_payment(appointment, amount="650.00")
    admin = make_clinic().staff  # any actor: the admin who deleted the account

    lifecycle.appointments_cancel_for_deleted_user(actor=admin, user_id=clinic.doctor.pk)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert wallet_balance(clinic.patient) == Decimal("650.00")


def test_a_deleted_patients_refund_goes_back_to_the_source(
    clinic: Clinic, refund_gateway: FakeGateway, django_capture_on_commit_callbacks: CaptureCommits
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(20))
    payment = make_payment(appointment, amount="650.00")

    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.appointments_cancel_for_deleted_user(actor=clinic.staff,
                                                       user_id=clinic.patient.pk)

    assert refund_gateway.calls == [(payment.transaction_id, Decimal("650.00"))]
    assert wallet_balance(clinic.patient) == 0


def test_a_partly_refunded_payment_gets_only_the_rest_on_cancel(clinic: Clinic) -> None:
    from apps.payments.refunds import refund_payment

    appointment = clinic.appointment(scheduled_at=in_hours(20))
    payment = make_payment(appointment, amount="1000.00")
    refund_payment(payment_id=payment.pk, amount=Decimal("400.00"), destination="WALLET",
                   actor=clinic.staff, reason="goodwill")

    lifecycle.appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk,
                                 reason="Away")

    payment.refresh_from_db()
    assert payment.refund_amount == Decimal("1000.00")
    assert wallet_balance(clinic.patient) == Decimal("1000.00")


# --- The cancel form --------------------------------------------------------------------


def test_the_patients_cancel_form_offers_the_refund_choice_only_when_paid_by_gateway(
    client: Client, clinic: Clinic
) -> None:
    paid = clinic.appointment(scheduled_at=in_hours(30))
    make_payment(paid)
    unpaid = clinic.appointment(scheduled_at=in_hours(50))
    client.force_login(clinic.patient)

    assert 'name="refund_to"' in client.get(
        reverse("appointments:detail", args=[paid.pk])).content.decode()
    assert 'name="refund_to"' not in client.get(
        reverse("appointments:detail", args=[unpaid.pk])).content.decode()
    client.force_login(clinic.doctor)
    assert 'name="refund_to"' not in client.get(
        reverse("appointments:detail", args=[paid.pk])).content.decode()


def test_cancelling_on_the_page_with_the_wallet_chosen_credits_it(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    make_payment(appointment, amount="1100.00")
    client.force_login(clinic.patient)

    response = client.post(reverse("appointments:cancel", args=[appointment.pk]),
                           {"reason": "", "refund_to": "WALLET"})

    assert response.status_code == 302
    assert wallet_balance(clinic.patient) == Decimal("1100.00")
    assert Notification.objects.filter(
        user=clinic.patient, event=NotificationEvent.PAYMENT_RECEIVED).exists()


def test_a_bad_refund_choice_is_a_form_error_and_cancels_nothing(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(30))
    make_payment(appointment)
    client.force_login(clinic.patient)

    response = client.post(reverse("appointments:cancel", args=[appointment.pk]),
                           {"reason": "", "refund_to": "BANK"})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "SCHEDULED"
