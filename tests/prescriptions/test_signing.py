"""Signing: the doctor's key, the canonical form, the rules, immutability, the side effects."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.notifications.models import Notification, NotificationEvent
from apps.prescriptions import qr, signing
from apps.prescriptions.models import (
    DoctorSigningKey,
    ESignStatus,
    Prescription,
    PrescriptionMedication,
    PrescriptionWarning,
    Severity,
    WarningType,
)
from tests import factories
from tests.prescriptions.signing_support import logged_in, make_prescription

pytestmark = pytest.mark.django_db


def sign(prescription: Prescription) -> Prescription:
    return signing.prescription_sign(doctor=prescription.doctor,
                                     prescription_id=prescription.pk)


def test_it_signs_with_a_new_ed25519_key_kept_encrypted(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    key = DoctorSigningKey.objects.get(doctor=doctor)
    assert prescription.e_sign_status == ESignStatus.SIGNED
    assert prescription.signed_at is not None
    assert prescription.signing_key_id == key.pk
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key FROM doctor_signing_keys WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert stored != str(key.private_key)  # ciphertext at rest
    data = json.loads(prescription.e_sign_data or "")
    assert data["alg"] == "Ed25519" and data["key_id"] == key.pk
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
    public.verify(base64.b64decode(data["signature"]),
                  signing.signed_canonical_bytes(prescription))


def test_a_second_prescription_reuses_the_doctors_key(doctor: User, patient: User) -> None:
    first = sign(make_prescription(doctor=doctor, patient=patient))
    second = sign(make_prescription(doctor=doctor, patient=patient))

    assert first.signing_key_id == second.signing_key_id
    assert DoctorSigningKey.objects.filter(doctor=doctor).count() == 1


def test_the_canonical_form_is_deterministic_utc_json(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    document = json.loads(signing.canonical_bytes(prescription))
    assert signing.canonical_bytes(prescription) == signing.canonical_bytes(
        Prescription.objects.get(pk=prescription.pk))
    assert document["doctor_pmdc"] == doctor.pmdc_license_number
    assert document["created_at"].endswith("+00:00")
    assert [m["name"] for m in document["medications"]] == ["Amoxicillin", "Paracetamol"]
    assert set(document["medications"][0]) == {"name", "dosage", "frequency", "duration",
                                               "instructions"}


def test_the_qr_code_is_the_png_of_the_verification_url(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    url = qr.verification_url(prescription.pk)
    assert base64.b64decode(prescription.qr_code or "") == qr.qr_png(url)
    assert url.startswith("http") and "/verify/rx/" in url
    assert qr.prescription_id_from_token(url.rstrip("/").rsplit("/", 1)[1]) == prescription.pk


def test_signing_twice_is_refused(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    with pytest.raises(signing.SigningError, match="already signed"):
        sign(prescription)


def test_another_doctor_cannot_sign(doctor: User, other_doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    with pytest.raises(signing.PrescriptionNotFound):
        signing.prescription_sign(doctor=other_doctor, prescription_id=prescription.pk)
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.PENDING


def test_an_unacknowledged_critical_warning_blocks_signing(doctor: User, patient: User) -> None:
    patient.allergies = "Penicillin"
    patient.save()
    prescription = make_prescription(doctor=doctor, patient=patient)  # with Amoxicillin
    warning = PrescriptionWarning.objects.create(
        prescription=prescription, warning_type=WarningType.ALLERGY,
        severity=Severity.CRITICAL, message="test", drug_a="Amoxicillin", drug_b="penicillins",
    )

    with pytest.raises(signing.SigningError, match="critical warning"):
        sign(prescription)
    warning.acknowledged_at = timezone.now()
    warning.acknowledged_by = doctor
    warning.acknowledgement_reason = "benefit outweighs risk"
    warning.save()
    assert sign(prescription).e_sign_status == ESignStatus.SIGNED


def test_signing_notifies_the_patient_once_and_logs_an_update(
    doctor: User, patient: User, django_capture_on_commit_callbacks: Any,
) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    with django_capture_on_commit_callbacks(execute=True):
        sign(prescription)
    with pytest.raises(signing.SigningError):
        sign(prescription)

    notes = Notification.objects.filter(user=patient)
    assert notes.count() == 1
    assert notes.get().event == NotificationEvent.PRESCRIPTION_READY
    assert "download it as a PDF" in notes.get().message
    assert notes.get().action_url == signing.prescription_page_path(prescription.pk)
    assert not Notification.objects.filter(user=doctor).exists()
    log = PhiAccessLog.objects.get(resource_type=PhiResource.PRESCRIPTION)
    assert (log.actor_id, log.action, log.resource_id, log.patient_id) == (
        doctor.pk, PhiAction.UPDATE, prescription.pk, patient.pk)


def test_a_signed_prescription_cannot_be_edited(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    prescription.instructions = "Take twice the dose."
    with pytest.raises(signing.PrescriptionImmutable):
        prescription.save()
    medication = PrescriptionMedication.objects.filter(prescription=prescription).first()
    assert medication is not None
    medication.dosage = "5 g"
    with pytest.raises(signing.PrescriptionImmutable):
        medication.save()
    with pytest.raises(signing.PrescriptionImmutable):
        PrescriptionMedication.objects.create(prescription=prescription, name="Warfarin",
                                              dosage="5 mg", frequency="daily",
                                              duration="1 month")
    # A refused delete breaks the surrounding transaction: each runs in a savepoint.
    with pytest.raises(signing.PrescriptionImmutable), transaction.atomic():
        medication.delete()
    with pytest.raises(signing.PrescriptionImmutable), transaction.atomic():
        Prescription.objects.get(pk=prescription.pk).delete()
    stored = Prescription.objects.get(pk=prescription.pk)
    assert stored.instructions == "Take with food."
    assert signing.signature_valid(stored)


def test_a_pending_prescription_can_still_be_edited(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    prescription.instructions = "Changed before signing."
    prescription.save()

    assert Prescription.objects.get(pk=prescription.pk).instructions == "Changed before signing."


def test_the_sign_endpoint_signs_for_the_doctor(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    response = logged_in(doctor).post(
        reverse("prescriptions_sign:sign", kwargs={"prescription_id": prescription.pk}))

    assert response.status_code == 302
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.SIGNED


@pytest.mark.parametrize("who", ["other_doctor", "patient", "other_patient"])
def test_the_sign_endpoint_is_404_for_anyone_else(
    who: str, doctor: User, request: pytest.FixtureRequest, patient: User,
) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)
    actor: User = request.getfixturevalue(who)

    response = logged_in(actor).post(
        reverse("prescriptions_sign:sign", kwargs={"prescription_id": prescription.pk}))

    assert response.status_code == 404
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.PENDING


def test_the_sign_endpoint_shows_why_it_refused(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    response = logged_in(doctor).post(
        reverse("prescriptions_sign:sign", kwargs={"prescription_id": prescription.pk}),
        follow=True)

    assert response.status_code == 200
    assert "already signed" in response.content.decode()


def test_the_signing_panel_is_for_the_patient_and_doctor_only(
    doctor: User, patient: User, other_patient: User, other_doctor: User,
    django_assert_max_num_queries: Any,
) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    url = reverse("prescriptions_sign:panel", kwargs={"prescription_id": prescription.pk})

    client = logged_in(patient)
    with django_assert_max_num_queries(8):
        response = client.get(url)
    assert response.status_code == 200
    assert "Download PDF" in response.content.decode()
    assert "Sign prescription" not in response.content.decode()
    assert logged_in(other_patient).get(url).status_code == 404
    assert logged_in(other_doctor).get(url).status_code == 404


def test_the_signing_panel_offers_the_button_to_the_doctor(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    response = logged_in(doctor).get(
        reverse("prescriptions_sign:panel", kwargs={"prescription_id": prescription.pk}))

    assert "Sign prescription" in response.content.decode()
    assert "Download PDF" not in response.content.decode()


def test_a_staff_user_of_a_facility_cannot_sign(patient: User, doctor: User) -> None:
    staff = factories.StaffFactory()
    prescription = make_prescription(doctor=doctor, patient=patient)

    with pytest.raises(signing.PrescriptionNotFound):
        signing.prescription_sign(doctor=staff, prescription_id=prescription.pk)


def test_an_unverified_doctor_cannot_sign(patient: User) -> None:
    doctor = factories.DoctorFactory(pmdc_verified=False)
    prescription = make_prescription(doctor=doctor, patient=patient)

    with pytest.raises(signing.SigningError, match="PMDC registration"):
        sign(prescription)


def test_a_prescription_past_its_validity_cannot_be_signed(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient, days_valid=-1)

    with pytest.raises(signing.SigningError, match="validity date has passed"):
        sign(prescription)
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.PENDING


def test_a_prescription_without_medications_cannot_be_signed(
    doctor: User, patient: User,
) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient, medications=())

    with pytest.raises(signing.SigningError, match="at least one medication"):
        sign(prescription)


def test_the_ready_notice_promises_a_pdf_and_the_pdf_prints(doctor: User) -> None:
    patient = factories.PatientFactory(name="محمد علی خان")  # Urdu prints
    prescription = make_prescription(doctor=doctor, patient=patient,
                                     instructions="کھانے کے بعد")

    sign(prescription)

    message = Notification.objects.get(user=patient).message
    assert "download it as a PDF" in message
    status = logged_in(patient).get(
        reverse("prescriptions_sign:pdf", kwargs={"prescription_id": prescription.pk})
    ).status_code
    assert status == 200


def test_a_draft_the_pdf_cannot_print_is_not_signed(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient,
                                     instructions="Take \U0001f48a daily")  # an emoji

    with pytest.raises(signing.SigningError, match="cannot be printed"):
        sign(prescription)

    assert not Notification.objects.filter(user=patient).exists()
