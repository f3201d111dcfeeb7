"""Regressions from the QA of issue 5: Redis outages, unprintable text, names at signing,
warnings in the reader's language, rejection reasons, control characters, double
submits, tokens in logs, the openFDA wording and the PDF download limit.

openFDA is never contacted: the online check uses the local fake (conftest.py).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
import socket
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from apps.accounts.forms import validate_person_name
from apps.accounts.models import User
from apps.core import throttle
from apps.prescriptions import qr, services, signing, warning_text
from apps.prescriptions.forms import MedicationForm, PrescriptionForm
from apps.prescriptions.models import (
    ESignStatus,
    Prescription,
    PrescriptionWarning,
    WarningSource,
)
from apps.prescriptions.openfda import (
    LabelFinding,
    OnlineCheckResult,
    OnlineStatus,
    store_check,
)
from healthlink.log_redaction import redact
from tests import factories
from tests.prescriptions.signing_support import make_prescription
from tests.prescriptions.writing_support import form_data, logged_in, med, visit, write

pytestmark = pytest.mark.django_db

UNAVAILABLE = "The online check (openFDA) is unavailable; showing the offline check only."
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")


def detail_url(prescription: Prescription) -> str:
    return reverse("prescriptions:detail", kwargs={"prescription_id": prescription.pk})


def pdf_url(prescription: Prescription) -> str:
    return reverse("prescriptions_sign:pdf", kwargs={"prescription_id": prescription.pk})


def create_url(patient: User) -> str:
    return reverse("prescriptions:create", kwargs={"patient_id": patient.pk})


def sign(prescription: Prescription) -> Prescription:
    return signing.prescription_sign(doctor=prescription.doctor,
                                     prescription_id=prescription.pk)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def redis_down() -> Iterator[None]:
    """The cache pointed at a loopback port nothing listens on: every call fails fast."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    caches = {"default": {**settings.CACHES["default"],
                          "LOCATION": f"redis://127.0.0.1:{port}/0"}}
    with override_settings(CACHES=caches):
        yield


# --- 1. Redis down --------------------------------------------------------------------------


def test_the_prescription_page_works_without_redis(
    patient: User, doctor: User, fake_openfda: Any, redis_down: None,
) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")

    response = logged_in(doctor).get(detail_url(prescription))

    assert response.status_code == 200
    body = response.content.decode()
    assert UNAVAILABLE in body
    assert 'data-severity="HIGH" data-type="INTERACTION"' in body  # the offline row


def test_the_verify_page_fails_open_without_redis(
    doctor: User, patient: User, redis_down: None, caplog: pytest.LogCaptureFixture,
) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    token = qr.verification_token(prescription.pk)

    with caplog.at_level(logging.WARNING):
        response = Client(REMOTE_ADDR="10.9.8.6").get(qr.verification_path(prescription.pk))

    assert response.status_code == 200
    assert "Genuine" in response.content.decode()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "cache unreachable" in logged
    assert token not in logged and "10.9.8.6" not in logged


def test_the_openfda_check_runs_without_the_label_cache(
    fake_openfda: Any, redis_down: None,
) -> None:
    from apps.prescriptions.openfda import check_online

    result = check_online(["Warfarin 5mg", "Disprin"])

    assert result.ran
    store_check(["Warfarin 5mg", "Disprin"], result)  # no exception either


# --- 2. Text the PDF fonts cannot draw ------------------------------------------------------


def medication_form(**values: str) -> MedicationForm:
    data = {"name": "Amoxicillin", "dosage": "500 mg", "frequency": "daily",
            "duration": "7 days", "instructions": ""}
    data.update(values)
    return MedicationForm(data)


@pytest.mark.parametrize(("field", "value", "shown"), [
    ("dosage", "\u221a 2 tablets", "\u221a"),
    ("frequency", "\u221e times", "\u221e"),
    ("instructions", "Done \u2713", "\u2713"),
    ("duration", "\u0938\u093e\u0924 \u0926\u093f\u0928", "\u0938"),
    ("name", "Amoxicillin \U0001f48a", "\U0001f48a"),
    ("instructions", "about \u2248 5 ml", "\u2248"),
])
def test_the_form_refuses_characters_the_pdf_cannot_print(field: str, value: str,
                                                          shown: str) -> None:
    form = medication_form(**{field: value})

    assert not form.is_valid()
    message = " ".join(str(error) for error in form.errors[field])
    assert "cannot be printed" in message and shown in message


@pytest.mark.parametrize(("field", "value"), [
    ("dosage", "5\x1b00 mg"), ("name", "Amoxicillin \U0001f48a"),
])
def test_a_refused_value_gets_its_own_message_and_not_required_as_well(
    field: str, value: str,
) -> None:
    form = medication_form(**{field: value})

    assert not form.is_valid()
    assert len(form.errors[field]) == 1
    assert "Required for each medication listed." not in form.errors[field]


def test_common_symbols_become_plain_text() -> None:
    form = medication_form(dosage="\u2265 1 tablet", instructions="\u2264 3 a day \u2192 stop")

    assert form.is_valid(), form.errors
    assert form.cleaned_data["dosage"] == ">= 1 tablet"
    assert form.cleaned_data["instructions"] == "<= 3 a day -> stop"


def test_urdu_and_accented_latin_are_accepted() -> None:
    assert medication_form(instructions="کھانے کے بعد", name="Amoxicillín").is_valid()


def test_the_service_refuses_unprintable_text(patient: User, doctor: User) -> None:
    visit(patient, doctor)

    with pytest.raises(services.PrescriptionError, match="cannot be printed"):
        services.prescription_create(
            doctor=doctor, patient_id=patient.pk, instructions="Take \U0001f600",
            valid_until=_in_days(30),
            medications=[med("Amoxicillin")],
        )
    assert not Prescription.objects.exists()


def _in_days(days: int) -> Any:
    from datetime import timedelta

    from django.utils import timezone
    return timezone.now() + timedelta(days=days)


def test_an_older_unprintable_draft_is_not_signed(doctor: User, patient: User) -> None:
    prescription = make_prescription(doctor=doctor, patient=patient,
                                     instructions="Take \u2265 2")

    with pytest.raises(signing.SigningError, match="cannot be printed"):
        sign(prescription)
    prescription.refresh_from_db()
    assert prescription.e_sign_status == ESignStatus.PENDING


def test_a_page_submit_with_an_emoji_shows_a_field_error(patient: User,
                                                         doctor: User) -> None:
    visit(patient, doctor)
    row = {"name": "Amoxicillin", "dosage": "1 \U0001f48a", "frequency": "daily",
           "duration": "5 days"}

    response = logged_in(doctor).post(create_url(patient), form_data(row))

    assert response.status_code == 200
    assert "cannot be printed on the prescription" in response.content.decode()
    assert not Prescription.objects.exists()


# --- 3. Names -------------------------------------------------------------------------------


def test_a_later_name_change_keeps_the_pdf_and_page_on_the_name_at_signing(
    doctor: User, patient: User,
) -> None:
    old_name = doctor.name
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    User.objects.filter(pk=doctor.pk).update(name="Dr Renamed \U0001f600 Person")

    response = logged_in(patient).get(pdf_url(prescription))
    page = Client().get(qr.verification_path(prescription.pk)).content.decode()
    detail = logged_in(patient).get(detail_url(prescription)).content.decode()

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert old_name in text and "Renamed" not in text
    assert old_name in page and "Renamed" not in page
    assert old_name in detail and "Renamed" not in detail


def test_an_emoji_in_a_name_at_signing_prints_as_a_replacement_mark(doctor: User) -> None:
    User.objects.filter(pk=doctor.pk).update(name="Dr Sana \U0001f600 Malik")
    patient = factories.PatientFactory(name="\U0001f600mar Khan")
    prescription = sign(make_prescription(doctor=User.objects.get(pk=doctor.pk),
                                          patient=patient))

    response = logged_in(patient).get(pdf_url(prescription))

    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Dr Sana" in text and "Malik" in text and "\U0001f600" not in text


def test_new_signatures_store_the_doctor_name(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    data = json.loads(prescription.e_sign_data or "")
    assert data["v"] == 3
    assert data["signed_values"]["doctor_name"] == doctor.name


def test_a_version_2_signature_still_verifies(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    stored = Prescription.objects.get(pk=prescription.pk)
    values = {key: value for key, value in signing.signed_values_now(stored).items()
              if key != "doctor_name"}
    key = signing.signing_key_for(doctor)
    canonical = signing.canonical_bytes(stored, signed_values=values)
    data = {"v": 2, "alg": "Ed25519", "key_id": key.pk, "signed_values": values,
            "fingerprint": signing.key_fingerprint(key.public_key),
            "signature": base64.b64encode(signing._private_key(key).sign(canonical)).decode(),
            "canonical_sha256": hashlib.sha256(canonical).hexdigest()}
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescriptions SET e_sign_data = %s WHERE id = %s",
                       [json.dumps(data), prescription.pk])

    body = Client().get(qr.verification_path(prescription.pk)).content.decode()

    assert "Not genuine" not in body and doctor.name in body


def test_a_tampered_doctor_name_is_not_genuine(doctor: User, patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    data = json.loads(prescription.e_sign_data or "")
    data["signed_values"]["doctor_name"] = "Dr Someone Else"
    with connection.cursor() as cursor:
        cursor.execute("UPDATE prescriptions SET e_sign_data = %s WHERE id = %s",
                       [json.dumps(data), prescription.pk])

    body = Client().get(qr.verification_path(prescription.pk)).content.decode()

    assert "Not genuine" in body and "Someone Else" not in body


@pytest.mark.parametrize("name", ["Ali \U0001f600 Khan", "Sara \u2713", "Ahmed \u2192 B"])
def test_a_profile_name_with_emoji_or_symbols_is_refused(name: str) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="emoji or symbols"):
        validate_person_name(name)


def test_letters_in_any_script_are_a_name() -> None:
    validate_person_name("Muhammad O'Neil-Khan")
    validate_person_name("عائشہ خان")


# --- 4. Warnings in the reader's language ---------------------------------------------------


def test_an_urdu_saver_stores_english_and_an_english_reader_reads_english(
    patient: User, doctor: User,
) -> None:
    visit(patient, doctor)
    with translation.override("ur"):
        prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    [row] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert not ARABIC_SCRIPT.search(row.message)

    body = logged_in(doctor).get(detail_url(prescription),
                                 HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert row.message in body


def test_an_urdu_reader_reads_the_offline_warning_in_urdu(patient: User,
                                                          doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    [row] = PrescriptionWarning.objects.filter(prescription=prescription)

    client = logged_in(doctor)
    client.cookies["django_language"] = "ur"
    body = client.get(detail_url(prescription), HTTP_ACCEPT_LANGUAGE="ur").content.decode()

    with translation.override("ur"):
        urdu = warning_text.display_message(row)
    assert ARABIC_SCRIPT.search(urdu) and "Warfarin 5mg" in urdu
    assert urdu in body and row.message not in body


def test_a_row_saved_in_urdu_is_read_in_english(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    [row] = PrescriptionWarning.objects.filter(prescription=prescription)
    english = row.message
    with translation.override("ur"):
        urdu = warning_text.display_message(row)
    PrescriptionWarning.objects.filter(pk=row.pk).update(message=urdu)  # as saved before
    row.refresh_from_db()

    with translation.override("en"):
        assert warning_text.display_message(row) == english


def test_an_allergy_warning_is_re_rendered(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    rows = list(PrescriptionWarning.objects.filter(prescription=prescription))
    assert rows

    with translation.override("ur"):
        rendered = [warning_text.display_message(row) for row in rows]
    assert all(ARABIC_SCRIPT.search(text) for text in rendered)


def test_openfda_rows_keep_the_label_and_translate_the_framing(patient: User,
                                                               doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin")
    names = ["Warfarin 5mg", "Aspirin"]
    finding = LabelFinding(label_drug="warfarin", other="aspirin",
                           section="drug_interactions", set_id="set-0001")
    result = OnlineCheckResult(status=OnlineStatus.OK, findings=(finding,),
                               checked=("aspirin", "warfarin"))
    with translation.override("ur"):
        services.openfda_warnings_store(prescription_id=prescription.pk, names=names,
                                        result=result)
    row = PrescriptionWarning.objects.get(prescription=prescription,
                                          source=WarningSource.OPENFDA)
    assert row.message.startswith("The FDA label for Warfarin 5mg mentions Aspirin")

    with translation.override("ur"):
        urdu = warning_text.display_message(row)
    assert ARABIC_SCRIPT.search(urdu)
    assert "Warfarin 5mg" in urdu and "Aspirin" in urdu and "set-0001" in urdu


def test_a_signed_prescriptions_rows_are_not_rewritten_by_reading(
    patient: User, doctor: User,
) -> None:
    visit(patient, doctor)
    prescription = sign(write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg"))
    before = list(PrescriptionWarning.objects.filter(prescription=prescription)
                  .values_list("pk", "message"))
    client = logged_in(doctor)
    client.cookies["django_language"] = "ur"

    client.get(detail_url(prescription), HTTP_ACCEPT_LANGUAGE="ur")

    after = list(PrescriptionWarning.objects.filter(prescription=prescription)
                 .values_list("pk", "message"))
    assert after == before


# --- 5. Labels in the online list -----------------------------------------------------------


def test_online_findings_show_display_labels(patient: User, doctor: User,
                                             fake_openfda: Any) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Disprin")
    finding = LabelFinding(label_drug="warfarin", other="aspirin",
                           section="drug_interactions", set_id="set-0002")
    store_check(["Warfarin 5mg", "Disprin"], OnlineCheckResult(
        status=OnlineStatus.OK, findings=(finding,), checked=("aspirin", "warfarin")))

    body = logged_in(doctor).get(detail_url(prescription)).content.decode()

    assert "Medium · Interaction" in body
    assert "MEDIUM · INTERACTION" not in body


# --- 6. The rejection reason ----------------------------------------------------------------


def test_the_author_and_the_patient_read_the_rejection_reason(doctor: User,
                                                              patient: User) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    rejecter = factories.StaffFactory()
    signing.prescription_reject(actor=rejecter, prescription_id=prescription.pk,
                                reason="Dose unclear, call the clinic")

    for reader in (doctor, patient):
        body = logged_in(reader).get(detail_url(prescription)).content.decode()
        assert "Dose unclear, call the clinic" in body
        assert "Rejected by" in body
    public = Client().get(qr.verification_path(prescription.pk)).content.decode()
    assert "Dose unclear" not in public


# --- 7. Control characters ------------------------------------------------------------------


@pytest.mark.parametrize("control", ["\x07", "\x1b", "\x08", "\x7f", "\x85", "\x9b"])
def test_control_characters_are_refused(control: str) -> None:
    form = medication_form(dosage=f"500{control} mg")

    assert not form.is_valid()
    assert "control characters" in " ".join(str(error) for error in form.errors["dosage"])


def test_tabs_and_line_breaks_are_kept_in_instructions() -> None:
    from datetime import timedelta

    from django.utils import timezone

    from apps.appointments.models import Appointment

    zone = timezone.get_current_timezone()
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    form = PrescriptionForm({"valid_until": day, "instructions": "Morning:\tone\r\nNight: two"},
                            appointments=Appointment.objects.none(), zone=zone)

    assert form.is_valid(), form.errors


# --- 8. Double submit -----------------------------------------------------------------------


def test_a_second_submit_of_the_same_form_redirects_to_the_first(patient: User,
                                                                 doctor: User) -> None:
    visit(patient, doctor)
    client = logged_in(doctor)
    page = client.get(create_url(patient)).content.decode()
    key = re.search(r'name="submission_key" value="([0-9a-f-]+)"', page)
    assert key is not None
    data = form_data("Paracetamol", submission_key=key.group(1))

    first = client.post(create_url(patient), data)
    second = client.post(create_url(patient), data)

    [prescription] = Prescription.objects.all()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == detail_url(prescription)


def test_two_opened_forms_write_two_prescriptions(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    client = logged_in(doctor)
    for _ in range(2):
        page = client.get(create_url(patient)).content.decode()
        key = re.search(r'name="submission_key" value="([0-9a-f-]+)"', page)
        assert key is not None
        client.post(create_url(patient), form_data("Paracetamol", submission_key=key.group(1)))

    assert Prescription.objects.count() == 2


# --- 9. Tokens in logs ----------------------------------------------------------------------


def test_the_verification_token_is_redacted_from_request_lines() -> None:
    line = '"GET /verify/rx/MTIz.abc-DEF_123/ HTTP/1.1" 200 1234'
    assert "MTIz.abc-DEF_123" not in redact(line)
    assert "/verify/rx/[redacted]/" in redact(line)
    reject = '"POST /verify/rx/MTIz.abc/reject/ HTTP/1.1" 302 0'
    assert "MTIz.abc" not in redact(reject) and "/reject/" in redact(reject)


def test_an_outage_on_the_verify_page_logs_no_token(
    doctor: User, patient: User, caplog: pytest.LogCaptureFixture,
) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    token = qr.verification_token(prescription.pk)

    with mock.patch("apps.prescriptions.views_sign.verify_token",
                    side_effect=OperationalError("gone")), caplog.at_level(logging.ERROR):
        response = Client().get(qr.verification_path(prescription.pk))

    assert response.status_code == 503
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/verify/rx/[redacted]" in logged and token not in logged


# --- 10. Wording ----------------------------------------------------------------------------


def test_no_labels_at_all_is_not_called_some(patient: User, doctor: User,
                                             fake_openfda: Any) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Paracetamol", "Cetirizine")
    store_check(["Paracetamol", "Cetirizine"], OnlineCheckResult(
        status=OnlineStatus.NO_LABELS, no_label=("cetirizine", "paracetamol")))

    body = logged_in(doctor).get(detail_url(prescription)).content.decode()

    assert "openFDA had no label for any of these medications" in body
    assert "no label for some medications" not in body


# --- 11. The PDF download limit -------------------------------------------------------------


def test_pdf_downloads_are_limited_per_user(doctor: User, patient: User, openfda_cache: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(throttle, "PDF_RATE_LIMIT", 2)
    prescription = sign(make_prescription(doctor=doctor, patient=patient))
    client = logged_in(patient)

    codes = [client.get(pdf_url(prescription)).status_code for _ in range(3)]

    assert codes == [200, 200, 429]
    assert logged_in(doctor).get(pdf_url(prescription)).status_code == 200


def test_pdf_downloads_work_without_redis(doctor: User, patient: User,
                                          redis_down: None) -> None:
    prescription = sign(make_prescription(doctor=doctor, patient=patient))

    assert logged_in(patient).get(pdf_url(prescription)).status_code == 200
