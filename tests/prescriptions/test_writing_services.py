"""Writing prescriptions through the services: warnings replaced on each save, acks, locks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.prescriptions import selectors, services
from apps.prescriptions.models import (
    ESignStatus,
    Prescription,
    PrescriptionWarning,
    Severity,
    WarningType,
)
from tests import factories
from tests.prescriptions.writing_support import med, visit, write

pytestmark = pytest.mark.django_db


def rows(prescription: Prescription) -> list[tuple[str, str, str | None, str | None]]:
    return [(w.warning_type, w.severity, w.drug_a, w.drug_b)
            for w in PrescriptionWarning.objects.filter(prescription=prescription)]


def update(prescription: Prescription, *names: str) -> Prescription:
    return services.prescription_update(
        doctor=prescription.doctor, prescription_id=prescription.pk, instructions="",
        valid_until=timezone.now() + timedelta(days=10), medications=[med(n) for n in names],
    )


def test_warfarin_and_aspirin_store_a_high_interaction_row(patient: User, doctor: User) -> None:
    visit(patient, doctor)

    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")

    [row] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert row.warning_type == WarningType.INTERACTION
    assert row.severity in {Severity.HIGH, Severity.CRITICAL}
    assert (row.drug_a, row.drug_b) == ("Warfarin 5mg", "Aspirin 75mg")
    assert "Source:" in row.message
    assert prescription.e_sign_status == ESignStatus.PENDING
    assert [m.name for m in prescription.medications.order_by("pk")] == [
        "Warfarin 5mg", "Aspirin 75mg"]


def test_a_penicillin_allergy_flags_amoxicillin(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="Penicillin (rash)")
    visit(patient, doctor)

    prescription = write(doctor, patient, "Amoxicillin 500mg")

    assert rows(prescription) == [
        (WarningType.ALLERGY, Severity.CRITICAL, "Amoxicillin 500mg", "penicillins"),
    ]
    assert selectors.unacknowledged_critical_count(prescription.pk) == 1


def test_swapping_aspirin_for_paracetamol_removes_the_warning(patient: User,
                                                              doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    assert len(rows(prescription)) == 1

    update(prescription, "Warfarin 5mg", "Paracetamol 500mg")

    assert rows(prescription) == []
    assert [m.name for m in prescription.medications.order_by("pk")] == [
        "Warfarin 5mg", "Paracetamol 500mg"]


def test_an_acknowledgement_survives_a_resave_only_while_the_warning_stays(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    [warning] = PrescriptionWarning.objects.filter(prescription=prescription)
    services.warning_acknowledge(doctor=doctor, prescription_id=prescription.pk,
                                 warning_id=warning.pk, reason="Tolerated amoxicillin in 2024")

    update(prescription, "Amoxicillin 500mg", "Paracetamol 500mg")
    [kept] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert kept.acknowledged_by_id == doctor.pk
    assert kept.acknowledgement_reason == "Tolerated amoxicillin in 2024"
    assert selectors.unacknowledged_critical_count(prescription.pk) == 0

    # The same drug typed differently is a different warning: acknowledge it again.
    update(prescription, "Amoxil 250mg")
    [fresh] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert fresh.acknowledged_at is None
    assert selectors.unacknowledged_critical_count(prescription.pk) == 1


def test_acknowledging_needs_a_reason_and_a_critical_warning(patient: User,
                                                             doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin", "Aspirin")
    [high] = PrescriptionWarning.objects.filter(prescription=prescription)

    with pytest.raises(services.PrescriptionError, match="Only a critical warning"):
        services.warning_acknowledge(doctor=doctor, prescription_id=prescription.pk,
                                     warning_id=high.pk, reason="Monitoring INR weekly")
    high.severity = Severity.CRITICAL
    high.save()
    with pytest.raises(services.PrescriptionError, match="at least 10"):
        services.warning_acknowledge(doctor=doctor, prescription_id=prescription.pk,
                                     warning_id=high.pk, reason="  ok  ")
    high.refresh_from_db()
    assert high.acknowledged_at is None


def test_another_doctor_cannot_acknowledge(patient: User, doctor: User,
                                           other_doctor: User) -> None:
    visit(patient, doctor)
    visit(patient, other_doctor)
    prescription = write(doctor, patient, "Warfarin", "Aspirin")
    [warning] = PrescriptionWarning.objects.filter(prescription=prescription)

    with pytest.raises(services.PrescriptionNotFound):
        services.warning_acknowledge(doctor=other_doctor, prescription_id=prescription.pk,
                                     warning_id=warning.pk, reason="Not my patient at all")


@pytest.mark.parametrize("status", [ESignStatus.SIGNED, ESignStatus.REJECTED])
def test_a_signed_or_rejected_prescription_cannot_be_edited(patient: User, doctor: User,
                                                             status: str) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    Prescription.objects.filter(pk=prescription.pk).update(e_sign_status=status)

    with pytest.raises(services.PrescriptionLocked):
        update(prescription, "Paracetamol")

    assert len(rows(prescription)) == 1
    assert prescription.medications.count() == 2


def test_only_a_treating_doctor_writes(patient: User, doctor: User, other_doctor: User) -> None:
    visit(patient, doctor)
    factories.AppointmentFactory(patient=patient, doctor=other_doctor,
                                 status=AppointmentStatus.CANCELLED)

    with pytest.raises(services.PrescriptionNotFound):
        write(other_doctor, patient, "Paracetamol")
    assert not Prescription.objects.exists()


def test_validity_must_be_future_and_bounded(patient: User, doctor: User) -> None:
    visit(patient, doctor)

    with pytest.raises(services.PrescriptionError) as past:
        write(doctor, patient, "Paracetamol", valid_until=timezone.now() - timedelta(hours=1))
    with pytest.raises(services.PrescriptionError) as far:
        write(doctor, patient, "Paracetamol", valid_until=timezone.now() + timedelta(days=400))

    assert past.value.field == far.value.field == "valid_until"
    assert not Prescription.objects.exists()


def test_medication_count_is_bounded(patient: User, doctor: User) -> None:
    visit(patient, doctor)

    with pytest.raises(services.PrescriptionError, match="at least one"):
        write(doctor, patient)
    with pytest.raises(services.PrescriptionError, match="at most 20"):
        write(doctor, patient, *["Paracetamol"] * 21)


def test_the_appointment_must_be_this_doctors_with_this_patient(
    patient: User, other_patient: User, doctor: User,
) -> None:
    visit(patient, doctor)
    elsewhere = visit(other_patient, doctor)

    with pytest.raises(services.PrescriptionError) as error:
        write(doctor, patient, "Paracetamol", appointment_id=elsewhere.pk)

    assert error.value.field == "appointment"


def test_create_and_update_each_log_one_update_row(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Paracetamol")
    update(prescription, "Ibuprofen")

    logged = list(PhiAccessLog.objects.order_by("pk").values_list(
        "actor_id", "action", "resource_type", "resource_id", "patient_id", "refused"))
    assert logged == [
        (doctor.pk, PhiAction.UPDATE, PhiResource.PRESCRIPTION, prescription.pk, patient.pk,
         False),
    ] * 2


def test_the_live_preview_writes_nothing_and_reports_unknown_names(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="sulfa drugs")
    visit(patient, doctor)

    result = services.check_preview(doctor=doctor, patient_id=patient.pk,
                                    names=["Warfarin", "Aspirin", "Zorblex 10mg"])

    assert [(w.warning_type, w.drug_a, w.drug_b) for w in result.warnings] == [
        (WarningType.INTERACTION, "Warfarin", "Aspirin")]
    assert result.unknown == ("Zorblex 10mg",)
    assert not PrescriptionWarning.objects.exists()
    assert not PhiAccessLog.objects.exists()


def test_the_live_preview_is_refused_to_a_doctor_without_relationship(
    patient: User, other_doctor: User,
) -> None:
    with pytest.raises(services.PrescriptionNotFound):
        services.check_preview(doctor=other_doctor, patient_id=patient.pk, names=["Aspirin"])


def test_saving_queues_the_online_check_with_the_prescription_id(
    patient: User, doctor: User, settings, django_capture_on_commit_callbacks, monkeypatch,
) -> None:
    from apps.prescriptions import tasks

    settings.OPENFDA_BASE_URL = "http://127.0.0.1:9"
    sent: list[int] = []
    monkeypatch.setattr(tasks.run_openfda_check, "delay", lambda pk: sent.append(pk))
    visit(patient, doctor)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        prescription = write(doctor, patient, "Warfarin 5mg", "Disprin 75mg")

    assert len(callbacks) == 1
    assert sent == [prescription.pk]  # the id only: no drug name goes through the broker


def test_nothing_is_queued_when_the_online_check_is_disabled(
    patient: User, doctor: User, settings, django_capture_on_commit_callbacks,
) -> None:
    settings.OPENFDA_BASE_URL = ""
    visit(patient, doctor)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        write(doctor, patient, "Warfarin 5mg", "Aspirin")

    assert callbacks == []
