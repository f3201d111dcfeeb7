"""Fixtures of the dispute tests: a facility with its staff, a doctor working there, a paid
consultation, private storage in a temporary directory, and sample files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import User
from apps.facilities.models import DoctorFacility, Facility
from apps.payments.models import Payment
from tests import factories


@pytest.fixture(autouse=True)
def payment_storage(settings: Any, tmp_path: Path) -> Path:
    """Receipts and evidence go to a private directory of this test, never var/."""
    root = tmp_path / "private-payments"
    settings.STORAGES = {
        **settings.STORAGES,
        "payments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": None},
        },
    }
    return root


@pytest.fixture
def facility(db: None) -> Facility:
    return factories.FacilityFactory()


@pytest.fixture
def staff(facility: Facility) -> User:
    return factories.StaffFactory(facility=facility)


@pytest.fixture
def other_staff(db: None) -> User:
    """Staff of another facility."""
    return factories.StaffFactory()


@pytest.fixture
def paid(patient: User, doctor: User, facility: Facility) -> Payment:
    """A completed payment for an in-person consultation at `facility`."""
    DoctorFacility.objects.create(doctor=doctor, facility=facility)
    appointment = factories.AppointmentFactory(
        patient=patient, doctor=doctor, facility=facility, consultation_type="IN_PERSON",
        status="COMPLETED",
    )
    return factories.PaidPaymentFactory(appointment=appointment)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
