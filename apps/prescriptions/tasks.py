"""Celery tasks for prescriptions: thin wrappers around apps.prescriptions.openfda."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from apps.prescriptions import openfda, services
from apps.prescriptions.models import PrescriptionMedication

logger = logging.getLogger(__name__)


def retry_countdown(retries: int) -> int:
    """Exponential backoff: base, 2 x base, 4 x base and so on, capped at one hour."""
    return int(min(settings.OPENFDA_RETRY_BACKOFF_SECONDS * 2**retries, 3600))


def _summary(result: openfda.OnlineCheckResult) -> dict[str, Any]:
    """What the task returns, and so what a worker logs: a status and counts, never names."""
    return {"status": result.status.value, "findings": len(result.findings),
            "checked": len(result.checked), "no_label": len(result.no_label),
            "failed": len(result.failed)}


@shared_task(bind=True, name="prescriptions.openfda_check", acks_late=True, max_retries=None)
def run_openfda_check(self: Task, prescription_id: int) -> dict[str, Any]:
    """Run the online label check for one prescription's medications and store the outcome
    (in the cache for the page's status line, and as the prescription's OPENFDA warning
    rows while it is unsigned).

    The task takes the prescription id and reads the names itself, so no drug name travels
    through the broker or the result backend, and the worker's "succeeded" log line holds
    only counts. It checks the medications as they are when it runs.

    Idempotent: a list already checked in full returns its stored outcome, and labels come
    from the cache, so a redelivered or repeated task makes no second request. Each attempt
    stores its outcome at once, so the page can say "unavailable" while retries go on.
    """
    if not isinstance(prescription_id, int) or isinstance(prescription_id, bool):
        # A message queued by the old signature (a list of names): drop it without logging
        # its arguments; the page shows "pending" until the prescription is saved again.
        logger.warning("openfda check dropped: old-style arguments")
        return {"status": "ignored"}
    medication_names = list(
        PrescriptionMedication.objects.filter(prescription_id=prescription_id)
        .order_by("pk").values_list("name", flat=True)
    )
    if not medication_names:
        logger.info("openfda check skipped prescription=%s: no medications", prescription_id)
        return {"status": "no_medications"}
    try:
        stored = openfda.cached_check(medication_names)
    except openfda.CacheUnreachable:
        stored = None
    if stored is not None and stored.status == openfda.OnlineStatus.OK:
        services.openfda_warnings_store(prescription_id=prescription_id,
                                        names=medication_names, result=stored)
        return _summary(stored)

    result = openfda.check_online(medication_names)
    openfda.store_check(medication_names, result)
    services.openfda_warnings_store(prescription_id=prescription_id, names=medication_names,
                                    result=result)
    logger.info("openfda check prescription=%s status=%s findings=%d failed=%d attempt=%d",
                prescription_id, result.status, len(result.findings), len(result.failed),
                self.request.retries)
    if result.should_retry and self.request.retries < settings.OPENFDA_TASK_MAX_RETRIES:
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return _summary(result)
