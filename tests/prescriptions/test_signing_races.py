"""Concurrent signing: the row lock lets exactly one signature through."""

from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.prescriptions import signing
from apps.prescriptions.models import DoctorSigningKey, ESignStatus, Prescription
from tests.concurrency import race
from tests.prescriptions.signing_support import make_prescription

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_signings_sign_once(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    results = race([
        lambda: signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
        for _ in range(2)
    ])

    signed = [r for r in results if isinstance(r, Prescription)]
    refused = [r for r in results if isinstance(r, signing.SigningError)]
    assert len(signed) == 1 and len(refused) == 1, results
    assert Prescription.objects.get(pk=prescription.pk).e_sign_status == ESignStatus.SIGNED
    assert Notification.objects.filter(user=patient).count() == 1


def test_first_signings_of_two_prescriptions_share_one_key(doctor: User, patient: User) -> None:
    first = make_prescription(doctor=doctor, patient=patient)
    second = make_prescription(doctor=doctor, patient=patient)

    results = race([
        lambda: signing.prescription_sign(doctor=doctor, prescription_id=first.pk),
        lambda: signing.prescription_sign(doctor=doctor, prescription_id=second.pk),
    ])

    assert all(isinstance(r, Prescription) for r in results), results
    assert DoctorSigningKey.objects.filter(doctor=doctor).count() == 1
    keys = set(Prescription.objects.values_list("signing_key_id", flat=True))
    assert len(keys) == 1
    for prescription in Prescription.objects.all():
        assert signing.signature_valid(prescription)
