"""Prescriptions for the signing, verification and PDF tests, made with the ORM."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from apps.accounts.models import User
from apps.prescriptions.models import Prescription, PrescriptionMedication

MEDICATIONS = (
    ("Amoxicillin", "500 mg", "three times a day", "7 days"),
    ("Paracetamol", "1 g", "every 6 hours as needed", "5 days"),
)


def make_prescription(*, doctor: User, patient: User, days_valid: int = 30,
                      medications: tuple[tuple[str, str, str, str], ...] = MEDICATIONS,
                      **fields: Any) -> Prescription:
    prescription = Prescription.objects.create(
        doctor=doctor, patient=patient,
        valid_until=timezone.now() + timedelta(days=days_valid),
        instructions=fields.pop("instructions", "Take with food."), **fields,
    )
    for name, dosage, frequency, duration in medications:
        PrescriptionMedication.objects.create(
            prescription=prescription, name=name, dosage=dosage, frequency=frequency,
            duration=duration, instructions="After meals",
        )
    return prescription


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
