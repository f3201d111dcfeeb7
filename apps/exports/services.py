"""Patient data exports: request, build, fail, download log and expiry.

Archives hold PHI, so they are kept in the private storage the record attachments use
(`attachment_storage()`: a directory no URL serves, or the private bucket), never in
MEDIA_ROOT.
"""

from __future__ import annotations

import logging
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.core.errors import RuleError
from apps.core.i18n import in_language_of
from apps.exports import archive
from apps.exports.models import ACTIVE_STATUSES, DataExport, ExportStatus
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.records.attachments import attachment_storage

logger = logging.getLogger(__name__)

EXPORT_REASON = "data export"
KEY_PREFIX = "exports/"
# Sections move the bar to 95; storing the archive and marking it ready take the rest.
SECTIONS_SHARE = 95
EXPIRE_BATCH_SIZE = 100


class ExportError(RuleError):
    pass


class ExportNotStarted(ExportError):
    """The export was recorded but could not be handed to the workers (the broker is down);
    it is already marked FAILED."""


def _require_patient(actor: User) -> None:
    if not (isinstance(actor, User) and actor.is_active and actor.is_patient):
        raise DataExport.DoesNotExist


def data_export_request(*, actor: User) -> DataExport:
    """Queue a new export of the actor's data; ExportError while another is in the works,
    ExportNotStarted when it could not be queued."""
    _require_patient(actor)
    busy = _("Your data export is already being prepared.")
    if _has_active_export(actor.pk):
        raise ExportError(busy)
    try:
        with transaction.atomic():
            export = DataExport.objects.create(user=actor)
            transaction.on_commit(lambda: _queue_build(export.pk))
    except IntegrityError:  # a second request raced this one past the check
        raise ExportError(busy) from None

    logger.info("data export requested id=%s user=%s", export.pk, actor.pk)
    # Once committed, the build was queued (on_commit) or, with the broker down, the export
    # was failed at once: the caller is told which, not "being prepared" next to a failure.
    export.refresh_from_db(fields=["status", "failure_reason", "finished_at"])
    if export.status == ExportStatus.FAILED:
        raise ExportNotStarted(
            _("Your data export could not be started just now. Please try again later.")
        )
    return export


def _has_active_export(user_id: int) -> bool:
    return DataExport.objects.filter(user_id=user_id, status__in=ACTIVE_STATUSES).exists()


def _queue_build(export_id: int) -> None:
    from apps.exports.tasks import build_data_export  # tasks imports this module

    try:
        build_data_export.delay(export_id)
    except Exception as exc:  # the broker is down: say so now rather than wait forever
        logger.warning("data export %s not queued error=%s", export_id, type(exc).__name__)
        data_export_fail(export_id=export_id, reason="QueueUnavailable")


def _claim(export_id: int) -> DataExport | None:
    """Mark the export RUNNING; None when it is already finished one way or another.

    A RUNNING export is claimed again: that is a retry, or a message redelivered after its
    worker died, and the archive is built afresh either way.
    """
    with transaction.atomic():
        export = DataExport.objects.select_for_update().get(pk=export_id)
        if export.status not in ACTIVE_STATUSES:
            return None
        export.status = ExportStatus.RUNNING
        export.started_at = timezone.now()
        export.progress = 0
        export.save(update_fields=["status", "started_at", "progress"])
    return export


def _set_progress(export_id: int, progress: int) -> None:
    DataExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        progress=progress
    )


def _delete_file(key: str) -> None:
    try:
        attachment_storage().delete(key)
    except Exception as exc:  # an orphan is logged; the caller goes on
        logger.warning("export archive not deleted key=%s error=%s", key, type(exc).__name__)


def data_export_build(*, export_id: int) -> DataExport:
    """Build and store the archive, then mark the export READY; does nothing once finished.

    The archive goes to a temporary file first and is stored under a random key only when
    complete; the key is written to the row in the same transaction that marks it READY, so
    a failure leaves nothing referenced (and the stored file, if any, is deleted).
    """
    export = _claim(export_id)
    if export is None:
        return DataExport.objects.get(pk=export_id)
    started = time.monotonic()
    user = User.all_objects.get(pk=export.user_id)
    stored: str | None = None
    try:
        with tempfile.TemporaryFile() as buffer:
            archive.archive_write(
                user=user, target=buffer, generated_at=timezone.now(),
                on_section_done=lambda done, total: _set_progress(
                    export_id, SECTIONS_SHARE * done // total
                ),
            )
            size = buffer.tell()
            buffer.seek(0)
            stored = attachment_storage().save(f"{KEY_PREFIX}{uuid.uuid4().hex}.zip", File(buffer))
        export = _finish(export_id, key=stored, size=size)
    except Exception:
        if stored is not None:
            _delete_file(stored)
        raise
    logger.info("data export built id=%s user=%s status=%s bytes=%s duration_ms=%d",
                export.pk, export.user_id, export.status, size,
                (time.monotonic() - started) * 1000)
    return export


@transaction.atomic
def _finish(export_id: int, *, key: str, size: int) -> DataExport:
    export = (
        DataExport.objects.select_for_update(of=("self",)).select_related("user")
        .get(pk=export_id)
    )
    if export.status != ExportStatus.RUNNING:  # failed or finished elsewhere meanwhile
        transaction.on_commit(lambda: _delete_file(key))
        return export
    now = timezone.now()
    export.status = ExportStatus.READY
    export.progress = 100
    export.storage_key = key
    export.size_bytes = size
    export.finished_at = now
    export.expires_at = now + timedelta(days=settings.DATA_EXPORT_EXPIRY_DAYS)
    export.save(update_fields=[
        "status", "progress", "storage_key", "size_bytes", "finished_at", "expires_at",
    ])
    _supersede_older(export)
    with in_language_of(export.user):
        notification_create(
            user=export.user,
            event=NotificationEvent.DATA_EXPORT_READY,
            title=_("Your data export is ready"),
            message=_("Download the archive of your data from the data export page. "
                      "It is deleted after %(days)d days.") % {
                          "days": settings.DATA_EXPORT_EXPIRY_DAYS},
            action_url=reverse("exports:index"),
        )
    return export


def _supersede_older(export: DataExport) -> None:
    """A patient keeps one archive: the newest. Older ready ones expire when it is made."""
    older = list(
        DataExport.objects.select_for_update()
        .filter(user_id=export.user_id, status=ExportStatus.READY)
        .exclude(pk=export.pk)
    )
    for previous in older:
        key = previous.storage_key
        previous.status = ExportStatus.EXPIRED
        previous.storage_key = None
        previous.save(update_fields=["status", "storage_key"])
        if key:
            transaction.on_commit(partial(_delete_file, key))


def data_export_fail(*, export_id: int, reason: str) -> DataExport:
    """Mark an export that is still waiting or running FAILED; any other state stays."""
    with transaction.atomic():
        export = DataExport.objects.select_for_update().get(pk=export_id)
        if export.status in ACTIVE_STATUSES:
            export.status = ExportStatus.FAILED
            export.failure_reason = reason[:100]
            export.finished_at = timezone.now()
            export.save(update_fields=["status", "failure_reason", "finished_at"])
            logger.warning("data export failed id=%s user=%s reason=%s", export.pk,
                           export.user_id, export.failure_reason)
    return export


def data_export_download_record(
    *, actor: User, export: DataExport, request: HttpRequest | None = None
) -> None:
    """Log the download of the actor's own archive as an EXPORT of their profile."""
    phi_access_record(
        actor=actor, action=PhiAction.EXPORT, resource_type=PhiResource.PATIENT_PROFILE,
        resource_id=export.user_id, patient=export.user_id, request=request,
        reason=EXPORT_REASON,
    )
    logger.info("data export downloaded id=%s user=%s", export.pk, actor.pk)


def data_exports_expire(*, now: datetime | None = None) -> dict[str, int]:
    """Delete archives past their expiry and give up on exports whose worker vanished.

    Works in batches with rows locked (SKIP LOCKED), so overlapping runs share the work; a
    file is deleted before its row says EXPIRED, so an interruption leaves a row that the
    next run finishes. Deleting a file that is already gone is harmless.
    """
    moment = now or timezone.now()
    expired = 0
    while True:
        with transaction.atomic():
            batch = list(
                DataExport.objects.select_for_update(skip_locked=True)
                .filter(status=ExportStatus.READY, expires_at__lte=moment)
                .order_by("expires_at", "pk")[:EXPIRE_BATCH_SIZE]
            )
            for export in batch:
                if export.storage_key:
                    attachment_storage().delete(export.storage_key)
                export.status = ExportStatus.EXPIRED
                export.storage_key = None
                export.save(update_fields=["status", "storage_key"])
        expired += len(batch)
        if len(batch) < EXPIRE_BATCH_SIZE:
            break

    stale_before = moment - timedelta(hours=settings.DATA_EXPORT_STALE_HOURS)
    stale_ids = list(
        DataExport.objects.filter(status__in=ACTIVE_STATUSES, created_at__lt=stale_before)
        .values_list("pk", flat=True)[:EXPIRE_BATCH_SIZE]
    )
    for export_id in stale_ids:
        data_export_fail(export_id=export_id, reason="Stale")
    logger.info("data exports expired count=%s stale=%s", expired, len(stale_ids))
    return {"expired": expired, "stale": len(stale_ids)}
