"""Verification uses the PMDC number, initials and age stored at signing (signature v2),
so a later legitimate correction does not make a signed prescription "not genuine"."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.prescriptions import qr, signing
from apps.prescriptions.models import DoctorSigningKey, Prescription
from tests import factories
from tests.prescriptions.signing_support import make_prescription

pytestmark = pytest.mark.django_db

NEW_PMDC = "77777-P"


def signed(doctor: User, patient: User) -> Prescription:
    prescription = make_prescription(doctor=doctor, patient=patient)
    return signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)


def page(prescription: Prescription) -> str:
    response = Client().get(qr.verification_path(prescription.pk))
    assert response.status_code == 200
    return response.content.decode()


def genuine(body: str) -> bool:
    return "Genuine" in body and "Not genuine" not in body


def store_e_sign_data(prescription: Prescription, data: dict[str, object]) -> None:
    # The model refuses the change; an attacker with database access would not ask it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescriptions SET e_sign_data = %s WHERE id = %s",
                       [json.dumps(data), prescription.pk])


@pytest.fixture
def aged_patient(db: None) -> User:
    return factories.PatientFactory(
        name="Ayesha Khan Durrani",
        date_of_birth=timezone.localdate() - timedelta(days=365 * 40 + 20),
    )


def test_signing_stores_the_values_that_may_change(doctor: User, aged_patient: User) -> None:
    prescription = signed(doctor, aged_patient)

    data = json.loads(prescription.e_sign_data or "")
    assert data["v"] == 3
    assert data["signed_values"] == {"doctor_pmdc": doctor.pmdc_license_number,
                                     "patient_initials": "AKD", "patient_age": 40,
                                     "doctor_name": doctor.name}


def test_correcting_the_pmdc_number_and_the_patient_keeps_it_genuine(
    doctor: User, aged_patient: User,
) -> None:
    prescription = signed(doctor, aged_patient)
    old_pmdc = doctor.pmdc_license_number or ""
    assert old_pmdc and old_pmdc != NEW_PMDC

    User.objects.filter(pk=doctor.pk).update(pmdc_license_number=NEW_PMDC)
    User.objects.filter(pk=aged_patient.pk).update(
        name="Zainab Bibi", date_of_birth=timezone.localdate() - timedelta(days=365 * 20))
    body = page(prescription)

    assert genuine(body)
    assert old_pmdc in body and NEW_PMDC not in body
    assert "Initials AKD" in body and "40 years old" in body
    assert "Initials ZB" not in body and "20 years old" not in body
    assert "PMDC number at signing" in body and "Patient at signing" in body


@pytest.mark.parametrize(("key", "value"), [
    ("doctor_pmdc", NEW_PMDC), ("patient_initials", "XY"), ("patient_age", 25),
])
def test_a_tampered_stored_value_is_not_genuine(
    doctor: User, aged_patient: User, key: str, value: object,
) -> None:
    prescription = signed(doctor, aged_patient)
    data = json.loads(prescription.e_sign_data or "")
    data["signed_values"][key] = value
    store_e_sign_data(prescription, data)

    body = page(prescription)

    assert "Not genuine" in body
    assert str(value) not in body


def test_removing_the_stored_values_is_not_genuine(doctor: User, aged_patient: User) -> None:
    prescription = signed(doctor, aged_patient)
    data = json.loads(prescription.e_sign_data or "")
    for downgraded in ({**data, "v": 1}, {k: v for k, v in data.items() if k != "signed_values"}):
        store_e_sign_data(prescription, downgraded)
        assert "Not genuine" in page(prescription)


def _sign_legacy(prescription: Prescription) -> None:
    """A version 1 signature, as made before the values were stored."""
    key = signing.signing_key_for(prescription.doctor)
    canonical = signing.canonical_bytes(Prescription.objects.get(pk=prescription.pk))
    signature = signing._private_key(key).sign(canonical)
    store_e_sign_data(prescription, {
        "v": 1, "alg": "Ed25519", "key_id": key.pk,
        "fingerprint": signing.key_fingerprint(key.public_key),
        "signature": base64.b64encode(signature).decode(),
        "canonical_sha256": hashlib.sha256(canonical).hexdigest(),
    })


def test_a_version_1_signature_still_verifies_with_current_values(
    doctor: User, aged_patient: User,
) -> None:
    prescription = signed(doctor, aged_patient)
    _sign_legacy(prescription)
    assert DoctorSigningKey.objects.filter(doctor=doctor).count() == 1

    body = page(prescription)
    assert genuine(body)
    assert "Initials AKD" in body and "PMDC number at signing" not in body

    User.objects.filter(pk=aged_patient.pk).update(name="Zainab Bibi")
    assert "Initials ZB" in page(prescription)

    # Version 1 covers the current PMDC number, as before.
    User.objects.filter(pk=doctor.pk).update(pmdc_license_number=NEW_PMDC)
    assert "Not genuine" in page(prescription)
