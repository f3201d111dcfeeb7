"""A booking creates the PENDING payment for the doctor's fee, in the booking's statement."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import services as appointment_services
from apps.appointments.models import Appointment, ConsultationType
from apps.payments.models import Payment, PaymentMethod, PaymentStatus
from tests import factories
from tests.payments.conftest import book_with_fee

pytestmark = pytest.mark.django_db


def test_booking_a_doctor_with_a_fee_creates_a_pending_payment(patient: User) -> None:
    payment = book_with_fee(patient, "2500.00")

    appointment = Appointment.objects.get(payment_id=payment.pk)
    assert payment.appointment_id == appointment.pk
    assert (payment.payer_id, payment.payee_id) == (patient.pk, appointment.doctor_id)
    assert payment.amount == Decimal("2500.00")
    assert payment.currency == "PKR"
    assert payment.status == PaymentStatus.PENDING
    assert payment.payment_method == PaymentMethod.JAZZCASH
    assert payment.transaction_id is None
    assert [h.history_type for h in payment.history.all()] == ["+"]
    assert appointment.history.get().payment_id == payment.pk


@pytest.mark.parametrize("fee", [None, "0.00"])
def test_a_free_consultation_has_no_payment(patient: User, fee: str | None) -> None:
    with pytest.raises(Payment.DoesNotExist):
        book_with_fee(patient, fee)

    appointment = Appointment.objects.get(patient=patient)
    assert appointment.payment_id is None
    assert not Payment.objects.exists()


def test_the_payment_costs_the_booking_no_extra_statement(
    patient: User, django_assert_num_queries: Callable[..., Any],
) -> None:
    doctor = factories.DoctorFactory.create(consultation_fee=Decimal("3000.00"))
    factories.available_all_week(doctor)
    when = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

    with django_assert_num_queries(4):  # as many as a booking without a payment
        appointment = appointment_services.appointment_book(
            patient=patient, doctor=doctor, scheduled_at=when,
            consultation_type=ConsultationType.VIDEO_CALL,
        )

    assert Payment.objects.get(appointment=appointment).amount == Decimal("3000.00")
