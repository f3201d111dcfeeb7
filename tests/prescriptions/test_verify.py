"""The public verification page: genuine or not, expiry, rejection, and no PHI beyond
initials and age."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog
from apps.notifications.models import Notification
from apps.prescriptions import qr, signing, views_sign
from apps.prescriptions.models import ESignStatus, Prescription
from tests import factories
from tests.prescriptions.signing_support import logged_in, make_prescription

pytestmark = pytest.mark.django_db


def signed(doctor: User, patient: User, **kwargs: Any) -> Prescription:
    prescription = make_prescription(doctor=doctor, patient=patient, **kwargs)
    return signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)


def verify_url(prescription_id: int) -> str:
    return qr.verification_path(prescription_id)


def flip_bit(text: str, index: int) -> str:
    return text[:index] + chr(ord(text[index]) ^ 1) + text[index + 1:]


@pytest.fixture
def full_patient(db: None) -> User:
    return factories.PatientFactory(
        name="Ayesha Khan Durrani", email="ayesha.durrani@test.healthlink.pk",
        phone="+923001234567", cnic="35202-1234567-1",
        date_of_birth=timezone.localdate() - timedelta(days=365 * 40 + 20),
    )


def test_a_signed_prescription_is_genuine_with_only_initials_and_age(
    doctor: User, full_patient: User, django_assert_max_num_queries: Any,
) -> None:
    prescription = signed(doctor, full_patient)

    with django_assert_max_num_queries(6):
        response = Client().get(verify_url(prescription.pk))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Genuine" in body and "Not genuine" not in body
    assert "Not expired" in body and "Not rejected" in body
    assert "Amoxicillin" in body and "500 mg" in body and "three times a day" in body
    assert doctor.name in body and (doctor.pmdc_license_number or "") in body
    assert "Initials AKD" in body and "40 years old" in body
    for phi in ("Ayesha", "Durrani", "35202-1234567-1", "3520212345671", "+923001234567",
                "ayesha.durrani@test.healthlink.pk", "Take with food", "After meals"):
        assert phi not in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-cache" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in body
    assert not PhiAccessLog.objects.exclude(action="UPDATE").exists()


def test_a_flipped_bit_in_the_token_is_not_genuine(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)
    token = qr.verification_token(prescription.pk)

    for index in (0, len(token) // 2, len(token) - 1):
        tampered = flip_bit(token, index)
        response = Client().get(f"/verify/rx/{tampered}/")
        body = response.content.decode()
        assert response.status_code in (200, 404)
        if response.status_code == 200:
            assert "Not genuine" in body
            assert "Amoxicillin" not in body


def test_a_token_for_another_id_cannot_be_forged(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)
    other = signed(doctor, patient)
    token = qr.verification_token(prescription.pk)
    _payload, _sep, signature = token.partition(":")
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({"p": other.pk}, separators=(",", ":")).encode()).decode().rstrip("=")

    response = Client().get(f"/verify/rx/{forged_payload}:{signature}/")

    assert "Not genuine" in response.content.decode()


def test_a_flipped_bit_in_the_stored_signature_is_not_genuine(
    doctor: User, patient: User,
) -> None:
    prescription = signed(doctor, patient)
    data = json.loads(prescription.e_sign_data or "")
    raw = bytearray(base64.b64decode(data["signature"]))
    raw[10] ^= 0x01
    data["signature"] = base64.b64encode(bytes(raw)).decode()
    # The model refuses the change; an attacker with database access would not ask it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescriptions SET e_sign_data = %s WHERE id = %s",
                       [json.dumps(data), prescription.pk])

    response = Client().get(verify_url(prescription.pk))

    assert response.status_code == 200
    assert "Not genuine" in response.content.decode()
    assert "Amoxicillin" not in response.content.decode()


def test_a_medication_changed_in_the_database_is_not_genuine(
    doctor: User, patient: User,
) -> None:
    prescription = signed(doctor, patient)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescription_medications SET dosage = '5 g' "
                       "WHERE prescription_id = %s", [prescription.pk])

    assert "Not genuine" in Client().get(verify_url(prescription.pk)).content.decode()


@pytest.mark.parametrize("token", ["garbage", "a:b", "eyJwIjoxfQ:xxxxxxxx", "%00", "é"])
def test_an_unknown_token_is_not_genuine(token: str) -> None:
    response = Client().get(f"/verify/rx/{token}/")

    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "Not genuine" in response.content.decode()


def test_an_unsigned_prescription_is_not_genuine(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    assert "Not genuine" in Client().get(verify_url(prescription.pk)).content.decode()


def test_an_expired_prescription_says_so(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient, days_valid=1)

    later = timezone.now() + timedelta(days=2)  # time passes beyond valid_until
    with mock.patch("apps.prescriptions.verification.timezone.now", return_value=later):
        body = Client().get(verify_url(prescription.pk)).content.decode()

    assert "Genuine" in body and "Expired" in body and "Not expired" not in body


def test_a_rejected_prescription_says_so_without_the_reason(
    doctor: User, patient: User,
) -> None:
    prescription = signed(doctor, patient)
    signing.prescription_reject(actor=factories.StaffFactory(), prescription_id=prescription.pk,
                                reason="Patient has a secret condition")

    body = Client().get(verify_url(prescription.pk)).content.decode()

    assert "Genuine" in body
    assert "Rejected by a pharmacist or administrator" in body
    assert "secret condition" not in body


def test_pharmacy_staff_reject_from_the_verification_page(
    doctor: User, patient: User, django_capture_on_commit_callbacks: Any,
) -> None:
    prescription = signed(doctor, patient)
    staff = factories.StaffFactory()
    client = logged_in(staff)
    page = client.get(verify_url(prescription.pk)).content.decode()
    assert "Reject prescription" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("verify_rx:reject", kwargs={"token": qr.verification_token(prescription.pk)}),
            {"reason": "Dose looks wrong"}, follow=True)

    assert response.status_code == 200
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.REJECTED
    assert prescription.rejected_by_id == staff.pk
    assert prescription.rejection_reason == "Dose looks wrong"
    assert prescription.history.filter(e_sign_status=ESignStatus.REJECTED).exists()
    assert prescription.history.filter(e_sign_status=ESignStatus.SIGNED).exists()
    assert Notification.objects.filter(user=patient).exclude(
        event="PRESCRIPTION_READY").count() == 1
    assert Notification.objects.filter(user=doctor).count() == 1
    assert signing.signature_valid(Prescription.objects.get(pk=prescription.pk))


def test_a_reason_is_required_to_reject(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)

    with pytest.raises(signing.SigningError, match="reason"):
        signing.prescription_reject(actor=factories.StaffFactory(),
                                    prescription_id=prescription.pk, reason="  ")


def test_a_rejected_prescription_is_immutable(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)
    rejected = signing.prescription_reject(actor=factories.AdminFactory(),
                                           prescription_id=prescription.pk, reason="x")

    rejected.rejection_reason = "something else"
    with pytest.raises(signing.PrescriptionImmutable):
        rejected.save()
    with pytest.raises(signing.SigningError):
        signing.prescription_reject(actor=factories.AdminFactory(),
                                    prescription_id=prescription.pk, reason="again")


@pytest.mark.parametrize("who", ["patient", "doctor", "other_patient"])
def test_patients_and_doctors_cannot_reject(
    who: str, request: pytest.FixtureRequest, doctor: User, patient: User,
) -> None:
    prescription = signed(doctor, patient)
    actor: User = request.getfixturevalue(who)
    client = logged_in(actor)

    assert "Reject prescription" not in client.get(verify_url(prescription.pk)).content.decode()
    response = client.post(
        reverse("verify_rx:reject", kwargs={"token": qr.verification_token(prescription.pk)}),
        {"reason": "no"})

    assert response.status_code == 404
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.SIGNED


def test_the_page_is_rate_limited_per_address(
    doctor: User, patient: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.cache import cache

    cache.delete("rx-verify:10.9.8.7")
    monkeypatch.setattr(views_sign, "VERIFY_RATE_LIMIT", 3)
    url = verify_url(signed(doctor, patient).pk)
    client = Client(REMOTE_ADDR="10.9.8.7")

    codes = [client.get(url).status_code for _ in range(5)]

    assert codes == [200, 200, 200, 429, 429]
    cache.delete("rx-verify:10.9.8.7")
