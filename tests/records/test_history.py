"""Record history keeps every version, and only ciphertext of the PHI columns."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.accounts.models import User
from apps.records.models import MedicalRecord
from apps.records.services import record_update

pytestmark = pytest.mark.django_db


def test_history_rows_hold_ciphertext_never_plaintext(
    doctor: User, record: MedicalRecord,
) -> None:
    record_update(doctor=doctor, record_id=record.pk, record_type=record.record_type,
                  record_date=record.record_date, diagnosis="Thalassaemia minor",
                  treatment="Folic acid", notes="Family screening advised")

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT diagnosis, treatment, notes FROM medical_records_history "
            "WHERE id = %s ORDER BY history_id", [record.pk],
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT diagnosis FROM medical_records WHERE id = %s", [record.pk])
        [(current,)] = cursor.fetchall()

    assert len(rows) == 2
    values = [value for row in rows for value in row]
    assert all(value.startswith("v1:") for value in values)
    assert current.startswith("v1:")
    for plaintext in ("Iron deficiency", "Ferrous", "Recheck", "Thalassaemia", "Folic",
                      "Family screening"):
        assert all(plaintext not in value for value in values)
    versions = list(record.history.order_by("history_id"))
    assert [v.diagnosis for v in versions] == ["Iron deficiency anaemia", "Thalassaemia minor"]
