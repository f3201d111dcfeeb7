"""EncryptedTextField in the database: no plaintext at rest, failures raise, forms work."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.admin import AdminSite, ModelAdmin
from django.core.exceptions import FieldError
from django.db import connection, models
from django.forms import modelform_factory
from django.test import RequestFactory
from django.test.utils import isolate_apps
from django.utils import timezone
from pytest_django.fixtures import Settings

from apps.accounts.models import User
from apps.core import crypto
from apps.core.fields import EncryptedTextField
from apps.core.management.commands.rotate_phi_keys import encrypted_tables
from apps.prescriptions.models import DoctorSigningKey
from apps.records.models import MedicalRecord
from tests import factories

PHONE = "+923001234567"
CNIC = "35202-1234567-1"
ALLERGIES = "Penicillin anaphylaxis"
EMERGENCY = "Ayesha Siddiqui +923217654321"
DIAGNOSIS = "Type 2 diabetes mellitus"
TREATMENT = "Metformin 500mg twice daily"
NOTES = "Review HbA1c in twelve weeks"
DIAGNOSIS_V2 = "Type 2 diabetes with neuropathy"
SIGNING_KEY = "c2lnbmluZy1rZXktc2VjcmV0LWJ5dGVzLTAwMDAwMDA="  # stands for a private key
PLAINTEXTS = [SIGNING_KEY, PHONE, CNIC, CNIC.replace("-", ""), ALLERGIES, EMERGENCY, DIAGNOSIS,
              TREATMENT, NOTES, DIAGNOSIS_V2, "Penicillin", "diabetes", "Metformin", "HbA1c",
              "9230012"]

DOCUMENTED = {
    ("users", "phone"), ("users", "cnic"), ("users", "allergies"),
    ("users", "emergency_contact"), ("medical_records", "diagnosis"),
    ("medical_records", "treatment"), ("medical_records", "notes"),
}


@dataclass
class PhiRows:
    patient: User
    record: MedicalRecord


@pytest.fixture
def phi(db: None) -> PhiRows:
    patient = factories.PatientFactory.create(
        phone=PHONE, cnic=CNIC, allergies=ALLERGIES, emergency_contact=EMERGENCY)
    record = MedicalRecord.objects.create(
        patient=patient, doctor=factories.DoctorFactory.create(), record_type="CONSULTATION",
        diagnosis=DIAGNOSIS, treatment=TREATMENT, notes=NOTES, record_date=timezone.now())
    record.diagnosis = DIAGNOSIS_V2
    record.save()  # a second history row, of type "~"
    DoctorSigningKey.objects.create(doctor=record.doctor, public_key="cHVibGlj",
                                    private_key=SIGNING_KEY)
    return PhiRows(patient=patient, record=record)


def raw(table: str, column: str, pk: int, *, pk_column: str = "id") -> Any:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "{column}" FROM "{table}" WHERE "{pk_column}" = %s',
                       [pk])
        return cursor.fetchone()[0]


def write_raw(table: str, column: str, pk: int, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s',
                       [value, pk])


def flip_byte(stored: str, index: int = 20) -> str:
    prefix, kid, payload = stored.split(":", 2)
    data = bytearray(base64.b64decode(payload))
    data[index] ^= 0x80
    return f"{prefix}:{kid}:{base64.b64encode(bytes(data)).decode()}"


def test_encrypted_columns_cover_the_document_and_the_history_tables() -> None:
    found = {(t.table, c) for t in encrypted_tables() for c in t.columns}

    assert found >= DOCUMENTED
    assert {("medical_records_history", c) for c in ("diagnosis", "treatment", "notes")} <= found


def test_raw_rows_hold_no_plaintext_in_any_encrypted_table(phi: PhiRows) -> None:
    tables = encrypted_tables()
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table.table}" t')
            dumps = [row[0] for row in cursor.fetchall()]
            assert dumps, f"{table.table} has no rows to inspect"
            for dump in dumps:
                leaked = [text for text in PLAINTEXTS if text in dump]
                assert not leaked, f"{table.table} holds plaintext {leaked}"
    assert phi.record.history.count() == 2


def test_every_stored_value_carries_the_current_key_id(phi: PhiRows) -> None:
    current = crypto.key_ring().current_id
    seen = 0
    with connection.cursor() as cursor:
        for table in encrypted_tables():
            for column in table.columns:
                sql = (f'SELECT "{column}" FROM "{table.table}" '
                       f'WHERE "{column}" IS NOT NULL')
                cursor.execute(sql)
                for (stored,) in cursor.fetchall():
                    assert crypto.stored_key_id(stored) == current
                    seen += 1

    assert seen == 4 + 3 + 3 * 2 + 1  # the user, the record, its two history rows, the key


def test_values_read_back_through_the_orm_and_history(phi: PhiRows) -> None:
    patient = User.objects.get(pk=phi.patient.pk)
    oldest, newest = phi.record.history.order_by("history_id")

    assert (patient.phone, patient.cnic, patient.allergies, patient.emergency_contact) == (
        PHONE, CNIC, ALLERGIES, EMERGENCY)
    assert MedicalRecord.objects.get(pk=phi.record.pk).diagnosis == DIAGNOSIS_V2
    assert (oldest.diagnosis, oldest.treatment, oldest.notes) == (DIAGNOSIS, TREATMENT, NOTES)
    assert newest.diagnosis == DIAGNOSIS_V2
    assert oldest.instance.diagnosis == DIAGNOSIS


@pytest.mark.parametrize("index", [0, 12, 20, -1])
def test_a_flipped_byte_makes_reading_the_row_raise(phi: PhiRows, index: int) -> None:
    stored = raw("medical_records", "diagnosis", phi.record.pk)
    write_raw("medical_records", "diagnosis", phi.record.pk, flip_byte(stored, index))

    record = MedicalRecord.objects.get(pk=phi.record.pk)  # decryption waits for the read
    with pytest.raises(crypto.DecryptionError) as caught:
        record.diagnosis  # noqa: B018

    message = str(caught.value)
    assert "medical_records.diagnosis" in message
    assert not [text for text in PLAINTEXTS if text in message]


def test_a_flipped_byte_in_a_user_column_raises(phi: PhiRows) -> None:
    stored = raw("users", "phone", phi.patient.pk)
    write_raw("users", "phone", phi.patient.pk, flip_byte(stored))

    user = User.objects.get(pk=phi.patient.pk)
    with pytest.raises(crypto.DecryptionError):
        user.phone  # noqa: B018


def test_a_damaged_column_does_not_break_reading_the_rest_of_the_row(phi: PhiRows) -> None:
    write_raw("users", "allergies", phi.patient.pk, flip_byte(raw("users", "allergies",
                                                                  phi.patient.pk)))

    user = User.objects.get(pk=phi.patient.pk)

    assert user.name == phi.patient.name
    user.save()  # saving without reading the damaged value keeps it byte for byte
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=phi.patient.pk).allergies  # noqa: B018


def test_a_corrupted_value_is_never_returned_nor_written_back(phi: PhiRows) -> None:
    corrupted = flip_byte(raw("medical_records", "notes", phi.record.pk))
    write_raw("medical_records", "notes", phi.record.pk, corrupted)

    with pytest.raises(crypto.DecryptionError):
        [str(value) for value in
         MedicalRecord.objects.filter(pk=phi.record.pk).values_list("notes", flat=True)]
    with pytest.raises(crypto.DecryptionError):
        phi.record.refresh_from_db()
    MedicalRecord.objects.filter(pk=phi.record.pk).update(record_type="LAB_RESULT")

    assert raw("medical_records", "notes", phi.record.pk) == corrupted
    assert phi.record.notes == NOTES  # the in-memory object kept its own value


def test_plaintext_found_in_an_encrypted_column_raises_instead_of_showing(phi: PhiRows) -> None:
    write_raw("medical_records", "treatment", phi.record.pk, TREATMENT)

    with pytest.raises(crypto.DecryptionError) as caught:
        MedicalRecord.objects.get(pk=phi.record.pk).treatment  # noqa: B018

    assert TREATMENT not in str(caught.value)


def test_rows_written_under_an_unconfigured_key_raise(phi: PhiRows, settings: Settings) -> None:
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()
    settings.PHI_ENCRYPTION_OLD_KEYS = []

    with pytest.raises(crypto.DecryptionError, match="no key with id"):
        MedicalRecord.objects.get(pk=phi.record.pk).diagnosis  # noqa: B018
    with pytest.raises(crypto.DecryptionError):
        User.objects.get(pk=phi.patient.pk).phone  # noqa: B018


def test_value_lookups_are_refused_rather_than_silently_empty(phi: PhiRows) -> None:
    with pytest.raises(FieldError, match="blind index"):
        MedicalRecord.objects.filter(diagnosis=DIAGNOSIS_V2).exists()
    with pytest.raises(FieldError):
        MedicalRecord.objects.filter(diagnosis__icontains="diabetes").exists()
    with pytest.raises(FieldError):
        MedicalRecord.objects.filter(diagnosis__in=[DIAGNOSIS]).exists()


def test_null_lookups_still_work(phi: PhiRows) -> None:
    MedicalRecord.objects.filter(pk=phi.record.pk).update(notes=None)

    assert MedicalRecord.objects.filter(notes=None).count() == 1
    assert MedicalRecord.objects.filter(notes__isnull=False).count() == 0
    assert MedicalRecord.objects.filter(diagnosis__isnull=False).count() == 1


def test_queryset_update_encrypts(phi: PhiRows) -> None:
    MedicalRecord.objects.filter(pk=phi.record.pk).update(notes="Updated note")

    assert "Updated note" not in raw("medical_records", "notes", phi.record.pk)
    assert MedicalRecord.objects.get(pk=phi.record.pk).notes == "Updated note"


def record_form_data(record: MedicalRecord, **changes: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "patient": record.patient_id, "doctor": record.doctor_id,
        "record_type": record.record_type, "diagnosis": record.diagnosis,
        "treatment": record.treatment, "notes": record.notes,
        "record_date_0": timezone.localtime(record.record_date).strftime("%Y-%m-%d"),
        "record_date_1": timezone.localtime(record.record_date).strftime("%H:%M:%S"),
    }
    data.update(changes)
    return data


def test_admin_form_shows_plaintext_and_saves_ciphertext(phi: PhiRows, rf: RequestFactory) -> None:
    request = rf.get("/")
    request.user = factories.PlatformOwnerFactory.create()
    admin = ModelAdmin(MedicalRecord, AdminSite())
    form_class = admin.get_form(request, phi.record)

    unchanged = form_class(record_form_data(phi.record), instance=phi.record)
    assert unchanged.initial["diagnosis"] == DIAGNOSIS_V2
    assert unchanged.is_valid(), unchanged.errors
    assert not {"diagnosis", "treatment", "notes"} & set(unchanged.changed_data)

    changed = form_class(record_form_data(phi.record, treatment="Insulin glargine", notes=""),
                         instance=phi.record)
    assert changed.is_valid(), changed.errors
    changed.save()

    assert "Insulin" not in raw("medical_records", "treatment", phi.record.pk)
    assert raw("medical_records", "notes", phi.record.pk) is None  # blank stays NULL
    assert MedicalRecord.objects.get(pk=phi.record.pk).treatment == "Insulin glargine"
    assert phi.record.history.count() == 3


def test_model_form_creates_an_encrypted_row(phi: PhiRows) -> None:
    form_class = modelform_factory(MedicalRecord, fields=[
        "patient", "doctor", "record_type", "diagnosis", "treatment", "notes", "record_date"])
    form = form_class({**record_form_data(phi.record), "record_date": "2026-01-05 10:00",
                       "diagnosis": "Seasonal allergic rhinitis"})

    assert form.is_valid(), form.errors
    record = form.save()
    assert "rhinitis" not in raw("medical_records", "diagnosis", record.pk)
    assert MedicalRecord.objects.get(pk=record.pk).diagnosis == "Seasonal allergic rhinitis"


@isolate_apps("apps.core")
def test_system_check_refuses_unique_or_indexed_encrypted_columns() -> None:
    class Unsafe(models.Model):
        secret = EncryptedTextField(unique=True)
        indexed = EncryptedTextField(db_index=True)
        plain_default = EncryptedTextField(db_default="x")
        fine = EncryptedTextField(null=True)

        class Meta:
            app_label = "core"

    fields = {f.name: f for f in Unsafe._meta.fields if isinstance(f, EncryptedTextField)}
    ids = {name: [error.id for error in field.check()] for name, field in fields.items()}

    assert ids == {"secret": ["core.E001"], "indexed": ["core.E001"],
                   "plain_default": ["core.E002"], "fine": []}
