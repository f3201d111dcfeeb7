from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from celery._state import _set_task_join_will_block
from django.conf import settings
from django.utils import translation

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


@pytest.fixture(autouse=True, scope="session")
def _cache_keys_per_test_process(worker_id: str) -> None:
    """Each test process's cache keys apart from the others' in the shared Redis: their
    databases hand out the same ids, so keys built from ids (rate limits, the JazzCash
    simulator's transactions) would otherwise collide between processes."""
    from django.conf import settings
    from django.core.signals import setting_changed

    settings.CACHES["default"]["KEY_PREFIX"] = f"healthlink-test-{worker_id}"
    # What override_settings(CACHES=...) does: Django's own receiver rebuilds the caches.
    setting_changed.send(sender=None, setting="CACHES", value=settings.CACHES, enter=True)


# --- PHI audit trail: flushing append-only tables -----------------------------------------
# transactional_db empties every table with TRUNCATE after each test; the audit tables'
# triggers refuse that for every role. The suite connects as a superuser and flushes the way
# only a superuser could: with triggers off for that one transaction. The chain head, which
# a migration makes once on a real database, is put back sealed as that migration makes it.
@pytest.fixture(autouse=True, scope="session")
def _flush_past_append_only_triggers() -> None:
    from django.db.backends.postgresql.operations import DatabaseOperations

    flush = DatabaseOperations.execute_sql_flush
    if getattr(flush, "past_audit_triggers", False):
        return

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        from apps.audit import chain

        seal = chain.head_seal(chain_seq=0, row_hash=chain.GENESIS_HASH)
        head = ("INSERT INTO phi_access_chain_head (id, chain_seq, row_hash, seal) "
                f"VALUES (1, 0, '{chain.GENESIS_HASH}', '{seal}') ON CONFLICT (id) DO NOTHING")
        flush(self, ["SET LOCAL session_replication_role = replica", *sql_list, head])

    execute_sql_flush.past_audit_triggers = True  # type: ignore[attr-defined]
    DatabaseOperations.execute_sql_flush = execute_sql_flush  # type: ignore[method-assign, assignment]


# --- Celery state a real worker leaves behind ---------------------------------------------
# Starting a worker in this process (the start_worker tests) marks the process as a worker,
# after which AsyncResult.get() refuses to block ("Never call result.get() within a task!")
# in every later test of this xdist worker. Put it back after each test.
@pytest.fixture(autouse=True)
def _celery_join_may_block() -> Iterator[None]:
    yield
    _set_task_join_will_block(False)


# --- The language a request leaves behind ---------------------------------------------------
# LocaleMiddleware activates the request's language for the thread and nothing switches it
# back: after a test that browsed in Urdu, the next one in this process would render Urdu.
@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    yield
    translation.activate(settings.LANGUAGE_CODE)
