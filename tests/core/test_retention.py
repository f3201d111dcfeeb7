"""Retention: records, payments and audit rows go only after their periods, in batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from apps.appointments.models import Appointment, AppointmentStatus
from apps.audit.models import PhiAccessLog
from apps.audit.verify import chain_verify
from apps.core import retention, tasks
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentMethod,
    PaymentStatus,
)
from apps.records.attachments import attachment_storage
from apps.records.models import MedicalRecord, RecordType
from tests import factories
from tests.audit.support import backdate, log_rows

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SEVEN_YEARS_AGO = retention.years_before(NOW, 7)
TEN_YEARS_AGO = retention.years_before(NOW, 10)


@pytest.fixture(autouse=True)
def _media(tmp_path: Path) -> Iterator[None]:
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "media")}},
        "records": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": str(tmp_path / "private")}},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


def _appointment() -> Appointment:
    return factories.AppointmentFactory.create(
        scheduled_at=NOW - timedelta(days=4000) - timedelta(hours=factories_counter()),
        status=AppointmentStatus.COMPLETED,
    )


_counter = iter(range(1, 100_000))


def factories_counter() -> int:
    return next(_counter)


def _record(record_date: datetime, *, files: int = 0) -> MedicalRecord:
    appointment = _appointment()
    keys = [
        attachment_storage().save(
            f"records/test-{factories_counter()}.pdf", ContentFile(b"%PDF-1.4")
        )
        for _ in range(files)
    ]
    record = MedicalRecord.objects.create(
        patient=appointment.patient, doctor=appointment.doctor, appointment=appointment,
        record_type=RecordType.LAB_RESULT, diagnosis="Test diagnosis", record_date=record_date,
        file_urls=keys or None,
    )
    record.notes = "Updated test notes"  # a second history row
    record.save()
    # Written then too: retention counts from the latest of date, creation and change.
    MedicalRecord.objects.filter(pk=record.pk).update(created_at=record_date,
                                                      updated_at=record_date)
    return record


def _payment(created_at: datetime, *, disputed: bool = False) -> Payment:
    appointment = _appointment()
    payment = Payment.objects.create(
        appointment=appointment, payer=appointment.patient, payee=appointment.doctor,
        amount=Decimal("1500.00"), payment_method=PaymentMethod.WALLET,
        status=PaymentStatus.COMPLETED, created_at=created_at,
    )
    Appointment.objects.filter(pk=appointment.pk).update(payment=payment)
    if disputed:
        dispute = PaymentDispute.objects.create(
            payment=payment, raised_by=appointment.patient, reason="Test reason",
            status=DisputeStatus.RESOLVED,
        )
        PaymentDisputeHistory.objects.create(
            dispute=dispute, from_status=DisputeStatus.PENDING, to_status=DisputeStatus.RESOLVED,
            changed_by=appointment.patient,
        )
    return payment


def _history_count(table: str, ids: list[int]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table} WHERE id = ANY(%s)", [ids])
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


# --- medical records ------------------------------------------------------------------------


def test_records_older_than_seven_years_go_with_history_and_files() -> None:
    old = _record(SEVEN_YEARS_AGO - timedelta(days=1), files=2)
    appointment_id = old.appointment_id
    assert appointment_id is not None
    young = _record(SEVEN_YEARS_AGO + timedelta(days=1), files=1)
    old_files = list(old.file_urls or [])
    assert _history_count("medical_records_history", [old.pk]) == 2

    deleted, files = retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=10)

    assert (deleted, files) == (1, 2)
    assert not MedicalRecord.objects.filter(pk=old.pk).exists()
    assert _history_count("medical_records_history", [old.pk]) == 0
    assert not any(attachment_storage().exists(key) for key in old_files)
    assert MedicalRecord.objects.filter(pk=young.pk).exists()
    assert _history_count("medical_records_history", [young.pk]) == 2
    assert attachment_storage().exists((young.file_urls or [])[0])
    # The patient, doctor and appointment stay: only the record's own rows go.
    assert Appointment.objects.filter(pk=appointment_id).exists()


def test_records_go_in_batches_and_a_rerun_is_a_no_op() -> None:
    old = [_record(SEVEN_YEARS_AGO - timedelta(days=30 + n)) for n in range(5)]

    assert retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=2) == (5, 0)
    assert not MedicalRecord.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=2) == (0, 0)


def test_an_interrupted_run_loses_no_half_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    old = [_record(SEVEN_YEARS_AGO - timedelta(days=30), files=1) for _ in range(4)]
    history = MedicalRecord.history.model
    real_filter = history.objects.filter
    calls = {"n": 0}

    def crash_on_second_batch(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("worker killed")
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(history.objects, "filter", crash_on_second_batch)
    with pytest.raises(RuntimeError):
        retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=2)

    kept = MedicalRecord.objects.filter(pk__in=[r.pk for r in old])
    assert sorted(kept.values_list("pk", flat=True)) == sorted(r.pk for r in old[2:])
    for record in old[2:]:  # the rolled-back batch keeps its files and history too
        assert attachment_storage().exists((record.file_urls or [])[0])
        assert _history_count("medical_records_history", [record.pk]) == 2

    monkeypatch.setattr(history.objects, "filter", real_filter)
    assert retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=2) == (2, 2)


# --- payments -------------------------------------------------------------------------------


def test_payments_older_than_ten_years_go_with_disputes_and_history() -> None:
    old = _payment(TEN_YEARS_AGO - timedelta(days=1), disputed=True)
    dispute = PaymentDispute.objects.get(payment=old)
    young = _payment(TEN_YEARS_AGO + timedelta(days=1), disputed=True)

    assert retention.payments_purge(older_than=TEN_YEARS_AGO, batch_size=10) == 1

    assert not Payment.objects.filter(pk=old.pk).exists()
    assert not PaymentDispute.objects.filter(pk=dispute.pk).exists()
    assert not PaymentDisputeHistory.objects.filter(dispute_id=dispute.pk).exists()
    assert _history_count("payments_history", [old.pk]) == 0
    assert _history_count("payment_disputes_history", [dispute.pk]) == 0
    appointment = Appointment.objects.get(pk=old.appointment_id)
    assert appointment.payment_id is None  # the appointment stays, unlinked

    assert Payment.objects.filter(pk=young.pk).exists()
    assert PaymentDispute.objects.filter(payment=young).exists()
    assert Appointment.objects.get(pk=young.appointment_id).payment_id == young.pk


def test_payments_go_in_batches_and_a_rerun_is_a_no_op() -> None:
    old = [_payment(TEN_YEARS_AGO - timedelta(days=n + 1), disputed=n % 2 == 0)
           for n in range(5)]

    assert retention.payments_purge(older_than=TEN_YEARS_AGO, batch_size=2) == 5
    assert not Payment.objects.filter(pk__in=[p.pk for p in old]).exists()
    assert retention.payments_purge(older_than=TEN_YEARS_AGO, batch_size=2) == 0


def test_a_nine_year_old_payment_of_an_erased_user_stays() -> None:
    payment = _payment(NOW - timedelta(days=9 * 365))

    assert retention.payments_purge(older_than=TEN_YEARS_AGO, batch_size=10) == 0
    assert Payment.objects.filter(pk=payment.pk).exists()


def test_a_record_written_today_with_an_old_date_is_kept() -> None:
    appointment = _appointment()
    transcribed = MedicalRecord.objects.create(
        patient=appointment.patient, doctor=appointment.doctor,
        record_type=RecordType.LAB_RESULT, record_date=SEVEN_YEARS_AGO - timedelta(days=400),
    )

    assert retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=10) == (0, 0)
    assert MedicalRecord.objects.filter(pk=transcribed.pk).exists()


def test_a_record_changed_recently_is_kept() -> None:
    record = _record(SEVEN_YEARS_AGO - timedelta(days=1))
    MedicalRecord.objects.filter(pk=record.pk).update(updated_at=timezone.now())

    assert retention.medical_records_purge(older_than=SEVEN_YEARS_AGO, batch_size=10) == (0, 0)


# --- the daily job --------------------------------------------------------------------------
# The audit step calls apps.audit.services.phi_access_logs_purge, which the audit app owns
# and tests (tests/audit/test_purge.py); one test here runs it for real through the job.


def test_the_job_purges_audit_rows_past_five_years_and_the_chain_still_verifies() -> None:
    rows = log_rows(4)
    backdate(6 * 365, count=2)

    run = retention.expired_data_purge(now=NOW)

    assert run.audit_logs == 2
    assert sorted(PhiAccessLog.objects.values_list("pk", flat=True)) == [
        rows[2].pk, rows[3].pk]
    assert chain_verify().intact
    assert retention.expired_data_purge(now=NOW).audit_logs == 0


def test_the_job_runs_every_step_with_the_configured_periods(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    record = _record(SEVEN_YEARS_AGO - timedelta(days=1))
    payment = _payment(TEN_YEARS_AGO - timedelta(days=1))
    audit_calls: list[dict[str, Any]] = []

    def fake_audit(**kwargs: Any) -> int:
        audit_calls.append(kwargs)
        return 3

    monkeypatch.setattr(retention, "audit_logs_purge", fake_audit)
    with caplog.at_level("INFO", logger="apps.core.retention"):
        run = retention.expired_data_purge(now=NOW)

    assert run == retention.RetentionRun(medical_records=1, files=0, payments=1, audit_logs=3)
    assert audit_calls == [{"older_than": retention.years_before(NOW, 5), "batch_size": 500}]
    assert not MedicalRecord.objects.filter(pk=record.pk).exists()
    assert not Payment.objects.filter(pk=payment.pk).exists()
    assert ("retention run medical_records=1 files=0 payments=1 audit_logs=3 failed=-"
            in caplog.text)


@override_settings(RETENTION_MEDICAL_RECORDS_YEARS=2, RETENTION_PAYMENTS_YEARS=3,
                   RETENTION_BATCH_SIZE=1)
def test_periods_come_from_settings_and_the_task_runs_the_job(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    record = _record(timezone.now() - timedelta(days=3 * 365))
    payment = _payment(timezone.now() - timedelta(days=4 * 365))
    monkeypatch.setattr(retention, "audit_logs_purge", lambda **kwargs: 0)

    result = tasks.purge_expired_data.delay().get()

    assert result == {"medical_records": 1, "files": 0, "payments": 1, "audit_logs": 0}
    assert not MedicalRecord.objects.filter(pk=record.pk).exists()
    assert not Payment.objects.filter(pk=payment.pk).exists()


def test_a_failing_step_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    payment = _payment(TEN_YEARS_AGO - timedelta(days=1))

    def broken(**kwargs: Any) -> tuple[int, int]:
        raise RuntimeError("storage down")

    monkeypatch.setattr(retention, "medical_records_purge", broken)
    monkeypatch.setattr(retention, "audit_logs_purge", lambda **kwargs: 0)
    with pytest.raises(retention.RetentionStepFailed) as failure:
        retention.expired_data_purge(now=NOW)

    assert failure.value.steps == ["medical_records"]
    assert not Payment.objects.filter(pk=payment.pk).exists()


def test_years_before_handles_the_leap_day() -> None:
    leap = datetime(2028, 2, 29, 12, 0, tzinfo=NOW.tzinfo)

    assert retention.years_before(leap, 7) == datetime(2021, 2, 28, 12, 0, tzinfo=NOW.tzinfo)


def test_the_beat_runs_retention_daily() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["core-purge-expired-data"]
    assert entry["task"] == "core.purge_expired_data"
    assert entry["schedule"] == 24 * 3600.0
