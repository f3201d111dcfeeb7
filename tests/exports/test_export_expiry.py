"""The beat job deletes archives past their expiry and gives up on abandoned exports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from apps.accounts.models import User
from apps.exports import services
from apps.exports.models import DataExport, ExportStatus
from apps.exports.tasks import expire_data_exports
from apps.records.attachments import attachment_storage

pytestmark = pytest.mark.django_db


def ready(user: User, *, expires_in: timedelta) -> DataExport:
    key = attachment_storage().save("exports/archive.zip", ContentFile(b"PK"))
    now = timezone.now()
    return DataExport.objects.create(user=user, status=ExportStatus.READY, progress=100,
                                     storage_key=key, finished_at=now,
                                     expires_at=now + expires_in)


def test_it_deletes_expired_archives_and_keeps_current_ones(
    patient: User, other_patient: User
) -> None:
    old = ready(patient, expires_in=-timedelta(minutes=1))
    current = ready(other_patient, expires_in=timedelta(days=1))
    old_key = old.storage_key

    result = expire_data_exports.delay().get()

    old.refresh_from_db()
    current.refresh_from_db()
    assert result == {"expired": 1, "stale": 0}
    assert (old.status, old.storage_key) == (ExportStatus.EXPIRED, None)
    assert old_key and not attachment_storage().exists(old_key)
    assert current.status == ExportStatus.READY
    assert current.storage_key and attachment_storage().exists(current.storage_key)


def test_a_rerun_is_harmless_even_when_the_file_is_already_gone(patient: User) -> None:
    export = ready(patient, expires_in=-timedelta(days=1))
    attachment_storage().delete(export.storage_key or "")

    first = services.data_exports_expire()
    second = services.data_exports_expire()

    export.refresh_from_db()
    assert export.status == ExportStatus.EXPIRED
    assert (first["expired"], second["expired"]) == (1, 0)


def test_it_works_through_more_than_one_batch(
    patient: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "EXPIRE_BATCH_SIZE", 2)
    for _ in range(5):
        ready(patient, expires_in=-timedelta(hours=1))

    assert services.data_exports_expire()["expired"] == 5
    assert not DataExport.objects.filter(status=ExportStatus.READY).exists()


def test_an_export_abandoned_by_its_worker_is_marked_failed(
    patient: User, other_patient: User
) -> None:
    stale = DataExport.objects.create(user=patient, status=ExportStatus.RUNNING)
    DataExport.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.DATA_EXPORT_STALE_HOURS + 1))
    recent = DataExport.objects.create(user=other_patient, status=ExportStatus.PENDING)

    assert services.data_exports_expire()["stale"] == 1

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert (stale.status, stale.failure_reason) == (ExportStatus.FAILED, "Stale")
    assert recent.status == ExportStatus.PENDING


def test_beat_runs_the_job_hourly() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["exports-expire-archives"]

    assert entry["task"] == expire_data_exports.name == "exports.expire_archives"
    assert entry["schedule"] == 3600.0
