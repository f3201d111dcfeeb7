"""openFDA findings are stored as OPENFDA warning rows, apart from the OFFLINE ones."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.prescriptions import openfda, services, signing
from apps.prescriptions.models import (
    Prescription,
    PrescriptionWarning,
    Severity,
    WarningSource,
)
from apps.prescriptions.openfda import LabelFinding, OnlineCheckResult, OnlineStatus
from apps.prescriptions.services import MedicationInput
from apps.prescriptions.tasks import run_openfda_check
from tests import factories
from tests.prescriptions.signing_support import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def treating(db: None) -> tuple[User, User]:
    doctor, patient = factories.DoctorFactory(), factories.PatientFactory()
    factories.AppointmentFactory(doctor=doctor, patient=patient,
                                 status=AppointmentStatus.COMPLETED)
    return doctor, patient


def write(doctor: User, patient: User, *names: str) -> Prescription:
    from datetime import timedelta

    from django.utils import timezone

    return services.prescription_create(
        doctor=doctor, patient_id=patient.pk, instructions="",
        valid_until=timezone.now() + timedelta(days=10),
        medications=[MedicationInput(name, "1 tablet", "daily", "5 days") for name in names],
    )


def update(doctor: User, prescription: Prescription, *names: str) -> None:
    services.prescription_update(
        doctor=doctor, prescription_id=prescription.pk, instructions="",
        valid_until=prescription.valid_until,
        medications=[MedicationInput(name, "1 tablet", "daily", "5 days") for name in names],
    )


def rows(prescription: Prescription, source: str) -> list[tuple[str, str, str, str]]:
    return sorted(
        (w.warning_type, w.severity, w.drug_a or "", w.drug_b or "")
        for w in PrescriptionWarning.objects.filter(prescription=prescription, source=source)
    )


def test_the_task_stores_findings_as_openfda_rows(fake_openfda, treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Disprin")
    offline = rows(prescription, WarningSource.OFFLINE)

    outcome = run_openfda_check.apply(args=[prescription.pk]).get()

    assert outcome["findings"] == 1
    stored = rows(prescription, WarningSource.OPENFDA)
    assert len(stored) == 1 and {stored[0][2], stored[0][3]} == {"Warfarin", "Disprin"}
    assert rows(prescription, WarningSource.OFFLINE) == offline and offline
    message = PrescriptionWarning.objects.get(prescription=prescription,
                                              source=WarningSource.OPENFDA).message
    assert "FDA label" in message


def test_the_author_sees_the_stored_online_warning(fake_openfda, treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Disprin")
    run_openfda_check.apply(args=[prescription.pk]).get()

    path = reverse("prescriptions:detail", kwargs={"prescription_id": prescription.pk})
    body = logged_in(doctor).get(path).content.decode()

    assert 'data-stored' in body and "FDA label" in body


def test_the_offline_recompute_keeps_openfda_rows_of_medications_still_listed(
    fake_openfda, treating,
) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Disprin")
    run_openfda_check.apply(args=[prescription.pk]).get()
    before = rows(prescription, WarningSource.OPENFDA)

    fake_openfda.mode = "server_error"  # the new task cannot reach openFDA
    update(doctor, prescription, "Warfarin", "Disprin", "Paracetamol")

    assert rows(prescription, WarningSource.OPENFDA) == before


def test_swapping_a_drug_drops_its_openfda_rows_even_when_openfda_is_down(
    fake_openfda, treating,
) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Disprin")
    run_openfda_check.apply(args=[prescription.pk]).get()
    assert rows(prescription, WarningSource.OPENFDA)

    fake_openfda.mode = "server_error"
    update(doctor, prescription, "Warfarin", "Paracetamol")

    assert rows(prescription, WarningSource.OPENFDA) == []


def test_the_task_replaces_only_openfda_rows(treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Aspirin")
    offline = rows(prescription, WarningSource.OFFLINE)
    finding = LabelFinding("warfarin", "aspirin", "drug_interactions", "set-1")
    result = OnlineCheckResult(status=OnlineStatus.OK, findings=(finding,),
                               checked=("aspirin", "warfarin"))

    assert services.openfda_warnings_store(prescription_id=prescription.pk,
                                           names=["Warfarin", "Aspirin"], result=result) == 1
    assert services.openfda_warnings_store(prescription_id=prescription.pk,
                                           names=["Warfarin", "Aspirin"], result=result) == 1

    assert rows(prescription, WarningSource.OPENFDA) == [
        ("INTERACTION", "MEDIUM", "Warfarin", "Aspirin")]
    assert rows(prescription, WarningSource.OFFLINE) == offline


def test_a_failed_check_leaves_the_last_stored_rows(treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Aspirin")
    finding = LabelFinding("warfarin", "aspirin", "boxed_warning", "set-1")
    names = ["Warfarin", "Aspirin"]
    services.openfda_warnings_store(prescription_id=prescription.pk, names=names,
                                    result=OnlineCheckResult(OnlineStatus.OK, (finding,)))

    stored = services.openfda_warnings_store(
        prescription_id=prescription.pk, names=names,
        result=OnlineCheckResult(OnlineStatus.UNAVAILABLE, failed=("warfarin",)))

    assert stored is None
    assert rows(prescription, WarningSource.OPENFDA) == [
        ("CONTRAINDICATION", "HIGH", "Warfarin", "Aspirin")]


def test_a_result_for_an_older_list_is_not_stored(treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Paracetamol")
    finding = LabelFinding("warfarin", "aspirin", "drug_interactions", "set-1")

    stored = services.openfda_warnings_store(
        prescription_id=prescription.pk, names=["Warfarin", "Aspirin"],
        result=OnlineCheckResult(OnlineStatus.OK, (finding,)))

    assert stored is None
    assert rows(prescription, WarningSource.OPENFDA) == []


def test_a_signed_prescriptions_warnings_never_change(treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Warfarin", "Aspirin")
    signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
    before = rows(prescription, WarningSource.OFFLINE)
    finding = LabelFinding("warfarin", "aspirin", "drug_interactions", "set-1")

    stored = services.openfda_warnings_store(
        prescription_id=prescription.pk, names=["Warfarin", "Aspirin"],
        result=OnlineCheckResult(OnlineStatus.OK, (finding,)))

    assert stored is None
    assert rows(prescription, WarningSource.OPENFDA) == []
    assert rows(prescription, WarningSource.OFFLINE) == before
    with pytest.raises(services.PrescriptionLocked):
        services.warnings_replace(prescription=Prescription.objects.get(pk=prescription.pk),
                                  names=["Warfarin"], allergies=None)
    assert rows(prescription, WarningSource.OFFLINE) == before


def test_openfda_warnings_never_reach_critical_so_never_block_signing(
    treating, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Even if a section rule were graded CRITICAL, the stored row stops at HIGH.
    monkeypatch.setitem(openfda.SECTION_RULES, "boxed_warning",
                        ("CONTRAINDICATION", "CRITICAL"))
    doctor, patient = treating
    prescription = write(doctor, patient, "Paracetamol", "Omeprazole")
    finding = LabelFinding("paracetamol", "omeprazole", "boxed_warning", "set-1")
    names = ["Paracetamol", "Omeprazole"]

    services.openfda_warnings_store(prescription_id=prescription.pk, names=names,
                                    result=OnlineCheckResult(OnlineStatus.OK, (finding,)))

    severities = {w.severity for w in PrescriptionWarning.objects.filter(
        prescription=prescription, source=WarningSource.OPENFDA)}
    assert severities == {Severity.HIGH}
    signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)


def test_a_critical_openfda_row_would_still_need_an_acknowledgement(treating) -> None:
    doctor, patient = treating
    prescription = write(doctor, patient, "Paracetamol")
    PrescriptionWarning.objects.create(
        prescription=prescription, source=WarningSource.OPENFDA, warning_type="INTERACTION",
        severity=Severity.CRITICAL, message="test", drug_a="Paracetamol", drug_b="x")

    with pytest.raises(signing.SigningError, match="Acknowledge"):
        signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
