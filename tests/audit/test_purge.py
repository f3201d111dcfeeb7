"""Retention: rows older than five years go, in batches, and the chain still verifies."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from apps.audit import chain, services
from apps.audit.models import PhiAccessChainAnchor, PhiAccessLog
from apps.audit.services import phi_access_logs_purge
from apps.audit.verify import chain_verify
from tests.audit.support import backdate, log_rows

pytestmark = pytest.mark.django_db

SIX_YEARS = 6 * 365
FLOOR = 5 * 365 + 1


def test_rows_past_retention_are_purged_and_the_chain_still_verifies() -> None:
    rows = log_rows(5)
    backdate(SIX_YEARS, count=3)

    purged = phi_access_logs_purge(older_than=timezone.now())

    assert purged == 3
    assert list(PhiAccessLog.objects.values_list("pk", flat=True).order_by("pk")) == [
        rows[3].pk, rows[4].pk]
    anchor = PhiAccessChainAnchor.objects.get()
    assert (anchor.chain_seq, anchor.purged_rows) == (3, 3)
    report = chain_verify()
    assert report.intact
    assert (report.rows, report.first_seq) == (2, 4)


def test_purging_in_small_batches_anchors_each_batch() -> None:
    log_rows(5)
    backdate(SIX_YEARS, count=5)

    assert phi_access_logs_purge(older_than=timezone.now(), batch_size=2) == 5

    assert list(PhiAccessChainAnchor.objects.values_list("chain_seq", flat=True)
                .order_by("chain_seq")) == [2, 4, 5]
    assert not PhiAccessLog.objects.exists()
    assert chain_verify().intact
    (later,) = log_rows(1)
    assert later.chain_seq == 6
    assert chain_verify().intact


def test_a_second_run_purges_nothing_more() -> None:
    log_rows(3)
    backdate(SIX_YEARS, count=2)
    phi_access_logs_purge(older_than=timezone.now())

    assert phi_access_logs_purge(older_than=timezone.now()) == 0
    assert PhiAccessChainAnchor.objects.count() == 1


def test_rows_younger_than_the_retention_period_stay_whatever_older_than_says() -> None:
    log_rows(3)
    backdate(FLOOR - 2, count=3)

    assert phi_access_logs_purge(older_than=timezone.now()) == 0
    assert PhiAccessLog.objects.count() == 3


def test_older_than_narrows_the_purge() -> None:
    log_rows(4)
    backdate(SIX_YEARS, count=4)
    cutoff = PhiAccessLog.objects.order_by("chain_seq")[2].created_at

    assert phi_access_logs_purge(older_than=cutoff) == 2
    assert chain_verify().intact


def test_only_the_start_of_the_chain_is_purged() -> None:
    # An old row behind a young one stays: deleting it would cut the chain in the middle.
    log_rows(3)
    rows = list(PhiAccessLog.objects.order_by("chain_seq").values(*chain.CHAINED_FIELDS))
    for row in (rows[0], rows[2]):
        row["created_at"] = timezone.now() - datetime.timedelta(days=SIX_YEARS)
    _reseal(rows)

    assert phi_access_logs_purge(older_than=timezone.now()) == 1

    assert list(PhiAccessLog.objects.values_list("chain_seq", flat=True)
                .order_by("chain_seq")) == [2, 3]
    assert chain_verify().intact


def test_an_interrupted_purge_keeps_finished_batches_and_a_rerun_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    log_rows(5)
    backdate(SIX_YEARS, count=5)
    real = services._purge_batch
    calls: list[int] = []

    def crash_on_second(*args: Any) -> tuple[int, bool]:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(services, "_purge_batch", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        phi_access_logs_purge(older_than=timezone.now(), batch_size=2)
    assert PhiAccessLog.objects.count() == 3
    assert chain_verify().intact

    monkeypatch.setattr(services, "_purge_batch", real)
    assert phi_access_logs_purge(older_than=timezone.now(), batch_size=2) == 3
    assert chain_verify().intact


def test_the_trigger_refuses_to_delete_a_young_row_even_behind_an_anchor() -> None:
    (entry,) = log_rows(1)
    PhiAccessChainAnchor.objects.create(
        chain_seq=entry.chain_seq, row_hash=entry.row_hash, purged_rows=1,
        anchor_hash=chain.anchor_hash(chain_seq=entry.chain_seq, row_hash=entry.row_hash),
    )
    backdate(FLOOR - 1, count=1)

    with pytest.raises(ProgrammingError), transaction.atomic():
        PhiAccessLog.objects.filter(pk=entry.pk).delete()


def test_the_trigger_refuses_to_delete_an_old_row_without_an_anchor() -> None:
    (entry,) = log_rows(1)
    backdate(SIX_YEARS, count=1)

    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM phi_access_logs WHERE id = %s", [entry.pk])


def _reseal(rows: list[dict[str, Any]]) -> None:
    from tests.audit.support import as_superuser, reseal_head

    previous = chain.GENESIS_HASH
    for row in rows:
        row["prev_hash"] = previous
        previous = chain.row_hash(row)
        as_superuser(
            "UPDATE phi_access_logs SET created_at = %s, prev_hash = %s, row_hash = %s "
            "WHERE id = %s", [row["created_at"], row["prev_hash"], previous, row["id"]],
        )
    reseal_head(rows[-1]["chain_seq"] if rows else 0, previous)


def test_retention_setting_below_five_years_is_refused_at_start() -> None:
    from tests.core.test_settings import manage_check

    done = manage_check(AUDIT_LOG_RETENTION_DAYS="365")

    assert done.returncode != 0
    assert "AUDIT_LOG_RETENTION_DAYS must be at least 1826" in done.stderr


def test_the_retention_floor_matches_the_trigger() -> None:
    from django.conf import settings

    assert settings.AUDIT_LOG_RETENTION_MIN_DAYS == FLOOR
    assert datetime.timedelta(days=FLOOR) > datetime.timedelta(days=5 * 365)
