"""Operational tasks shared by every domain."""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


@shared_task(name="core.healthcheck", ignore_result=False)  # monitoring reads it
def healthcheck() -> dict[str, bool]:
    """Prove a worker reaches the database and the cache; used by ops and the test suite."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        database_ok = cursor.fetchone() == (1,)
    cache.set("healthlink:healthcheck", "ok", timeout=30)
    cache_ok = cache.get("healthlink:healthcheck") == "ok"
    logger.info("healthcheck database=%s cache=%s", database_ok, cache_ok)
    return {"database": database_ok, "cache": cache_ok}


@shared_task(name="core.purge_expired_data")
def purge_expired_data() -> dict[str, int]:
    """Delete records, payments and audit rows past their retention periods (daily)."""
    from apps.core import retention  # imports domain models; keep core importable alone

    run = retention.expired_data_purge()
    return {"medical_records": run.medical_records, "files": run.files,
            "payments": run.payments, "audit_logs": run.audit_logs}
