"""Free-text reasons (rejection, acknowledgement) are validated by forms with clear messages:
no 500 on a NUL character, a server-side length limit, no hidden direction controls."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.prescriptions import qr, signing
from apps.prescriptions.models import ESignStatus, Prescription
from tests import factories
from tests.prescriptions.signing_support import logged_in, make_prescription
from tests.prescriptions.writing_support import visit, write

pytestmark = pytest.mark.django_db


def signed(doctor: User, patient: User) -> Prescription:
    prescription = make_prescription(doctor=doctor, patient=patient)
    return signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)


def reject_url(prescription: Prescription) -> str:
    return reverse("verify_rx:reject", kwargs={"token": qr.verification_token(prescription.pk)})


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("a\x00b", "Null characters are not allowed."),
        ("x" * 2001, "at most 2000 characters"),
        ("Dose \u202ewrong", "Remove the invisible text-direction characters"),
        ("bad\x07bell", "Remove the invisible control characters from this text."),
        ("   ", "Give a reason for the rejection."),
    ],
)
def test_a_bad_rejection_reason_is_refused_with_its_real_message(
    doctor: User, patient: User, reason: str, message: str,
) -> None:
    prescription = signed(doctor, patient)

    response = logged_in(factories.StaffFactory()).post(
        reject_url(prescription), {"reason": reason}, follow=True)

    assert response.status_code == 200
    assert message in response.content.decode()
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.SIGNED


def test_a_rejection_reason_is_stripped_and_saved(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)

    logged_in(factories.StaffFactory()).post(reject_url(prescription),
                                             {"reason": "  Dose looks wrong  "})

    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.REJECTED
    assert prescription.rejection_reason == "Dose looks wrong"


@pytest.mark.parametrize("reason", ["a\x00b", "x" * 2001, "ok \u202e reason", "bell\x07"])
def test_the_reject_service_refuses_what_cannot_be_stored(doctor: User, patient: User,
                                                          reason: str) -> None:
    prescription = signed(doctor, patient)

    with pytest.raises(signing.SigningError):
        signing.prescription_reject(actor=factories.StaffFactory(),
                                    prescription_id=prescription.pk, reason=reason)


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("Tolerated \x00 before", "Null characters are not allowed."),
        ("x" * 1001, "at most 1000 characters"),
        ("Tolerated \u202e before", "Remove the invisible text-direction characters"),
        ("Tolerated \x1b before", "Remove the invisible control characters from this text."),
        ("", "Give a reason to acknowledge the warning."),
    ],
)
def test_a_bad_acknowledgement_reason_gets_its_real_message(doctor: User, reason: str,
                                                             message: str) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    [warning] = prescription.warnings.all()
    url = reverse("prescriptions:acknowledge", kwargs={
        "prescription_id": prescription.pk, "warning_id": warning.pk})

    response = logged_in(doctor).post(url, {"reason": reason}, follow=True)

    assert response.status_code == 200
    assert message in response.content.decode()
    warning.refresh_from_db()
    assert warning.acknowledged_at is None
