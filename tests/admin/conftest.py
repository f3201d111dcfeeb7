from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.core.admin import encrypted_field_names
from apps.notifications.models import Notification, NotificationType
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentMethod,
    PaymentStatus,
)
from apps.prescriptions.models import (
    Prescription,
    PrescriptionMedication,
    PrescriptionWarning,
    Severity,
    WarningType,
)
from apps.records.models import FamilyMedicalHistory, MedicalRecord, RecordType, Relation
from apps.video.models import VideoCall
from tests import factories

_sequence = count(1)


@pytest.fixture
def owner(db: None) -> User:
    return factories.PlatformOwnerFactory.create()


@pytest.fixture
def admin_user(db: None) -> User:
    return factories.AdminFactory.create()


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def admin_client_(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def patient_with_phi(**fields: Any) -> User:
    number = next(_sequence)
    return factories.PatientFactory.create(
        phone=f"+92300555{number:04d}",
        cnic=f"35202-55{number:05d}-1",
        allergies="Penicillin (test)",
        emergency_contact=f"Test contact +92301555{number:04d}",
        **fields,
    )


def phi_values(*objs: Any) -> list[str]:
    """Every encrypted value the objects hold; each must be set for a leak test to mean much."""
    values = [
        getattr(obj, name) for obj in objs for name in encrypted_field_names(type(obj))
    ]
    assert all(values), "a PHI leak test needs every encrypted field filled in"
    return values


def appointment(**fields: Any) -> Appointment:
    # A distinct hour per appointment keeps one doctor's bookings from overlapping.
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + datetime.timedelta(
        days=2, hours=next(_sequence)
    )
    return factories.AppointmentFactory.create(scheduled_at=start, **fields)


def medical_record(**fields: Any) -> MedicalRecord:
    appt = appointment(patient=fields.pop("patient", None) or patient_with_phi())
    return MedicalRecord.objects.create(
        patient=appt.patient, doctor=appt.doctor, appointment=appt,
        record_type=RecordType.CONSULTATION, diagnosis="Test diagnosis ZXQ-DIAG",
        treatment="Test treatment ZXQ-TREAT", notes="Test notes ZXQ-NOTES",
        record_date=timezone.now(), **fields,
    )


def prescription() -> Prescription:
    appt = appointment(patient=patient_with_phi())
    item = Prescription.objects.create(
        patient=appt.patient, doctor=appt.doctor, appointment=appt,
        valid_until=timezone.now() + datetime.timedelta(days=30),
        instructions="Take after meals",
    )
    PrescriptionMedication.objects.create(
        prescription=item, name="Paracetamol", dosage="500 mg", frequency="Twice a day",
        duration="5 days",
    )
    PrescriptionWarning.objects.create(
        prescription=item, warning_type=WarningType.INTERACTION, severity=Severity.LOW,
        message="Test warning", drug_a="Paracetamol", drug_b="Ibuprofen",
    )
    return item


def payment() -> Payment:
    appt = appointment(patient=patient_with_phi())
    return Payment.objects.create(
        appointment=appt, payer=appt.patient, payee=appt.doctor, amount=Decimal("2500.00"),
        payment_method=PaymentMethod.JAZZCASH, status=PaymentStatus.COMPLETED,
        transaction_id=f"T{next(_sequence):010d}",
    )


def dispute(staff: User | None = None) -> PaymentDispute:
    paid = payment()
    item = PaymentDispute.objects.create(
        payment=paid, raised_by=paid.payer, reason="Charged twice (test)",
        status=DisputeStatus.INVESTIGATING, resolved_by=staff,
    )
    PaymentDisputeHistory.objects.create(
        dispute=item, from_status=DisputeStatus.PENDING, to_status=DisputeStatus.INVESTIGATING,
        changed_by=staff or paid.payer,
    )
    return item


def video_call() -> VideoCall:
    return VideoCall.objects.create(appointment=appointment(), room_id=f"room-{next(_sequence)}")


def notification() -> Notification:
    return Notification.objects.create(
        user=patient_with_phi(), type=NotificationType.APPOINTMENT_REMINDER,
        title="Reminder", message="Your appointment is tomorrow.",
    )


def phi_log(actor: User) -> PhiAccessLog:
    return PhiAccessLog.objects.create(
        actor=actor, action=PhiAction.VIEW, resource_type=PhiResource.MEDICAL_RECORD,
        resource_id=next(_sequence), reason="test",
    )


def family_history() -> FamilyMedicalHistory:
    return FamilyMedicalHistory.objects.create(
        patient=patient_with_phi(), relation=Relation.PARENT, conditions=["Hypertension"],
    )


Maker = Callable[[], Any]
