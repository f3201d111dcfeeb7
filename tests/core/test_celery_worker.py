"""A real Celery worker, on the configured Redis broker, runs a task end to end."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from apps.core.tasks import healthcheck
from healthlink.celery import app


@pytest.fixture
def real_worker(transactional_db: None):
    app.conf.task_always_eager = False
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


def test_it_runs_a_task_on_a_real_worker_through_redis(real_worker: None) -> None:
    assert settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://", "unix://"))

    result = healthcheck.delay()

    assert result.get(timeout=30) == {"database": True, "cache": True}
