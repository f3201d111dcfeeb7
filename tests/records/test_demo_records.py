from __future__ import annotations

import pytest

from apps.accounts.demo import demo_seed, doctor_email, patient_email
from apps.appointments.selectors import doctor_has_treated
from apps.records.models import MedicalRecord

pytestmark = pytest.mark.django_db


def test_the_demo_patient_has_records_by_their_treating_doctor_once() -> None:
    first = demo_seed(password="demo-password-for-tests")
    second = demo_seed(password="demo-password-for-tests")

    records = list(MedicalRecord.objects.select_related("patient", "doctor"))
    assert first.created["medical records"] == 2
    assert second.created["medical records"] == 0
    assert len(records) == 2
    assert {(r.patient.email, r.doctor.email) for r in records} == {
        (patient_email(1), doctor_email(1))}
    assert doctor_has_treated(doctor_id=records[0].doctor_id, patient_id=records[0].patient_id)
    assert all(r.diagnosis and r.diagnosis.startswith("Demo:") for r in records)
