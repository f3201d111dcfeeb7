"""Shared helpers for the prescription-writing tests; every value here is synthetic."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.prescriptions import services
from apps.prescriptions.models import Prescription
from apps.prescriptions.services import MedicationInput
from tests import factories


def visit(patient: User, doctor: User, **kwargs: Any) -> Appointment:
    """The appointment that makes `doctor` the treating doctor of `patient`."""
    kwargs.setdefault("status", AppointmentStatus.COMPLETED)
    kwargs.setdefault("scheduled_at", timezone.now() - timedelta(days=2))
    return factories.AppointmentFactory(patient=patient, doctor=doctor, **kwargs)


def med(name: str, **kwargs: str) -> MedicationInput:
    values = {"dosage": "1 tablet", "frequency": "once daily", "duration": "7 days"}
    values.update(kwargs)
    return MedicationInput(name=name, **values)


def write(doctor: User, patient: User, *names: str, **kwargs: Any) -> Prescription:
    kwargs.setdefault("instructions", "Take after meals")
    kwargs.setdefault("valid_until", timezone.now() + timedelta(days=30))
    return services.prescription_create(
        doctor=doctor, patient_id=patient.pk, medications=[med(n) for n in names], **kwargs,
    )


def logged_in(user: User) -> Client:
    client = Client(REMOTE_ADDR="10.20.30.41", HTTP_USER_AGENT="RxTest/1.0")
    client.force_login(user)
    return client


def form_data(*rows: dict[str, str] | str, extra_rows: int = 2,
              valid_until: str | None = None, **fields: str) -> dict[str, str]:
    """A POST body for the prescription form with these medication rows."""
    day = valid_until or (timezone.localdate() + timedelta(days=30)).isoformat()
    data = {"valid_until": day, "instructions": "Take after meals", "appointment": ""}
    data.update(fields)
    full = [
        {"name": row, "dosage": "1 tablet", "frequency": "twice daily", "duration": "5 days"}
        if isinstance(row, str) else row
        for row in rows
    ]
    total = len(full) + extra_rows
    data.update({
        "medications-TOTAL_FORMS": str(total), "medications-INITIAL_FORMS": "0",
        "medications-MIN_NUM_FORMS": "0", "medications-MAX_NUM_FORMS": "20",
    })
    for index in range(total):
        row = full[index] if index < len(full) else {}
        for key in ("name", "dosage", "frequency", "duration", "instructions"):
            data[f"medications-{index}-{key}"] = row.get(key, "")
    return data
