"""One patient's worth of data in every section an export covers, marked so it can be found."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.payments.models import Payment, PaymentDispute, PaymentMethod, PaymentStatus
from apps.prescriptions.models import (
    Prescription,
    PrescriptionMedication,
    PrescriptionWarning,
    Severity,
    WarningType,
)
from apps.records.attachments import attachment_storage
from apps.records.models import FamilyMedicalHistory, MedicalRecord, RecordType, Relation
from tests import factories

PDF = b"%PDF-1.4\n% test attachment\n" + bytes(range(256)) * 64


@dataclass
class PatientData:
    patient: User
    doctor: User
    appointment: Appointment
    record: MedicalRecord
    attachment_key: str
    prescription: Prescription
    payment: Payment
    relative: FamilyMedicalHistory
    access: PhiAccessLog


def patient_with_everything(marker: str) -> PatientData:
    """A patient with a row in every section; `marker` is in each piece of their own text."""
    patient = factories.PatientFactory.create(
        name=f"Patient {marker}", phone="+923001234567", allergies=f"Penicillin {marker}",
        emergency_contact=f"Brother {marker}",
    )
    doctor = factories.DoctorFactory.create(name=f"Dr {marker}")
    appointment = factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, status=AppointmentStatus.COMPLETED,
        scheduled_at=timezone.now() - timedelta(days=3), chief_complaint=f"Cough {marker}",
    )
    key = attachment_storage().save(f"records/{marker}/scan.pdf", ContentFile(PDF))
    record = MedicalRecord.objects.create(
        patient=patient, doctor=doctor, appointment=appointment,
        record_type=RecordType.CONSULTATION, diagnosis=f"Bronchitis {marker}",
        treatment=f"Rest {marker}", notes=f"Notes {marker}",
        file_urls=[key, f"records/{marker}/gone.png"], record_date=timezone.now(),
    )
    prescription = Prescription.objects.create(
        patient=patient, doctor=doctor, appointment=appointment,
        instructions=f"After meals {marker}", valid_until=timezone.now() + timedelta(days=30),
    )
    PrescriptionMedication.objects.create(
        prescription=prescription, name=f"Amoxicillin {marker}", dosage="500 mg",
        frequency="3 times a day", duration="7 days",
    )
    PrescriptionWarning.objects.create(
        prescription=prescription, warning_type=WarningType.ALLERGY, severity=Severity.HIGH,
        message=f"Penicillin allergy {marker}", drug_a="Amoxicillin",
    )
    payment = Payment.objects.create(
        appointment=appointment, payer=patient, payee=doctor, amount=Decimal("2500.00"),
        payment_method=PaymentMethod.JAZZCASH, status=PaymentStatus.DISPUTED,
        transaction_id=f"T{marker}",
    )
    PaymentDispute.objects.create(payment=payment, raised_by=patient,
                                  reason=f"Charged twice {marker}")
    relative = FamilyMedicalHistory.objects.create(
        patient=patient, relation=Relation.PARENT, relation_name=f"Ammi {marker}",
        age=61, conditions=[f"Diabetes {marker}"],
    )
    access = phi_access_record(
        actor=doctor, action=PhiAction.VIEW, resource_type=PhiResource.MEDICAL_RECORD,
        resource_id=record.pk, patient=patient, reason=f"consultation {marker}",
    )
    return PatientData(patient=patient, doctor=doctor, appointment=appointment, record=record,
                       attachment_key=key, prescription=prescription, payment=payment,
                       relative=relative, access=access)
