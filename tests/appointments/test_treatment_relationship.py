from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.appointments.selectors import doctor_has_treated, patients_treated_by
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("status", "treated"),
    [
        (AppointmentStatus.SCHEDULED, True),
        (AppointmentStatus.COMPLETED, True),
        (AppointmentStatus.CANCELLED, False),
        (AppointmentStatus.NO_SHOW, False),
    ],
)
def test_only_scheduled_or_completed_appointments_link_doctor_and_patient(
    patient: User, doctor: User, status: str, treated: bool
) -> None:
    AppointmentFactory(patient=patient, doctor=doctor, status=status)

    assert doctor_has_treated(doctor_id=doctor.pk, patient_id=patient.pk) is treated


def test_another_doctors_appointment_creates_no_relationship(
    patient: User, doctor: User, other_doctor: User
) -> None:
    AppointmentFactory(patient=patient, doctor=other_doctor)

    assert not doctor_has_treated(doctor_id=doctor.pk, patient_id=patient.pk)
    assert list(patients_treated_by(doctor_id=other_doctor.pk)) == [{"patient_id": patient.pk}]
    assert not patients_treated_by(doctor_id=doctor.pk).exists()
