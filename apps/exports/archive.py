"""The ZIP of everything HealthLink holds about one patient, written section by section.

Each section is a JSON list streamed row by row from a server-side cursor (BATCH_SIZE rows
at a time) into its ZIP entry, so a long history is never held in memory at once.
Attachments are copied from storage in chunks. Only rows that belong to the patient are
read: every query filters on their id.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any, TextIO
from urllib.parse import urlsplit
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from django.core.exceptions import SuspiciousFileOperation
from django.core.serializers.json import DjangoJSONEncoder

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.audit.models import PhiAccessLog
from apps.payments.models import Payment
from apps.prescriptions.models import Prescription
from apps.records.attachments import attachment_storage
from apps.records.models import FamilyMedicalHistory, MedicalRecord

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
COPY_CHUNK = 1024 * 1024
MISSING_FILE_NOTE = "The file could not be found in storage when this archive was made."

# A payment's receipt or dispute evidence given as a link to elsewhere is listed, not fetched.
EXTERNAL_SCHEMES = frozenset({"http", "https"})

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ArchiveStats:
    counts: dict[str, int] = field(default_factory=dict)
    attachments: int = 0
    missing_attachments: int = 0


class DatedZipFile(ZipFile):
    """A ZipFile whose every new entry carries one date: the archive's build time, in UTC.

    Entries opened by name would otherwise be dated 1980-01-01, and `writestr` would use
    the server's local clock.
    """

    def __init__(self, *args: Any, built_at: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entry_date_time = built_at.astimezone(UTC).timetuple()[:6]

    def _entry(self, name: str) -> ZipInfo:
        info = ZipInfo(name, date_time=self.entry_date_time)
        info.compress_type = self.compression
        info._compresslevel = self.compresslevel  # type: ignore[attr-defined]  # as ZipFile.open
        info.external_attr = 0o600 << 16  # private: rw for the owner only
        return info

    def open(self, name: str | ZipInfo, mode: Any = "r", pwd: bytes | None = None, *,
             force_zip64: bool = False) -> IO[bytes]:
        if mode == "w" and isinstance(name, str):
            name = self._entry(name)
        return super().open(name, mode, pwd, force_zip64=force_zip64)

    def writestr(self, zinfo_or_arcname: str | ZipInfo, data: Any,
                 compress_type: int | None = None, compresslevel: int | None = None) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = self._entry(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)


def _person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.name, "role": user.role}


def _write_json(archive: ZipFile, name: str, value: Any) -> None:
    with archive.open(name, "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        json.dump(value, out, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        out.write("\n")
        out.flush()
        out.detach()


def _dump_json_list(out: TextIO, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(row, cls=DjangoJSONEncoder, ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _write_json_list(archive: ZipFile, name: str, rows: Iterable[dict[str, Any]]) -> int:
    """Write `rows` as one JSON list, one row at a time; returns how many there were."""
    with archive.open(name, "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
        count = _dump_json_list(out, rows)
        out.flush()
        out.detach()
    return count


def _write_json_list_spooled(
    archive: ZipFile, name: str, rows: Iterable[dict[str, Any]]
) -> int:
    """As _write_json_list, for rows that write other entries into the archive themselves.

    A ZIP takes one entry at a time, so the list goes to a temporary file first (disk, not
    memory) and is copied in once the rows are done.
    """
    with tempfile.TemporaryFile() as spool:
        out = io.TextIOWrapper(spool, encoding="utf-8", newline="\n")
        count = _dump_json_list(out, rows)
        out.flush()
        out.detach()
        spool.seek(0)
        with archive.open(name, "w", force_zip64=True) as target:
            shutil.copyfileobj(spool, target, COPY_CHUNK)
    return count


# --- Sections ----------------------------------------------------------------------------

PROFILE_FIELDS = (
    "email", "name", "role", "phone", "cnic", "address", "date_of_birth", "gender",
    "blood_type", "allergies", "emergency_contact", "time_zone", "is_verified", "created_at",
    "updated_at",
)
_PERSON = ("id", "name", "role")


def _profile(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    fresh = User.objects.get(pk=user.pk)
    profile = {"id": fresh.pk, **{name: getattr(fresh, name) for name in PROFILE_FIELDS}}
    _write_json(archive, "profile.json", profile)
    stats.counts["profile"] = 1


def _appointment_rows(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        Appointment.objects.filter(patient_id=user.pk)
        .select_related("doctor", "facility")
        .only(
            "id", "scheduled_at", "duration_minutes", "status", "consultation_type",
            "chief_complaint", "cancellation_reason", "cancelled_by_id", "created_at",
            "patient_id", "doctor_id", *(f"doctor__{name}" for name in (*_PERSON, "specialty")),
            "facility__id", "facility__name", "facility__address", "facility__city",
        )
        .order_by("scheduled_at", "pk")
    )
    for appointment in rows.iterator(chunk_size=BATCH_SIZE):
        facility = appointment.facility
        if appointment.cancelled_by_id is None:
            cancelled_by = None
        elif appointment.cancelled_by_id == appointment.patient_id:
            cancelled_by = "patient"
        elif appointment.cancelled_by_id == appointment.doctor_id:
            cancelled_by = "doctor"
        else:
            cancelled_by = "clinic"
        yield {
            "id": appointment.pk,
            "scheduled_at": appointment.scheduled_at,
            "duration_minutes": appointment.duration_minutes,
            "status": appointment.status,
            "consultation_type": appointment.consultation_type,
            "doctor": {**(_person(appointment.doctor) or {}),
                       "specialty": appointment.doctor.specialty},
            "facility": None if facility is None else {
                "id": facility.pk, "name": facility.name, "address": facility.address,
                "city": facility.city,
            },
            "chief_complaint": appointment.chief_complaint,
            "cancellation_reason": appointment.cancellation_reason,
            "cancelled_by": cancelled_by,
            "created_at": appointment.created_at,
        }


def _appointments(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    stats.counts["appointments"] = _write_json_list(
        archive, "appointments.json", _appointment_rows(user)
    )


def _safe_file_name(key: str) -> str:
    base = key.rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("_", base).strip("._")[-100:] or "file"


def _copy_attachment(archive: ZipFile, key: str, path: str) -> bool:
    """Copy one stored file into the archive; False if it is not (or no longer) there."""
    try:
        source: IO[bytes] = attachment_storage().open(key, "rb")
    except (FileNotFoundError, SuspiciousFileOperation):
        return False
    with source, archive.open(path, "w", force_zip64=True) as target:
        shutil.copyfileobj(source, target, COPY_CHUNK)
    return True


def _record_rows(
    archive: ZipFile, user: User, stats: ArchiveStats
) -> Iterator[dict[str, Any]]:
    rows = (
        MedicalRecord.objects.filter(patient_id=user.pk)
        .select_related("doctor")
        .only(
            "id", "record_type", "record_date", "appointment_id", "diagnosis", "treatment",
            "notes", "file_urls", "created_at", "updated_at", "patient_id",
            *(f"doctor__{name}" for name in _PERSON),
        )
        .order_by("record_date", "pk")
    )
    for record in rows.iterator(chunk_size=BATCH_SIZE):
        attachments: list[dict[str, str | None]] = []
        for position, key in enumerate(record.file_urls or [], start=1):
            path = f"attachments/record-{record.pk}/{position}-{_safe_file_name(key)}"
            stats.attachments += 1
            if _copy_attachment(archive, key, path):
                attachments.append({"file": path})
            else:
                stats.missing_attachments += 1
                logger.warning("export: attachment %s of record %s missing", position,
                               record.pk)
                attachments.append({"file": None, "note": MISSING_FILE_NOTE})
        yield {
            "id": record.pk,
            "record_type": record.record_type,
            "record_date": record.record_date,
            "doctor": _person(record.doctor),
            "appointment_id": record.appointment_id,
            "diagnosis": record.diagnosis,
            "treatment": record.treatment,
            "notes": record.notes,
            "attachments": attachments,
            "created_at": record.created_at,
            "updated_at": record.updated_at,
        }


def _records(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    # The attachments are written into the archive while the list of records streams.
    stats.counts["medical_records"] = _write_json_list_spooled(
        archive, "medical_records.json", _record_rows(archive, user, stats)
    )


def _prescription_rows(user: User) -> Iterator[dict[str, Any]]:
    rows = (
        Prescription.objects.filter(patient_id=user.pk)
        .select_related("doctor")
        .only(
            "id", "appointment_id", "instructions", "valid_until", "e_sign_status",
            "created_at", "updated_at", "patient_id", *(f"doctor__{name}" for name in _PERSON),
        )
        .prefetch_related("medications", "warnings")
        .order_by("created_at", "pk")
    )
    for prescription in rows.iterator(chunk_size=BATCH_SIZE):
        yield {
            "id": prescription.pk,
            "doctor": _person(prescription.doctor),
            "appointment_id": prescription.appointment_id,
            "instructions": prescription.instructions,
            "valid_until": prescription.valid_until,
            "signature_status": prescription.e_sign_status,
            "medications": [
                {"name": medication.name, "dosage": medication.dosage,
                 "frequency": medication.frequency, "duration": medication.duration,
                 "instructions": medication.instructions}
                for medication in sorted(prescription.medications.all(), key=lambda m: m.pk)
            ],
            "warnings": [
                {"type": warning.warning_type, "severity": warning.severity,
                 "message": warning.message, "drug_a": warning.drug_a,
                 "drug_b": warning.drug_b}
                for warning in sorted(prescription.warnings.all(), key=lambda w: w.pk)
            ],
            "created_at": prescription.created_at,
            "updated_at": prescription.updated_at,
        }


def _prescriptions(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    stats.counts["prescriptions"] = _write_json_list(
        archive, "prescriptions.json", _prescription_rows(user)
    )


def _stored_file(
    archive: ZipFile, stats: ArchiveStats, value: str, path_prefix: str, what: str
) -> dict[str, str | None]:
    """One upload named in a payment row: an external URL is listed as it is; a storage key
    is copied from the private storage into the archive (`path_prefix` + its file name), or
    noted as missing."""
    if urlsplit(value).scheme.lower() in EXTERNAL_SCHEMES:
        return {"url": value}
    path = f"{path_prefix}{_safe_file_name(value)}"
    stats.attachments += 1
    if _copy_attachment(archive, value, path):
        return {"file": path}
    stats.missing_attachments += 1
    logger.warning("export: %s missing", what)
    return {"file": None, "note": MISSING_FILE_NOTE}


def _payment_rows(
    archive: ZipFile, user: User, stats: ArchiveStats
) -> Iterator[dict[str, Any]]:
    rows = (
        Payment.objects.filter(payer_id=user.pk)
        .select_related("payee", "dispute")
        .only(
            "id", "appointment_id", "amount", "currency", "payment_method", "transaction_id",
            "status", "failure_reason", "refund_amount", "receipt_image_url", "created_at",
            "updated_at", "payer_id", *(f"payee__{name}" for name in _PERSON),
            "dispute__id", "dispute__reason", "dispute__status", "dispute__resolution",
            "dispute__evidence_urls", "dispute__created_at", "dispute__resolved_at",
            "dispute__payment_id",
        )
        .order_by("created_at", "pk")
    )
    for payment in rows.iterator(chunk_size=BATCH_SIZE):
        dispute = getattr(payment, "dispute", None)
        folder = f"payments/payment-{payment.pk}/"
        receipt = None
        if payment.receipt_image_url:
            receipt = _stored_file(archive, stats, payment.receipt_image_url,
                                   f"{folder}receipt-", f"receipt of payment {payment.pk}")
        evidence = [] if dispute is None else [
            _stored_file(archive, stats, value, f"{folder}dispute-evidence/{position}-",
                         f"dispute evidence {position} of payment {payment.pk}")
            for position, value in enumerate(dispute.evidence_urls or [], start=1)
            if value
        ]
        yield {
            "id": payment.pk,
            "appointment_id": payment.appointment_id,
            "paid_to": _person(payment.payee),
            "amount": payment.amount,
            "currency": payment.currency,
            "payment_method": payment.payment_method,
            "transaction_id": payment.transaction_id,
            "status": payment.status,
            "failure_reason": payment.failure_reason,
            "refund_amount": payment.refund_amount,
            "receipt": receipt,
            "dispute": None if dispute is None else {
                "reason": dispute.reason, "status": dispute.status,
                "resolution": dispute.resolution, "evidence": evidence,
                "created_at": dispute.created_at, "resolved_at": dispute.resolved_at,
            },
            "created_at": payment.created_at,
            "updated_at": payment.updated_at,
        }


def _payments(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    # Receipts and dispute evidence are written into the archive while the list streams.
    stats.counts["payments"] = _write_json_list_spooled(
        archive, "payments.json", _payment_rows(archive, user, stats)
    )


def _family_rows(user: User) -> Iterator[dict[str, Any]]:
    rows = FamilyMedicalHistory.objects.filter(patient_id=user.pk).order_by("created_at", "pk")
    for member in rows.iterator(chunk_size=BATCH_SIZE):
        yield {
            "id": member.pk,
            "relation": member.relation,
            "name": member.relation_name,
            "age": member.age,
            "is_deceased": member.is_deceased,
            "conditions": member.conditions or [],
            "chronic_diseases": member.chronic_diseases or [],
            "genetic_conditions": member.genetic_conditions or [],
            "notes": member.notes,
            "created_at": member.created_at,
        }


def _family(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    stats.counts["family_history"] = _write_json_list(
        archive, "family_history.json", _family_rows(user)
    )


def _access_rows(user: User) -> Iterator[dict[str, Any]]:
    # Other people's IP addresses and browsers stay out: they are the actors' data, not the
    # patient's. Who, when, what and why is what the patient's own page shows too.
    rows = (
        PhiAccessLog.objects.filter(patient_id=user.pk)
        .select_related("actor")
        .only(
            "id", "created_at", "action", "resource_type", "resource_id", "reason", "refused",
            "break_glass", "patient_id", *(f"actor__{name}" for name in _PERSON),
        )
        .order_by("created_at", "pk")
    )
    for entry in rows.iterator(chunk_size=BATCH_SIZE):
        yield {
            "at": entry.created_at,
            "who": _person(entry.actor),
            "action": entry.action,
            "resource_type": entry.resource_type,
            "resource_id": entry.resource_id,
            "reason": entry.reason,
            "refused": entry.refused,
            "break_glass": entry.break_glass,
        }


def _access_log(archive: ZipFile, user: User, stats: ArchiveStats) -> None:
    stats.counts["access_log"] = _write_json_list(archive, "access_log.json", _access_rows(user))


Section = Callable[[ZipFile, User, ArchiveStats], None]
SECTIONS: tuple[tuple[str, Section], ...] = (
    ("profile", _profile),
    ("appointments", _appointments),
    ("medical_records", _records),
    ("prescriptions", _prescriptions),
    ("payments", _payments),
    ("family_history", _family),
    ("access_log", _access_log),
)

README = """HealthLink data export
======================

This archive holds everything HealthLink keeps about you, as of {generated_at} (UTC).
Times are in UTC (ISO 8601). Amounts are in the currency named next to them.

profile.json          your account and profile, with the protected details decrypted
appointments.json     your appointments ({appointments})
medical_records.json  your medical records ({medical_records}); attachments/ holds their files
prescriptions.json    your prescriptions ({prescriptions}) with medications and warnings
payments.json         the payments you made ({payments}) and any dispute about them;
                      payments/ holds their receipts and dispute evidence
family_history.json   the relatives in your family medical history ({family_history})
access_log.json       every access to your protected health information ({access_log}):
                      who, when, what and why, including refused attempts

Attachments: {attachments} listed, {missing} missing from storage when the archive was made
(a missing file is listed with a note instead of a file name). They count record files,
payment receipts and dispute evidence; a receipt or evidence kept elsewhere is listed by
its link.

Keep this file safe: it contains your health information.
"""


def archive_write(
    *, user: User, target: IO[bytes], generated_at: datetime,
    on_section_done: Callable[[int, int], None] | None = None,
) -> ArchiveStats:
    """Write the patient's archive into `target`; `on_section_done(done, total)` after each."""
    stats = ArchiveStats()
    with DatedZipFile(target, "w", compression=ZIP_DEFLATED, built_at=generated_at) as archive:
        for done, (name, write) in enumerate(SECTIONS, start=1):
            write(archive, user, stats)
            logger.info("export section done user=%s section=%s", user.pk, name)
            if on_section_done is not None:
                on_section_done(done, len(SECTIONS))
        archive.writestr("README.txt", README.format(
            generated_at=generated_at.isoformat(timespec="seconds"),
            attachments=stats.attachments, missing=stats.missing_attachments,
            **stats.counts,
        ))
    return stats
