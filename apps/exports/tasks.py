"""Celery tasks for data exports: thin, idempotent wrappers around apps.exports.services."""

from __future__ import annotations

import logging

from celery import Task, shared_task

from apps.exports import services
from apps.exports.models import DataExport

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30


# ignore_result: the row is the result; nobody reads Celery's copy.
@shared_task(bind=True, name="exports.build", acks_late=True, max_retries=2, ignore_result=True)
def build_data_export(self: Task, export_id: int) -> str:
    """Build one patient's archive; a finished export (ready, failed, expired) is left alone.

    A failing build is retried with backoff; after the last attempt the export is FAILED.
    """
    try:
        export = services.data_export_build(export_id=export_id)
    except DataExport.DoesNotExist:
        logger.warning("data export %s not found", export_id)
        return "MISSING"
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            return services.data_export_fail(
                export_id=export_id, reason=type(exc).__name__
            ).status
        logger.warning("data export %s attempt %s failed error=%s", export_id,
                       self.request.retries + 1, type(exc).__name__)
        countdown = RETRY_BASE_SECONDS * 2 ** self.request.retries
        raise self.retry(exc=exc, countdown=countdown) from exc
    return export.status


@shared_task(name="exports.expire_archives")
def expire_data_exports() -> dict[str, int]:
    """Beat runs this hourly: delete archives past their expiry, fail abandoned exports."""
    return services.data_exports_expire()
