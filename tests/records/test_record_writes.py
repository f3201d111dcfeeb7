"""Writing records: only for treated patients, validated in the form, atomic with uploads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError
from django.urls import reverse

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.audit.models import PhiAction, PhiResource
from apps.records import services
from apps.records.models import MedicalRecord, RecordType
from tests import factories
from tests.records.support import PDF_BYTES, log_rows, logged_in, record_post_data, upload

pytestmark = pytest.mark.django_db


def create_url(patient: User) -> str:
    return reverse("records:create", kwargs={"patient_id": patient.pk})


def edit_url(record: MedicalRecord) -> str:
    return reverse("records:edit", kwargs={"record_id": record.pk})


def test_the_treating_doctor_writes_a_record_tied_to_their_appointment(
    patient: User, doctor: User, visit: Appointment,
) -> None:
    response = logged_in(doctor).post(create_url(patient),
                                      record_post_data(appointment=visit.pk))

    record = MedicalRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("records:detail", kwargs={"record_id": record.pk})
    assert (record.patient_id, record.doctor_id, record.appointment_id) == (
        patient.pk, doctor.pk, visit.pk)
    assert record.diagnosis == "Seasonal allergic rhinitis"
    [row] = log_rows()
    assert (row.action, row.resource_type, row.resource_id, row.patient_id) == (
        PhiAction.UPDATE, PhiResource.MEDICAL_RECORD, record.pk, patient.pk)
    assert row.ip_address == "10.20.30.40"


def test_the_create_page_shows_only_this_doctors_appointments_with_the_patient(
    patient: User, doctor: User, other_doctor: User, visit: Appointment,
) -> None:
    theirs = factories.AppointmentFactory(patient=patient, doctor=other_doctor)

    page = logged_in(doctor).get(create_url(patient))

    assert page.status_code == 200
    assert f'value="{visit.pk}"'.encode() in page.content
    assert f'value="{theirs.pk}"'.encode() not in page.content


def test_another_doctors_appointment_is_refused_in_the_form(
    patient: User, doctor: User, other_doctor: User, visit: Appointment,
) -> None:
    theirs = factories.AppointmentFactory(patient=patient, doctor=other_doctor)

    response = logged_in(doctor).post(create_url(patient), record_post_data(appointment=theirs.pk))

    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not MedicalRecord.objects.exists()


def test_the_service_refuses_an_appointment_with_another_patient(
    patient: User, other_patient: User, doctor: User, visit: Appointment,
) -> None:
    elsewhere = factories.AppointmentFactory(patient=other_patient, doctor=doctor)

    with pytest.raises(services.RecordError) as caught:
        services.record_create(doctor=doctor, patient_id=patient.pk,
                               record_type=RecordType.CONSULTATION,
                               record_date=visit.scheduled_at, notes="n", appointment=elsewhere)

    assert caught.value.field == "appointment"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"record_type": "SURGERY"}, b"Select a valid choice"),
        ({"record_date": "not a date"}, b"Enter a valid date/time"),
        ({"record_date": "0001-01-01T00:00"}, b"Choose a date between 2000 and 2100"),
        ({"record_date": "2099-01-01T00:00"}, b"cannot be dated in the future"),
        ({"diagnosis": "", "treatment": "", "notes": ""}, b"Write a diagnosis, treatment"),
    ],
)
def test_bad_input_is_a_form_message_never_a_500(
    patient: User, doctor: User, visit: Appointment, overrides: dict[str, str], message: bytes,
) -> None:
    response = logged_in(doctor).post(create_url(patient), record_post_data(**overrides))

    assert response.status_code == 200
    assert message in response.content
    assert not MedicalRecord.objects.exists()


def test_a_doctor_without_relationship_cannot_write_and_is_logged_refused(
    patient: User, other_doctor: User, visit: Appointment,
) -> None:
    client = logged_in(other_doctor)

    assert client.get(create_url(patient)).status_code == 404
    assert client.post(create_url(patient), record_post_data()).status_code == 404
    assert not MedicalRecord.objects.exists()
    rows = log_rows()
    assert [(r.actor_id, r.patient_id, r.refused) for r in rows] == [
        (other_doctor.pk, patient.pk, True)] * 2


def test_patients_cannot_write_records(patient: User, visit: Appointment) -> None:
    assert logged_in(patient).post(create_url(patient), record_post_data()).status_code == 404


def test_the_author_updates_a_record_and_one_update_row_is_logged(
    doctor: User, record: MedicalRecord,
) -> None:
    client = logged_in(doctor)
    form = client.get(edit_url(record))
    assert form.status_code == 200
    assert b"Iron deficiency anaemia" in form.content

    response = client.post(edit_url(record), record_post_data(
        record_type="LAB_RESULT", diagnosis="Iron deficiency, improving",
        attachments=upload("r.pdf", PDF_BYTES)))

    assert response.status_code == 302
    record.refresh_from_db()
    assert record.diagnosis == "Iron deficiency, improving"
    assert len(record.file_urls or []) == 1
    assert [(r.action, r.refused) for r in log_rows()] == [
        (PhiAction.VIEW, False), (PhiAction.UPDATE, False)]


def test_another_treating_doctor_reads_but_cannot_edit(
    patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    factories.AppointmentFactory(patient=patient, doctor=other_doctor)
    client = logged_in(other_doctor)

    assert client.get(reverse("records:detail", kwargs={"record_id": record.pk})).status_code == 200
    assert client.get(edit_url(record)).status_code == 404
    assert client.post(edit_url(record), record_post_data()).status_code == 404
    record.refresh_from_db()
    assert record.diagnosis == "Iron deficiency anaemia"
    assert [r.refused for r in log_rows()] == [False, True, True]


def test_an_outsider_patient_cannot_open_the_edit_page(
    other_patient: User, record: MedicalRecord,
) -> None:
    assert logged_in(other_patient).get(edit_url(record)).status_code == 404


def test_a_failed_database_write_removes_the_uploaded_files(
    patient: User, doctor: User, visit: Appointment, record_storage: Path, monkeypatch: Any,
) -> None:
    def fail(**kwargs: Any) -> None:
        raise IntegrityError("simulated")

    monkeypatch.setattr(services, "phi_access_record", fail)

    with pytest.raises(IntegrityError):
        services.record_create(doctor=doctor, patient_id=patient.pk,
                               record_type=RecordType.IMAGING, record_date=visit.scheduled_at,
                               notes="n", uploads=[upload("a.pdf", PDF_BYTES)])

    assert not MedicalRecord.objects.exists()
    assert list(record_storage.rglob("*.pdf")) == []


def test_a_refused_upload_leaves_no_earlier_file_behind(
    patient: User, doctor: User, visit: Appointment, record_storage: Path,
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.record_create(doctor=doctor, patient_id=patient.pk,
                               record_type=RecordType.IMAGING, record_date=visit.scheduled_at,
                               notes="n", uploads=[upload("a.pdf", PDF_BYTES),
                                                   upload("b.pdf", b"MZ" + b"\0" * 99)])

    assert list(record_storage.rglob("*.pdf")) == []
    assert not MedicalRecord.objects.exists()


def test_the_write_and_edit_pages_have_a_query_bound(
    patient: User, doctor: User, record: MedicalRecord, django_assert_max_num_queries: Any,
) -> None:
    for hours in range(5):
        factories.AppointmentFactory(patient=patient, doctor=doctor,
                                     scheduled_at=record.record_date + timedelta(hours=hours))
    client = logged_in(doctor)

    with django_assert_max_num_queries(12):
        assert client.get(create_url(patient)).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(edit_url(record)).status_code == 200


def test_a_record_with_attachments_only_can_be_edited_without_text(
    doctor: User, record: MedicalRecord,
) -> None:
    client = logged_in(doctor)
    assert client.post(edit_url(record), record_post_data(
        diagnosis="", treatment="", notes="",
        attachments=upload("r.pdf", PDF_BYTES))).status_code == 302

    response = client.post(edit_url(record), record_post_data(
        record_type="IMAGING", diagnosis="", treatment="", notes=""))

    assert response.status_code == 302, response.content.decode()[:2000]
    record.refresh_from_db()
    assert (record.record_type, record.diagnosis) == ("IMAGING", None)
    assert len(record.file_urls or []) == 1


def test_a_record_without_attachments_still_needs_some_content(
    doctor: User, record: MedicalRecord,
) -> None:
    response = logged_in(doctor).post(edit_url(record), record_post_data(
        diagnosis="", treatment="", notes=""))

    assert response.status_code == 200
    assert "Write a diagnosis, treatment or notes, or attach a file." in response.content.decode()
    record.refresh_from_db()
    assert record.diagnosis == "Iron deficiency anaemia"
