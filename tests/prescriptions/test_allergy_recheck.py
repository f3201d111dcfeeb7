"""An allergy added after saving is caught: signing and the author's page re-run the check."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.prescriptions import services, signing
from apps.prescriptions.models import ESignStatus, PrescriptionWarning, Severity, WarningType
from tests import factories
from tests.prescriptions.writing_support import logged_in, visit, write

pytestmark = pytest.mark.django_db


def detail_url(prescription_id: int) -> str:
    return reverse("prescriptions:detail", kwargs={"prescription_id": prescription_id})


def test_an_allergy_added_after_saving_blocks_signing(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg", "Paracetamol")
    assert not PrescriptionWarning.objects.filter(prescription=prescription).exists()
    patient.allergies = "Penicillin"
    patient.save()

    with pytest.raises(signing.SigningError, match="current allergies"):
        signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)

    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.PENDING


def test_the_authors_page_shows_the_new_warning_and_signing_waits_for_it(
    patient: User, doctor: User,
) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Augmentin 625mg")
    patient.allergies = "Penicillin"
    patient.save()
    client = logged_in(doctor)

    page = client.get(detail_url(prescription.pk)).content.decode()

    assert "Acknowledge this critical warning" in page
    assert "current allergies" in page
    [warning] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert (warning.warning_type, warning.severity) == (WarningType.ALLERGY, Severity.CRITICAL)
    with pytest.raises(signing.SigningError, match="Acknowledge every critical warning"):
        signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
    services.warning_acknowledge(doctor=doctor, prescription_id=prescription.pk,
                                 warning_id=warning.pk, reason="Skin test negative last week")
    assert signing.prescription_sign(
        doctor=doctor, prescription_id=prescription.pk).e_sign_status == ESignStatus.SIGNED


def test_an_unchanged_acknowledged_warning_keeps_its_acknowledgement(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    [warning] = PrescriptionWarning.objects.filter(prescription=prescription)
    services.warning_acknowledge(doctor=doctor, prescription_id=prescription.pk,
                                 warning_id=warning.pk, reason="Skin test negative last week")
    patient.allergies = "Penicillin, peanuts"  # nothing new for these medications
    patient.save()

    signed = signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)

    assert signed.e_sign_status == ESignStatus.SIGNED
    [kept] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert kept.acknowledgement_reason == "Skin test negative last week"


def test_an_unchanged_page_view_writes_nothing(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    [before] = PrescriptionWarning.objects.filter(prescription=prescription)

    response = logged_in(doctor).get(detail_url(prescription.pk))

    assert "current allergies" not in response.content.decode()
    [after] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert after.pk == before.pk


def test_the_patient_viewing_does_not_rewrite_the_warnings(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    patient.allergies = "Penicillin"
    patient.save()

    logged_in(patient).get(detail_url(prescription.pk))

    assert not PrescriptionWarning.objects.filter(prescription=prescription).exists()
