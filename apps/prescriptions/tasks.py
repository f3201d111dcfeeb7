"""Celery tasks for prescriptions: thin wrappers around apps.prescriptions.openfda."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task, shared_task
from django.conf import settings

from apps.prescriptions import openfda

logger = logging.getLogger(__name__)


def retry_countdown(retries: int) -> int:
    """Exponential backoff: base, 2 x base, 4 x base and so on, capped at one hour."""
    return int(min(settings.OPENFDA_RETRY_BACKOFF_SECONDS * 2**retries, 3600))


@shared_task(bind=True, name="prescriptions.openfda_check", acks_late=True, max_retries=None)
def run_openfda_check(self: Task, medication_names: list[str]) -> dict[str, Any]:
    """Run the online label check for one medication list and store the outcome.

    Idempotent: a list already checked in full returns its stored outcome, and labels come
    from the cache, so a redelivered or repeated task makes no second request. Each attempt
    stores its outcome at once, so the page can say "unavailable" while retries go on.
    """
    stored = openfda.cached_check(medication_names)
    if stored is not None and stored.status == openfda.OnlineStatus.OK:
        return stored.to_dict()

    result = openfda.check_online(medication_names)
    openfda.store_check(medication_names, result)
    logger.info("openfda check status=%s findings=%d failed=%d attempt=%d", result.status,
                len(result.findings), len(result.failed), self.request.retries)
    if result.should_retry and self.request.retries < settings.OPENFDA_TASK_MAX_RETRIES:
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return result.to_dict()
