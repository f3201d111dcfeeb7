"""Building the archive: every section, only the patient's own data, progress, failures."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.exports import archive, services
from apps.exports.models import DataExport, ExportStatus
from apps.exports.tasks import build_data_export
from apps.notifications.models import Notification, NotificationEvent
from apps.payments.models import Payment, PaymentDispute
from apps.records.attachments import attachment_storage
from tests import factories
from tests.exports.data import PDF, PatientData, patient_with_everything

pytestmark = pytest.mark.django_db

SECTIONS = {
    "README.txt", "profile.json", "appointments.json", "medical_records.json",
    "prescriptions.json", "payments.json", "family_history.json", "access_log.json",
}


@pytest.fixture
def mine() -> PatientData:
    return patient_with_everything("MINE-7f3a")


@pytest.fixture
def theirs() -> PatientData:
    return patient_with_everything("THEIRS-c91d")


Ask = Callable[[User], DataExport]


@pytest.fixture
def request_export(django_capture_on_commit_callbacks: Any) -> Ask:
    """Ask for an export and run its on_commit work (the eager build) as a commit would."""

    def ask(patient: User) -> DataExport:
        with django_capture_on_commit_callbacks(execute=True):
            export = services.data_export_request(actor=patient)
        export.refresh_from_db()
        return export

    return ask


def open_archive(export: DataExport) -> zipfile.ZipFile:
    assert export.storage_key
    return zipfile.ZipFile(attachment_storage().open(export.storage_key, "rb"))


def load(zf: zipfile.ZipFile, name: str) -> Any:
    return json.loads(zf.read(name).decode("utf-8"))


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_the_archive_holds_every_section_of_the_patients_own_data(
    mine: PatientData, theirs: PatientData, request_export: Ask
) -> None:
    export = request_export(mine.patient)  # built eagerly on commit

    assert export.status == ExportStatus.READY
    with open_archive(export) as zf:
        names = set(zf.namelist())
        assert names >= SECTIONS
        profile = load(zf, "profile.json")
        appointments = load(zf, "appointments.json")
        records = load(zf, "medical_records.json")
        prescriptions = load(zf, "prescriptions.json")
        payments = load(zf, "payments.json")
        family = load(zf, "family_history.json")
        access = load(zf, "access_log.json")
        attachment_path = records[0]["attachments"][0]["file"]
        attachment = zf.read(attachment_path)
        readme = zf.read("README.txt").decode()
        everything = b"".join(zf.read(name) for name in names)

    # Profile: the patient's own PHI, decrypted.
    assert profile["id"] == mine.patient.pk
    assert profile["phone"] == "+923001234567"
    assert profile["allergies"] == "Penicillin MINE-7f3a"
    assert profile["emergency_contact"] == "Brother MINE-7f3a"
    assert "password" not in profile and "cnic_blind_index" not in profile
    assert [a["id"] for a in appointments] == [mine.appointment.pk]
    assert appointments[0]["doctor"]["name"] == "Dr MINE-7f3a"
    assert appointments[0]["chief_complaint"] == "Cough MINE-7f3a"
    # Records, decrypted, with the attachment's bytes; the missing file is noted.
    assert [r["id"] for r in records] == [mine.record.pk]
    assert records[0]["diagnosis"] == "Bronchitis MINE-7f3a"
    assert records[0]["treatment"] == "Rest MINE-7f3a"
    assert attachment_path == f"attachments/record-{mine.record.pk}/1-scan.pdf"
    assert attachment == PDF
    assert records[0]["attachments"][1] == {"file": None, "note": archive.MISSING_FILE_NOTE}
    assert "Attachments: 2 listed, 1 missing" in readme
    assert [p["id"] for p in prescriptions] == [mine.prescription.pk]
    assert prescriptions[0]["medications"][0]["name"] == "Amoxicillin MINE-7f3a"
    assert prescriptions[0]["warnings"][0]["message"] == "Penicillin allergy MINE-7f3a"
    assert [p["id"] for p in payments] == [mine.payment.pk]
    assert payments[0]["amount"] == "2500.00"
    assert payments[0]["dispute"]["reason"] == "Charged twice MINE-7f3a"
    assert [f["name"] for f in family] == ["Ammi MINE-7f3a"]
    assert family[0]["conditions"] == ["Diabetes MINE-7f3a"]
    assert [(a["who"]["id"], a["action"], a["reason"]) for a in access] == [
        (mine.doctor.pk, "VIEW", "consultation MINE-7f3a")]
    assert "ip_address" not in access[0]
    # Nothing of the other patient, anywhere in the archive.
    assert b"THEIRS-c91d" not in everything
    assert b"MINE-7f3a" in everything


def test_payment_receipts_and_dispute_evidence_are_in_the_archive(
    mine: PatientData, theirs: PatientData, request_export: Ask
) -> None:
    storage = attachment_storage()
    receipt = storage.save("payments/MINE-7f3a/receipt.png", ContentFile(b"receipt bytes"))
    evidence = storage.save("disputes/MINE-7f3a/bank.pdf", ContentFile(PDF))
    link = "https://bank.example/statements/MINE-7f3a"
    Payment.objects.filter(pk=mine.payment.pk).update(receipt_image_url=receipt)
    PaymentDispute.objects.filter(payment=mine.payment).update(
        evidence_urls=[evidence, "disputes/MINE-7f3a/gone.jpg", link])
    their_receipt = storage.save("payments/THEIRS/r.png", ContentFile(b"THEIRS-c91d"))
    Payment.objects.filter(pk=theirs.payment.pk).update(receipt_image_url=their_receipt)

    export = request_export(mine.patient)

    folder = f"payments/payment-{mine.payment.pk}/"
    with open_archive(export) as zf:
        payments = load(zf, "payments.json")
        assert zf.read(f"{folder}receipt-receipt.png") == b"receipt bytes"
        assert zf.read(f"{folder}dispute-evidence/1-bank.pdf") == PDF
        readme = zf.read("README.txt").decode()
        everything = b"".join(zf.read(name) for name in zf.namelist())
    assert payments[0]["receipt"] == {"file": f"{folder}receipt-receipt.png"}
    assert payments[0]["dispute"]["evidence"] == [
        {"file": f"{folder}dispute-evidence/1-bank.pdf"},
        {"file": None, "note": archive.MISSING_FILE_NOTE},
        {"url": link},
    ]
    assert "Attachments: 5 listed, 2 missing" in readme  # the record's 2 and these 3
    assert b"THEIRS-c91d" not in everything


def test_every_entry_is_dated_the_archives_build_time_in_utc(mine: PatientData) -> None:
    built_at = datetime(2026, 3, 4, 10, 6, 8, tzinfo=ZoneInfo("Asia/Karachi"))  # 05:06:08 UTC
    buffer = io.BytesIO()

    archive.archive_write(user=mine.patient, target=buffer, generated_at=built_at)

    with zipfile.ZipFile(buffer) as zf:
        infos = zf.infolist()
        names = {info.filename for info in infos}
        assert names >= SECTIONS and any(name.startswith("attachments/") for name in names)
        assert {info.date_time for info in infos} == {(2026, 3, 4, 5, 6, 8)}
        assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
        assert zf.testzip() is None


def test_the_archive_is_stored_under_a_random_key_without_user_text(
    mine: PatientData, request_export: Ask
) -> None:
    export = request_export(mine.patient)

    assert export.storage_key is not None
    assert re.fullmatch(r"exports/[0-9a-f]{32}\.zip", export.storage_key)
    assert export.size_bytes == attachment_storage().size(export.storage_key)
    assert export.expires_at is not None and export.finished_at is not None
    assert (export.expires_at - export.finished_at).days == 7


def test_sections_stream_in_batches_and_keep_their_order(
    monkeypatch: pytest.MonkeyPatch, request_export: Ask
) -> None:
    monkeypatch.setattr(archive, "BATCH_SIZE", 2)
    patient = factories.PatientFactory.create()
    # Past visits at one time (a patient's SCHEDULED ones never overlap): the id breaks ties.
    appointments = [
        factories.AppointmentFactory.create(patient=patient, status=AppointmentStatus.COMPLETED)
        for _ in range(5)
    ]

    export = request_export(patient)

    with open_archive(export) as zf:
        listed = load(zf, "appointments.json")
    expected = sorted(appointments, key=lambda a: (a.scheduled_at, a.pk))
    assert [a["id"] for a in listed] == [a.pk for a in expected]


def test_progress_rises_section_by_section_and_ends_at_100(
    monkeypatch: pytest.MonkeyPatch, mine: PatientData, request_export: Ask
) -> None:
    seen: list[tuple[str, int]] = []
    set_progress = services._set_progress

    def watching(export_id: int, progress: int) -> None:
        set_progress(export_id, progress)
        row = DataExport.objects.get(pk=export_id)
        seen.append((row.status, row.progress))

    monkeypatch.setattr(services, "_set_progress", watching)

    export = request_export(mine.patient)

    assert [status for status, _ in seen] == [ExportStatus.RUNNING] * len(archive.SECTIONS)
    values = [progress for _, progress in seen]
    assert values == sorted(set(values)) and values[0] > 0 and values[-1] == 95
    assert (export.status, export.progress) == (ExportStatus.READY, 100)


def test_ready_notification_is_written_once_and_a_rerun_changes_nothing(
    mine: PatientData, request_export: Ask
) -> None:
    export = request_export(mine.patient)

    again = build_data_export.delay(export.pk).get()

    assert again == ExportStatus.READY
    rerun = DataExport.objects.get(pk=export.pk)
    assert (rerun.storage_key, rerun.finished_at) == (export.storage_key, export.finished_at)
    notification = Notification.objects.get(user=mine.patient)
    assert notification.event == NotificationEvent.DATA_EXPORT_READY
    assert notification.action_url == "/privacy/export/"


def test_one_export_at_a_time(
    monkeypatch: pytest.MonkeyPatch, mine: PatientData, request_export: Ask
) -> None:
    monkeypatch.setattr(services, "_queue_build", lambda export_id: None)  # stays PENDING
    request_export(mine.patient)

    with pytest.raises(services.ExportError, match="already being prepared"):
        request_export(mine.patient)

    assert DataExport.objects.filter(user=mine.patient).count() == 1


def test_a_new_archive_replaces_the_previous_one(
    mine: PatientData, request_export: Ask
) -> None:
    first = request_export(mine.patient)
    first_key = first.storage_key

    second = request_export(mine.patient)

    first.refresh_from_db()
    second.refresh_from_db()
    assert second.status == ExportStatus.READY
    assert (first.status, first.storage_key) == (ExportStatus.EXPIRED, None)
    assert first_key and not attachment_storage().exists(first_key)


def test_a_failing_build_is_retried_then_marked_failed_leaving_nothing(
    monkeypatch: pytest.MonkeyPatch, mine: PatientData, export_storage: Path,
    request_export: Ask,
) -> None:
    attempts = []
    before = stored_files(export_storage)

    def broken(zf: zipfile.ZipFile, user: Any, stats: Any) -> None:
        attempts.append(1)
        zf.writestr("partial.json", "[")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(archive, "SECTIONS", (*archive.SECTIONS[:2], ("broken", broken)))

    export = request_export(mine.patient)

    assert len(attempts) == build_data_export.max_retries + 1
    assert export.status == ExportStatus.FAILED
    assert export.failure_reason == "RuntimeError"
    assert export.storage_key is None
    assert stored_files(export_storage) == before  # no archive, partial or whole
    assert not Notification.objects.filter(event=NotificationEvent.DATA_EXPORT_READY).exists()
    # A failed export does not block a new request.
    monkeypatch.setattr(archive, "SECTIONS", archive.SECTIONS[:2])
    assert request_export(mine.patient).pk != export.pk


def test_an_archive_stored_before_a_failure_is_deleted(
    monkeypatch: pytest.MonkeyPatch, mine: PatientData, export_storage: Path,
    request_export: Ask,
) -> None:
    before = stored_files(export_storage)

    def finish_fails(export_id: int, *, key: str, size: int) -> DataExport:
        assert attachment_storage().exists(key)
        raise ConnectionError("database went away")

    monkeypatch.setattr(services, "_finish", finish_fails)

    export = request_export(mine.patient)

    assert (export.status, export.storage_key) == (ExportStatus.FAILED, None)
    assert stored_files(export_storage) == before


def test_a_broker_outage_fails_the_export_at_once(
    monkeypatch: pytest.MonkeyPatch, mine: PatientData, request_export: Ask
) -> None:
    def no_broker(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(build_data_export, "delay", no_broker)

    export = request_export(mine.patient)

    assert (export.status, export.failure_reason) == (ExportStatus.FAILED, "QueueUnavailable")


@pytest.mark.parametrize("role_factory", [factories.DoctorFactory, factories.StaffFactory])
def test_only_patients_may_ask(role_factory: type[factories.UserFactory]) -> None:
    with pytest.raises(DataExport.DoesNotExist):
        services.data_export_request(actor=role_factory.create())
