"""Delete data whose legal retention period is over: records, payments, audit rows.

Periods come from settings (RETENTION_*_YEARS; 7, 10 and 5 years by default) and count
from the latest of a record's date, creation and last change (a history transcribed today
with an old date is kept seven years from today), the payment's creation and the log row's
creation. Each step works
in batches of RETENTION_BATCH_SIZE rows, one transaction per batch, oldest ids first, and
checks the age again under the row lock; so a run is safe to interrupt (a batch is done or
not) and to repeat (what is gone is not selected again). Logs say counts, never content.

History rows (django-simple-history) hold the same content as the row, so they go with it;
the deletion itself would add a "-" history row, which is removed in the same transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.appointments.models import Appointment
from apps.audit.services import phi_access_logs_purge
from apps.payments.models import Payment, PaymentDispute, PaymentDisputeHistory, Refund
from apps.records.attachments import attachment_storage
from apps.records.models import MedicalRecord

logger = logging.getLogger(__name__)


def years_before(moment: datetime, years: int) -> datetime:
    """The same wall-clock moment `years` calendar years earlier (29 February → 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


@dataclass(frozen=True)
class RetentionRun:
    medical_records: int
    files: int
    payments: int
    audit_logs: int


def _in_batches(
    *, ids_older: Callable[[int, int], list[int]], purge: Callable[[list[int]], int],
    batch_size: int, after_commit: Callable[[], None] | None = None,
) -> int:
    """Select `batch_size` ids after the last one, purge them in one transaction, repeat.

    `after_commit` runs once each batch's transaction has committed.
    """
    total, last_id = 0, 0
    while True:
        ids = ids_older(last_id, batch_size)
        if not ids:
            return total
        with transaction.atomic():
            total += purge(ids)
        if after_commit is not None:
            after_commit()
        last_id = ids[-1]


# --- Medical records ----------------------------------------------------------------------


def medical_records_purge(*, older_than: datetime, batch_size: int) -> tuple[int, int]:
    """Delete records dated, made and last changed before `older_than`, with their history
    rows and attachment files.

    Returns (records deleted, files deleted). Files go after the batch commits: a batch
    that rolls back must not have lost its files. A file that fails to delete is logged
    by record id and left behind for a person to look at.
    """
    history = MedicalRecord.history.model
    files_deleted = 0
    pending: list[tuple[int, str]] = []

    expired = (
        Q(record_date__lt=older_than) & Q(created_at__lt=older_than)
        & (Q(updated_at__lt=older_than) | Q(updated_at__isnull=True))
    )

    def ids_older(last_id: int, limit: int) -> list[int]:
        return list(
            MedicalRecord.objects.filter(expired, pk__gt=last_id)
            .order_by("pk").values_list("pk", flat=True)[:limit]
        )

    def purge(ids: list[int]) -> int:
        rows = list(
            MedicalRecord.objects.select_for_update()
            .filter(expired, pk__in=ids)
            .values_list("pk", "file_urls")
        )
        locked = [pk for pk, _files in rows]
        MedicalRecord.objects.filter(pk__in=locked).delete()
        history.objects.filter(id__in=locked).delete()
        pending[:] = [(pk, key) for pk, files in rows for key in (files or []) if key]
        return len(locked)

    def delete_files() -> None:
        nonlocal files_deleted
        keys, pending[:] = list(pending), []
        for record_id, key in keys:
            try:
                attachment_storage().delete(key)
            except Exception:
                logger.exception("retention: attachment not deleted record=%s", record_id)
            else:
                files_deleted += 1

    deleted = _in_batches(ids_older=ids_older, purge=purge, batch_size=batch_size,
                          after_commit=delete_files)
    return deleted, files_deleted


# --- Payments -------------------------------------------------------------------------------


def payments_purge(*, older_than: datetime, batch_size: int) -> int:
    """Delete payments created before `older_than` with their disputes, refunds and history
    rows, and then their receipt and evidence files.

    Appointments keep their row: their `payment_id` is set to NULL (the column's own
    ON DELETE rule in the model), in the same transaction as the delete.
    """
    payment_history = Payment.history.model
    dispute_history = PaymentDispute.history.model
    pending: list[tuple[int, str]] = []

    def ids_older(last_id: int, limit: int) -> list[int]:
        return list(
            Payment.objects.filter(created_at__lt=older_than, pk__gt=last_id)
            .order_by("pk").values_list("pk", flat=True)[:limit]
        )

    def purge(ids: list[int]) -> int:
        locked = list(
            Payment.objects.select_for_update()
            .filter(pk__in=ids, created_at__lt=older_than)
            .values_list("pk", flat=True)
        )
        Appointment.objects.filter(payment_id__in=locked).update(payment=None)
        dispute_rows = list(
            PaymentDispute.objects.filter(payment_id__in=locked)
            .values_list("pk", "payment_id", "evidence_urls")
        )
        # Refunds go with their payment; wallet lines stay, unlinked (SET_NULL).
        Refund.objects.filter(payment_id__in=locked).delete()
        disputes = [pk for pk, _payment, _files in dispute_rows]
        receipts = Payment.objects.filter(pk__in=locked, receipt_image_url__isnull=False)
        pending[:] = [
            *((payment_id, key) for _pk, payment_id, files in dispute_rows
              for key in (files or []) if key),
            *((pk, key) for pk, key in receipts.values_list("pk", "receipt_image_url") if key),
        ]
        PaymentDisputeHistory.objects.filter(dispute_id__in=disputes).delete()
        PaymentDispute.objects.filter(pk__in=disputes).delete()
        dispute_history.objects.filter(id__in=disputes).delete()
        Payment.objects.filter(pk__in=locked).delete()
        payment_history.objects.filter(id__in=locked).delete()
        return len(locked)

    def delete_files() -> None:
        # Receipts and dispute evidence, once the rows naming them are gone for good.
        keys, pending[:] = list(pending), []
        if not keys:
            return
        storage = storages["payments"]
        for payment_id, key in keys:
            try:
                storage.delete(key)
            except Exception:
                logger.exception("retention: payment file not deleted payment=%s", payment_id)

    return _in_batches(ids_older=ids_older, purge=purge, batch_size=batch_size,
                       after_commit=delete_files)


# --- Audit trail ----------------------------------------------------------------------------


def audit_logs_purge(*, older_than: datetime, batch_size: int) -> int:
    """Delete PHI access log rows created before `older_than`, through the audit app.

    The table refuses DELETE but for this one function (an append-only trigger), which
    works in batches itself and keeps the hash chain verifiable from the oldest kept row.
    """
    return int(phi_access_logs_purge(older_than=older_than, batch_size=batch_size))


# --- The daily job --------------------------------------------------------------------------


def expired_data_purge(*, now: datetime | None = None) -> RetentionRun:
    """Run every retention step. Each is independent: a failing one does not stop the rest."""
    now = now or timezone.now()
    size = settings.RETENTION_BATCH_SIZE
    counts: dict[str, int] = {"medical_records": 0, "files": 0, "payments": 0, "audit_logs": 0}
    failed: list[str] = []

    def records() -> None:
        counts["medical_records"], counts["files"] = medical_records_purge(
            older_than=years_before(now, settings.RETENTION_MEDICAL_RECORDS_YEARS),
            batch_size=size,
        )

    def payments() -> None:
        counts["payments"] = payments_purge(
            older_than=years_before(now, settings.RETENTION_PAYMENTS_YEARS), batch_size=size
        )

    def audit() -> None:
        counts["audit_logs"] = audit_logs_purge(
            older_than=years_before(now, settings.RETENTION_AUDIT_LOG_YEARS), batch_size=size
        )

    steps = [("medical_records", records), ("payments", payments), ("audit_logs", audit)]
    for name, step in steps:
        try:
            step()
        except Exception:
            failed.append(name)
            logger.exception("retention step failed step=%s", name)

    logger.info(
        "retention run medical_records=%d files=%d payments=%d audit_logs=%d failed=%s",
        counts["medical_records"], counts["files"], counts["payments"], counts["audit_logs"],
        ",".join(failed) or "-",
    )
    if failed:
        raise RetentionStepFailed(failed)
    return RetentionRun(**counts)


class RetentionStepFailed(RuntimeError):
    """One or more steps failed (logged); the others ran. The task fails so ops see it."""

    def __init__(self, steps: list[str]) -> None:
        super().__init__(f"retention steps failed: {', '.join(steps)}")
        self.steps = steps
