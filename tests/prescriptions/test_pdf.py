"""The printable PDF: contents, access, refusal when unsigned, logging as an export."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.prescriptions import qr, signing
from apps.prescriptions.models import Prescription
from tests import factories
from tests.prescriptions.signing_support import logged_in, make_prescription

pytestmark = pytest.mark.django_db


def pdf_url(prescription: Prescription) -> str:
    return reverse("prescriptions_sign:pdf", kwargs={"prescription_id": prescription.pk})


def signed(doctor: User, patient: User, **kwargs: Any) -> Prescription:
    prescription = make_prescription(doctor=doctor, patient=patient, **kwargs)
    return signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_patient_downloads_a_pdf_with_the_medications(
    doctor: User, django_assert_max_num_queries: Any,
) -> None:
    patient = factories.PatientFactory(name="Bilal Ahmed Rana")
    facility = factories.FacilityFactory(name="Shifa Test Clinic")
    appointment = factories.AppointmentFactory(
        patient=patient, doctor=doctor, facility=facility, status=AppointmentStatus.COMPLETED)
    prescription = signed(doctor, patient, appointment=appointment)
    client = logged_in(patient)

    with django_assert_max_num_queries(12):
        response = client.get(pdf_url(prescription))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-") and len(response.content) > 1000
    text = pdf_text(response.content)
    for expected in ("Amoxicillin", "Paracetamol", "500 mg", "three times a day",
                     doctor.name, doctor.pmdc_license_number or "", "Shifa Test Clinic",
                     "Initials: BAR", "Take with food", "Valid until", "Ed25519",
                     signing.key_fingerprint(prescription.signing_key.public_key)
                     if prescription.signing_key else "?"):
        assert expected in text
    assert "Bilal" not in text
    reader = PdfReader(io.BytesIO(response.content))
    images = reader.pages[0].images
    assert len(images) == 1
    log = PhiAccessLog.objects.get(action=PhiAction.EXPORT)
    assert (log.actor_id, log.resource_type, log.resource_id, log.patient_id) == (
        patient.pk, PhiResource.PRESCRIPTION, prescription.pk, patient.pk)


def test_the_pdf_carries_the_verification_url(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)

    text = pdf_text(logged_in(doctor).get(pdf_url(prescription)).content)

    assert qr.verification_url(prescription.pk) in text.replace("\n", "")


def test_a_long_prescription_spreads_over_pages(doctor: User, patient: User) -> None:
    medications = tuple((f"Medicine{n}", "1 tab", "daily", "10 days") for n in range(40))
    prescription = signed(doctor, patient, medications=medications)

    response = logged_in(patient).get(pdf_url(prescription))

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 1
    assert "Medicine39" in pdf_text(response.content)


@pytest.mark.parametrize("who", ["other_patient", "other_doctor"])
def test_outsiders_get_404(who: str, request: pytest.FixtureRequest, doctor: User,
                           patient: User) -> None:
    prescription = signed(doctor, patient)
    actor: User = request.getfixturevalue(who)

    response = logged_in(actor).get(pdf_url(prescription))

    assert response.status_code == 404
    assert not PhiAccessLog.objects.filter(action=PhiAction.EXPORT).exists()


def test_facility_staff_get_404(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)

    assert logged_in(factories.StaffFactory()).get(pdf_url(prescription)).status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(doctor: User, patient: User) -> None:
    from django.test import Client

    response = Client().get(pdf_url(signed(doctor, patient)))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_an_unsigned_prescription_is_not_printed(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient)

    response = logged_in(doctor).get(pdf_url(prescription))
    hidden = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 409
    assert "not signed yet" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert hidden.status_code == 404  # the patient never sees an unsigned draft
    assert not PhiAccessLog.objects.filter(action=PhiAction.EXPORT).exists()


def test_a_rejected_prescription_is_not_printed(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)
    signing.prescription_reject(actor=factories.AdminFactory(), prescription_id=prescription.pk,
                                reason="wrong patient")

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 409
    assert "rejected" in response.content.decode()


URDU_NAME = "محمد علی خان"


def test_urdu_names_and_instructions_print(doctor: User) -> None:
    patient = factories.PatientFactory(name=URDU_NAME)
    urdu_doctor = factories.DoctorFactory(name="ڈاکٹر عائشہ صدیقی")
    factories.AppointmentFactory(patient=patient, doctor=urdu_doctor,
                                 status=AppointmentStatus.COMPLETED)
    medications = (("Amoxicillin", "دو گولیاں", "دن میں تین بار", "7 days"),
                   ("اموکسی سلین", "500 mg", "daily", "7 days"))
    prescription = signed(urdu_doctor, patient, medications=medications,
                          instructions="کھانے کے بعد")

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    fonts = {str(font) for page in reader.pages
             for font in page["/Resources"]["/Font"].values()}  # type: ignore[index]
    assert fonts  # embedded fonts, not the standard 14
    text = pdf_text(response.content)
    assert "Amoxicillin" in text and "7 days" in text
    # Urdu comes out of the PDF word by word (shaped, right to left), never as "?".
    for word in ("گولیاں", "کھانے", "عائشہ", "صدیقی"):
        assert word in text
    assert "?" not in text.replace(qr.verification_url(prescription.pk), "")
    initials = patient.initials
    assert f"Initials: {initials}" in text
    assert f"PMDC number: {urdu_doctor.pmdc_license_number}" in text
    assert PhiAccessLog.objects.filter(action=PhiAction.EXPORT).count() == 1


def test_the_pdf_prints_in_urdu_for_an_urdu_reader(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)
    client = logged_in(patient)
    client.cookies["django_language"] = "ur"

    response = client.get(pdf_url(prescription), HTTP_ACCEPT_LANGUAGE="ur")

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Amoxicillin" in text
    assert "Medications" not in text  # the labels are in Urdu


def test_control_characters_never_reach_the_pdf(doctor: User, patient: User) -> None:
    medications = (("Amoxi\x07cillin", "500\x1b[31m mg", "daily\x0e", "7 days"),)
    prescription = signed(doctor, patient, medications=medications,
                          instructions="Take\u202e with food\x08")

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 200
    raw = response.content
    text = pdf_text(raw)
    assert "Amoxicillin" in text and "500[31m mg" in text and "Take with food" in text
    for control in ("\x07", "\x1b", "\x0e", "\x08", "\u202e"):
        assert control not in text


@pytest.mark.parametrize(
    ("medications", "instructions", "field"),
    [
        ((("Amoxicillin", "1 \U0001f48a", "three times a day", "7 days"),), "Take with food.",
         "a dosage, frequency or duration"),
        ((("Amoxicillin", "500 mg", "three times a day", "7 days"),), "饭后服用",
         "the instructions"),
    ],
)
def test_text_the_fonts_cannot_draw_is_refused_not_dropped(
    doctor: User, patient: User, caplog: pytest.LogCaptureFixture,
    medications: tuple[tuple[str, str, str, str], ...], instructions: str, field: str,
) -> None:
    # Signed before signing checked the fonts: the refusal still names the field.
    with mock.patch("apps.prescriptions.pdf.printable", return_value=True):
        prescription = signed(doctor, patient, medications=medications,
                              instructions=instructions)

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 409
    body = response.content.decode()
    assert "cannot be printed" in body
    assert field in body
    assert not PhiAccessLog.objects.filter(action=PhiAction.EXPORT).exists()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for value in (*medications[0], instructions):
        if not value.isascii():
            assert value not in logged


def test_the_pdf_prints_the_values_stored_at_signing(doctor: User) -> None:
    patient = factories.PatientFactory(
        name="Ayesha Khan Durrani",
        date_of_birth=timezone.localdate() - timedelta(days=365 * 40 + 20))
    prescription = signed(doctor, patient)
    old_pmdc = doctor.pmdc_license_number or ""
    User.objects.filter(pk=doctor.pk).update(pmdc_license_number="77777-P")
    User.objects.filter(pk=patient.pk).update(
        name="Zainab Bibi", date_of_birth=timezone.localdate() - timedelta(days=365 * 20))

    text = pdf_text(logged_in(patient).get(pdf_url(prescription)).content)

    assert f"PMDC number: {old_pmdc}" in text and "77777-P" not in text
    assert "Initials: AKD" in text and "Age at signing: 40" in text
    assert "ZB" not in text and ": 20" not in text


def test_a_tampered_prescription_is_not_printed(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescription_medications SET dosage = '5000 mg' "
                       "WHERE prescription_id = %s", [prescription.pk])

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 409
    assert "does not verify" in response.content.decode()
    assert not PhiAccessLog.objects.filter(action=PhiAction.EXPORT).exists()


def test_latin_text_beyond_ascii_still_prints(doctor: User, patient: User) -> None:
    prescription = signed(doctor, patient, instructions="Café: take with food \u2013 twice")

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 200
    assert "Café: take with food \u2013 twice" in pdf_text(response.content)
