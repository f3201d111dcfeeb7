"""rotate_phi_keys: old keys stay readable, rotation moves every row, twice is harmless."""

from __future__ import annotations

import base64
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone
from pytest_django.fixtures import Settings

from apps.accounts.models import User
from apps.core import crypto
from apps.core.management.commands.rotate_phi_keys import encrypted_tables
from apps.records.models import MedicalRecord
from tests import factories

DIAGNOSIS = "Iron deficiency anaemia"
PHONE = "+923331112223"


@pytest.fixture
def key_a(settings: Settings) -> str:
    key = crypto.generate_key()
    settings.PHI_ENCRYPTION_KEY = key
    settings.PHI_ENCRYPTION_OLD_KEYS = []
    return key


def switch_to_new_key(settings: Settings, *old_keys: str) -> str:
    key = crypto.generate_key()
    settings.PHI_ENCRYPTION_KEY = key
    settings.PHI_ENCRYPTION_OLD_KEYS = list(old_keys)
    return key


def make_record(*, diagnosis: str = DIAGNOSIS, phone: str = PHONE) -> MedicalRecord:
    patient = factories.PatientFactory.create(phone=phone, allergies="Sulfa drugs",
                                       emergency_contact="Bilal +923001110000")
    record = MedicalRecord.objects.create(
        patient=patient, doctor=factories.DoctorFactory.create(), record_type="LAB_RESULT",
        diagnosis=diagnosis, treatment="Ferrous sulfate", notes=None,
        record_date=timezone.now())
    return record


def stored_values() -> dict[tuple[str, str, object], str]:
    """Every non-null encrypted value in the database, by (table, column, pk)."""
    values = {}
    with connection.cursor() as cursor:
        for table in encrypted_tables():
            for column in table.columns:
                cursor.execute(
                    f'SELECT "{table.pk}", "{column}" FROM "{table.table}" '
                    f'WHERE "{column}" IS NOT NULL')
                for pk, value in cursor.fetchall():
                    values[(table.table, column, pk)] = value
    return values


def key_ids() -> set[str]:
    return {crypto.stored_key_id(value) for value in stored_values().values()}


def rotate(*args: str) -> str:
    out = StringIO()
    call_command("rotate_phi_keys", *args, stdout=out)
    return out.getvalue()


def counts(output: str) -> dict[str, int]:
    return {table: int(rows) for table, rows in
            re.findall(r"^(\w+): (?:would re-encrypt|re-encrypted) (\d+) rows", output, re.M)}


def test_command_finds_every_encrypted_table_including_history() -> None:
    tables = {t.table: (t.pk, t.columns) for t in encrypted_tables()}

    assert tables["users"] == ("id", ("phone", "cnic", "allergies", "emergency_contact"))
    assert tables["medical_records"] == ("id", ("diagnosis", "treatment", "notes"))
    assert tables["doctor_signing_keys"] == ("id", ("private_key",))
    assert tables["medical_records_history"] == ("history_id",
                                                 ("diagnosis", "treatment", "notes"))


def test_rotation_round_trip_with_the_old_key_retired(db: None, settings: Settings,
                                                      key_a: str) -> None:
    record = make_record()
    factories.PatientFactory.create(cnic="35202-7654321-3")
    key_a_id = crypto.key_ring().current_id
    assert key_ids() == {key_a_id}

    switch_to_new_key(settings, key_a)
    key_b_id = crypto.key_ring().current_id
    assert MedicalRecord.objects.get(pk=record.pk).diagnosis == DIAGNOSIS  # still readable

    output = rotate()

    assert counts(output) == {"doctor_signing_keys": 0, "medical_records": 1,
                              "medical_records_history": 1, "users": 2}
    assert "Total: 4 rows (8 values) re-encrypted" in output
    assert key_ids() == {key_b_id}
    assert DIAGNOSIS not in output
    assert PHONE not in output

    settings.PHI_ENCRYPTION_OLD_KEYS = []  # retire key A
    refreshed = MedicalRecord.objects.get(pk=record.pk)
    assert refreshed.diagnosis == DIAGNOSIS
    assert refreshed.history.get().diagnosis == DIAGNOSIS
    assert User.objects.get(pk=record.patient_id).phone == PHONE
    assert User.objects.with_cnic("3520276543213").get().cnic == "35202-7654321-3"


def test_second_run_reencrypts_nothing(db: None, settings: Settings, key_a: str) -> None:
    make_record()
    switch_to_new_key(settings, key_a)
    rotate()
    after_first = stored_values()

    output = rotate()

    assert set(counts(output).values()) == {0}
    assert "Total: 0 rows (0 values)" in output
    assert stored_values() == after_first


def test_dry_run_counts_and_writes_nothing(db: None, settings: Settings, key_a: str) -> None:
    make_record()
    switch_to_new_key(settings, key_a)
    before = stored_values()

    output = rotate("--dry-run")

    assert counts(output) == {"doctor_signing_keys": 0, "medical_records": 1,
                              "medical_records_history": 1, "users": 1}
    assert "would be re-encrypted" in output
    assert stored_values() == before


def test_rows_already_under_the_current_key_are_left_alone(
    db: None, settings: Settings, key_a: str
) -> None:
    make_record()
    switch_to_new_key(settings, key_a)
    fresh = make_record(diagnosis="Vitamin D deficiency")
    fresh_values = {k: v for k, v in stored_values().items()
                    if k[2] in (fresh.pk, fresh.patient_id)
                    and crypto.is_current(v)}

    rotate()

    after = stored_values()
    assert all(after[key] == value for key, value in fresh_values.items())
    assert len(fresh_values) >= 5


def test_in_a_mixed_row_only_the_stale_values_change(
    db: None, settings: Settings, key_a: str
) -> None:
    patient = factories.PatientFactory.create(phone=PHONE, allergies="Sulfa drugs")
    switch_to_new_key(settings, key_a)
    patient.phone = "+923009998887"
    patient.save(update_fields=["phone"])
    phone_under_b = stored_values()[("users", "phone", patient.pk)]

    output = rotate()

    assert "users: re-encrypted 1 rows (1 values)" in output
    after = stored_values()
    assert after[("users", "phone", patient.pk)] == phone_under_b
    assert crypto.is_current(after[("users", "allergies", patient.pk)])


def test_small_batches_cover_every_row(db: None, settings: Settings, key_a: str) -> None:
    for index in range(5):
        factories.PatientFactory.create(phone=f"+92300000000{index}")
    switch_to_new_key(settings, key_a)

    output = rotate("--batch-size", "2")

    assert counts(output)["users"] == 5
    assert key_ids() == {crypto.key_ring().current_id}


def test_rotation_changes_no_timestamps_and_writes_no_history(
    db: None, settings: Settings, key_a: str
) -> None:
    record = make_record()
    before = MedicalRecord.objects.values_list("updated_at", flat=True).get(pk=record.pk)
    switch_to_new_key(settings, key_a)

    rotate()

    assert MedicalRecord.objects.values_list("updated_at", flat=True).get(pk=record.pk) == before
    assert record.history.count() == 1


def test_a_row_it_cannot_decrypt_stops_it_naming_table_and_id(
    db: None, settings: Settings, key_a: str
) -> None:
    first = factories.PatientFactory.create(phone="+923000000001")
    switch_to_new_key(settings)  # key C, then forgotten: rows under it cannot be read
    lost = factories.PatientFactory.create(phone=PHONE)
    lost_phone = stored_values()[("users", "phone", lost.pk)]
    switch_to_new_key(settings, key_a)

    with pytest.raises(CommandError) as caught:
        rotate("--batch-size", "1")

    message = str(caught.value)
    assert f"users id={lost.pk} column phone" in message
    assert PHONE not in message
    values = stored_values()
    assert values[("users", "phone", lost.pk)] == lost_phone  # never overwritten
    assert crypto.is_current(values[("users", "phone", first.pk)])  # earlier batch committed


@pytest.mark.parametrize("damage", ["flip", "plaintext"])
def test_a_damaged_value_stops_it_and_stays_as_it_was(
    db: None, settings: Settings, key_a: str, damage: str
) -> None:
    record = make_record()
    stored = stored_values()[("medical_records", "diagnosis", record.pk)]
    if damage == "flip":
        prefix, kid, payload = stored.split(":", 2)
        data = bytearray(base64.b64decode(payload))
        data[-1] ^= 0x01
        bad = f"{prefix}:{kid}:{base64.b64encode(bytes(data)).decode()}"
    else:
        bad = DIAGNOSIS
    with connection.cursor() as cursor:
        cursor.execute("UPDATE medical_records SET diagnosis = %s WHERE id = %s",
                       [bad, record.pk])
    switch_to_new_key(settings, key_a)

    with pytest.raises(CommandError) as caught:
        rotate()

    assert f"medical_records id={record.pk} column diagnosis" in str(caught.value)
    assert DIAGNOSIS not in str(caught.value)
    assert stored_values()[("medical_records", "diagnosis", record.pk)] == bad
    assert not crypto.is_current(stored_values()[("medical_records", "treatment", record.pk)])


def test_batch_size_must_be_positive(db: None) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        rotate("--batch-size", "0")


@pytest.mark.django_db(transaction=True)
def test_rows_locked_elsewhere_are_skipped_and_done_on_the_next_run(
    settings: Settings, key_a: str
) -> None:
    locked = factories.PatientFactory.create(phone=PHONE)
    free = factories.PatientFactory.create(phone=PHONE)
    switch_to_new_key(settings, key_a)
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM users WHERE id = %s FOR UPDATE", [locked.pk])

        output = rotate()

        assert "1 locked rows left for the next run" in output
        assert "run the command again" in output
        values = stored_values()
        assert crypto.is_current(values[("users", "phone", free.pk)])
        assert not crypto.is_current(values[("users", "phone", locked.pk)])
    finally:
        other.rollback()
        other.close()

    rotate()

    assert key_ids() == {crypto.key_ring().current_id}
