"""The Celery wrapper around the online check.

``apply()`` runs the task and its retries in this process whatever ``task_always_eager`` is
(worker tests elsewhere switch it off for a while), and ignores countdowns.
"""

from __future__ import annotations

from django.test import override_settings

from apps.prescriptions import tasks
from apps.prescriptions.openfda import OnlineStatus, cached_check
from apps.prescriptions.tasks import retry_countdown, run_openfda_check


def test_the_task_stores_the_outcome_for_the_page(fake_openfda):
    outcome = run_openfda_check.apply(args=[["warfarin", "Disprin"]]).get()

    assert outcome["status"] == OnlineStatus.PARTIAL
    stored = cached_check(["Warfarin", "Disprin 75mg"])
    assert stored is not None
    assert stored.status == OnlineStatus.PARTIAL
    assert [(f.label_drug, f.other) for f in stored.findings] == [("warfarin", "disprin")]


def test_running_the_task_again_makes_no_new_requests(fake_openfda):
    run_openfda_check.apply(args=[["warfarin", "sildenafil"]]).get()
    count = len(fake_openfda.requests)

    outcome = run_openfda_check.apply(args=[["warfarin", "sildenafil"]]).get()

    assert outcome["status"] == OnlineStatus.OK
    assert count == 2
    assert len(fake_openfda.requests) == count


def test_unavailable_is_retried_with_backoff_then_left_stored_as_unavailable(fake_openfda):
    fake_openfda.mode = "server_error"

    with override_settings(OPENFDA_TASK_MAX_RETRIES=2):
        outcome = run_openfda_check.apply(args=[["warfarin", "aspirin"]]).get()

    assert outcome["status"] == OnlineStatus.UNAVAILABLE
    assert len(fake_openfda.requests) == 3 * 2  # first attempt and two retries, two drugs each
    stored = cached_check(["warfarin", "aspirin"])
    assert stored is not None and stored.status == OnlineStatus.UNAVAILABLE


def test_rate_limited_is_retried_and_recovers_when_openfda_answers_again(
    fake_openfda, monkeypatch
):
    fake_openfda.mode = "rate_limited"
    countdowns: list[int] = []

    def countdown_then_recover(retries: int) -> int:
        countdowns.append(retry_countdown(retries))
        fake_openfda.mode = "labels"
        return countdowns[-1]

    monkeypatch.setattr(tasks, "retry_countdown", countdown_then_recover)

    outcome = run_openfda_check.apply(args=[["warfarin", "sildenafil"]]).get()

    assert countdowns == [retry_countdown(0)]
    assert outcome["status"] == OnlineStatus.OK
    assert fake_openfda.searched_names() == ["warfarin", "warfarin", "sildenafil"]


def test_disabled_is_not_retried(openfda_cache):
    with override_settings(OPENFDA_BASE_URL=""):
        outcome = run_openfda_check.apply(args=[["warfarin", "aspirin"]]).get()

    assert outcome["status"] == OnlineStatus.DISABLED


def test_backoff_doubles_and_is_capped():
    with override_settings(OPENFDA_RETRY_BACKOFF_SECONDS=30):
        assert [retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]
        assert retry_countdown(20) == 3600
