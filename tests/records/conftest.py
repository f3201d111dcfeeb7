from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.records.models import MedicalRecord, RecordType
from tests import factories


@pytest.fixture(autouse=True)
def _own_cache_namespace() -> Iterator[None]:
    """Whatever the pages cache, a fresh key prefix per test (not cache.clear(), which would
    empty a broker another test process shares). The break-glass limit counts database
    rows (BreakGlassLookup), not cache keys."""
    caches: dict[str, Any] = {
        alias: {**config, "KEY_PREFIX": f"test-records-{uuid.uuid4().hex}"}
        for alias, config in django_settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield


@pytest.fixture(autouse=True)
def record_storage(settings: Any, tmp_path: Path) -> Path:
    """Attachments go to a private directory of this test, never var/."""
    root = tmp_path / "private-records"
    settings.STORAGES = {
        **settings.STORAGES,
        "records": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": root, "base_url": None},
        },
    }
    return root


@pytest.fixture
def visit(patient: User, doctor: User) -> Appointment:
    """The appointment that makes `doctor` the treating doctor of `patient`."""
    return factories.AppointmentFactory(
        patient=patient, doctor=doctor, status=AppointmentStatus.COMPLETED,
        scheduled_at=timezone.now() - timedelta(days=2),
    )


@pytest.fixture
def record(patient: User, doctor: User, visit: Appointment) -> MedicalRecord:
    return MedicalRecord.objects.create(
        patient=patient, doctor=doctor, appointment=visit, record_type=RecordType.LAB_RESULT,
        record_date=timezone.now() - timedelta(days=1),
        diagnosis="Iron deficiency anaemia", treatment="Ferrous sulfate 200 mg",
        notes="Recheck haemoglobin in 6 weeks",
    )
