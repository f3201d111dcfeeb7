"""Writers racing to log PHI leave one unbroken chain, even when some of them roll back."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import transaction

from apps.audit.models import PhiAccessLog
from apps.audit.verify import chain_verify
from tests.audit.support import log_rows
from tests.concurrency import race
from tests.factories import DoctorFactory, PatientFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WRITERS = 8
ROWS_EACH = 5


class RolledBack(Exception):
    pass


def test_parallel_writers_leave_a_valid_chain() -> None:
    doctor, patient = DoctorFactory.create(), PatientFactory.create()

    def writer(index: int) -> Callable[[], int]:
        def job() -> int:
            if index % 4 == 3:
                # Logs inside a transaction that fails afterwards: its links must vanish.
                with transaction.atomic():
                    log_rows(ROWS_EACH, actor=doctor, patient=patient)
                    raise RolledBack
            for _ in range(ROWS_EACH):
                log_rows(1, actor=doctor, patient=patient)
            return ROWS_EACH
        return job

    outcomes = race([writer(index) for index in range(WRITERS)])

    committed = [outcome for outcome in outcomes if isinstance(outcome, int)]
    assert len(committed) == WRITERS - WRITERS // 4, outcomes
    assert all(isinstance(o, (int, RolledBack)) for o in outcomes), outcomes
    expected = sum(committed)
    seqs = list(PhiAccessLog.objects.order_by("id").values_list("chain_seq", flat=True))
    assert seqs == list(range(1, expected + 1))
    report = chain_verify(batch_size=7)
    assert report.intact, report.problem
    assert report.rows == expected


def test_verifying_while_writers_write_reports_no_false_break() -> None:
    doctor, patient = DoctorFactory.create(), PatientFactory.create()
    log_rows(3, actor=doctor, patient=patient)

    def writer() -> int:
        for _ in range(10):
            log_rows(1, actor=doctor, patient=patient)
        return 10

    def verifier() -> list[bool]:
        return [chain_verify(batch_size=2).intact for _ in range(5)]

    outcomes = race([writer, writer, writer, verifier])

    assert outcomes[:3] == [10, 10, 10], outcomes
    assert outcomes[3] == [True] * 5, outcomes
    assert chain_verify().rows == 33
