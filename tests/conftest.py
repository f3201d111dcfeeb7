from __future__ import annotations

import os

import pytest

from apps.accounts.models import User
from tests import factories

pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture
def patient(db: None) -> User:
    return factories.PatientFactory()


@pytest.fixture
def other_patient(db: None) -> User:
    return factories.PatientFactory()


@pytest.fixture
def doctor(db: None) -> User:
    return factories.DoctorFactory()


@pytest.fixture
def other_doctor(db: None) -> User:
    return factories.DoctorFactory()


# --- Nothing is skipped in CI -----------------------------------------------------------
# A test that needs a service or a browser must run in CI; a skip there fails the run.
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"} and _skipped:
        session.config.get_terminal_writer().line(
            f"CI forbids skipped tests; skipped: {', '.join(_skipped[:20])}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def _celery_queue_per_test_process(worker_id: str) -> None:
    """Parallel test processes share one Redis: give each its own queue, so a real worker
    started by one process never takes (and fails) another process's tasks."""
    from healthlink.celery import app

    app.conf.task_default_queue = f"healthlink-test-{worker_id}"
