"""The Celery wrapper around the online check.

``apply()`` runs the task and its retries in this process whatever ``task_always_eager`` is
(worker tests elsewhere switch it off for a while), and ignores countdowns.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.prescriptions import tasks
from apps.prescriptions.models import Prescription
from apps.prescriptions.openfda import OnlineStatus, cached_check
from apps.prescriptions.tasks import retry_countdown, run_openfda_check
from tests import factories
from tests.prescriptions.signing_support import make_prescription


def prescription_of(*names: str) -> Prescription:
    return make_prescription(
        doctor=factories.DoctorFactory(), patient=factories.PatientFactory(),
        medications=tuple((name, "1 tablet", "daily", "5 days") for name in names),
    )


def run(*names: str) -> dict[str, object]:
    return run_openfda_check.apply(args=[prescription_of(*names).pk]).get()


@pytest.mark.django_db
def test_the_task_stores_the_outcome_for_the_page(fake_openfda):
    outcome = run("warfarin", "Disprin")

    assert outcome["status"] == OnlineStatus.PARTIAL
    assert outcome["findings"] == 1
    stored = cached_check(["Warfarin", "Disprin 75mg"])
    assert stored is not None
    assert stored.status == OnlineStatus.PARTIAL
    assert [(f.label_drug, f.other) for f in stored.findings] == [("warfarin", "disprin")]


@pytest.mark.django_db
def test_running_the_task_again_makes_no_new_requests(fake_openfda):
    run("warfarin", "sildenafil")
    count = len(fake_openfda.requests)

    outcome = run("warfarin", "sildenafil")

    assert outcome["status"] == OnlineStatus.OK
    assert count == 2
    assert len(fake_openfda.requests) == count


@pytest.mark.django_db
def test_unavailable_is_retried_with_backoff_then_left_stored_as_unavailable(fake_openfda):
    fake_openfda.mode = "server_error"

    with override_settings(OPENFDA_TASK_MAX_RETRIES=2):
        outcome = run("warfarin", "aspirin")

    assert outcome["status"] == OnlineStatus.UNAVAILABLE
    assert len(fake_openfda.requests) == 3 * 2  # first attempt and two retries, two drugs each
    stored = cached_check(["warfarin", "aspirin"])
    assert stored is not None and stored.status == OnlineStatus.UNAVAILABLE


@pytest.mark.django_db
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

    outcome = run("warfarin", "sildenafil")

    assert countdowns == [retry_countdown(0)]
    assert outcome["status"] == OnlineStatus.OK
    assert fake_openfda.searched_names() == ["warfarin", "warfarin", "sildenafil"]


@pytest.mark.django_db
def test_disabled_is_not_retried(openfda_cache):
    with override_settings(OPENFDA_BASE_URL=""):
        outcome = run("warfarin", "aspirin")

    assert outcome["status"] == OnlineStatus.DISABLED


def test_backoff_doubles_and_is_capped():
    with override_settings(OPENFDA_RETRY_BACKOFF_SECONDS=30):
        assert [retry_countdown(n) for n in range(4)] == [30, 60, 120, 240]
        assert retry_countdown(20) == 3600


@pytest.mark.django_db
def test_the_task_result_holds_counts_and_no_drug_names(fake_openfda):
    """A worker logs the return value ("Task ... succeeded: ..."): no PHI in it."""
    prescription = prescription_of("Warfarin 5mg", "Disprin 75mg")

    outcome = run_openfda_check.apply(args=[prescription.pk]).get()

    assert set(outcome) == {"status", "findings", "checked", "no_label", "failed"}
    assert all(isinstance(value, int) for key, value in outcome.items() if key != "status")
    text = repr(outcome).casefold()
    for name in ("warfarin", "disprin", "aspirin"):
        assert name not in text


@pytest.mark.django_db
def test_a_prescription_without_medications_is_not_checked(fake_openfda):
    outcome = run_openfda_check.apply(args=[prescription_of().pk]).get()

    assert outcome == {"status": "no_medications"}
    assert fake_openfda.requests == []


def test_a_message_with_the_old_name_list_is_dropped_without_a_request(
    fake_openfda, caplog: pytest.LogCaptureFixture,
):
    outcome = run_openfda_check.apply(args=[["warfarin", "aspirin"]]).get()

    assert outcome == {"status": "ignored"}
    assert fake_openfda.requests == []
    assert "warfarin" not in caplog.text
