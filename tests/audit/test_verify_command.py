"""`manage.py audit_verify` finds the first edited, inserted or removed row, and says only ids.

Every tampering here is done as a superuser with triggers off, the one way past them.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.audit import chain
from apps.audit.models import PhiAccessChainAnchor, PhiAccessLog
from apps.audit.verify import EDITED, INSERTED, REMOVED, chain_verify
from tests.audit.support import PHI_REASON, as_superuser, log_rows

pytestmark = pytest.mark.django_db


def verify(*args: str) -> tuple[int, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *args, stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, err.getvalue() + str(error)
    return 0, out.getvalue()


def forge(after: PhiAccessLog, *, id: int, chain_seq: int) -> None:
    """Insert a row that claims to follow `after`, with a hash made up without the key."""
    as_superuser(
        "INSERT INTO phi_access_logs (id, actor_id, patient_id, action, resource_type, "
        "resource_id, reason, created_at, refused, break_glass, chain_seq, prev_hash, row_hash)"
        " VALUES (%s, %s, %s, 'VIEW', 'MEDICAL_RECORD', 1, 'forged', now(), false, false,"
        " %s, %s, %s)",
        [id, after.actor_id, after.patient_id, chain_seq, after.row_hash, "f" * 64],
    )


def test_an_intact_chain_exits_zero_with_the_count() -> None:
    log_rows(3)

    code, output = verify("--batch-size", "2")

    assert code == 0
    assert "intact: 3 row(s) verified" in output


def test_an_empty_log_is_intact() -> None:
    code, output = verify()  # a new database: no row, the sealed head at the start

    assert code == 0
    assert "0 row(s) verified" in output


@pytest.mark.parametrize(("column", "value"), [
    ("reason", "nothing to see"), ("created_at", "2020-01-01"), ("refused", True),
    ("ip_address", "10.0.0.1"), ("action", "EXPORT"),
])
def test_an_edited_row_is_reported_as_edited(column: str, value: object) -> None:
    _first, second, _third = log_rows(3)
    as_superuser(f"UPDATE phi_access_logs SET {column} = %s WHERE id = %s",
                 [value, second.pk])

    code, output = verify("--batch-size", "1")

    assert code == 1
    assert "edited" in output
    assert f"row {second.pk} " in output
    report = chain_verify()
    assert report.problem is not None
    assert (report.problem.kind, report.problem.row_id) == (EDITED, second.pk)
    assert report.rows == 1


def test_a_row_given_to_another_actor_is_reported_as_edited() -> None:
    first, second = log_rows(2)
    as_superuser("UPDATE phi_access_logs SET actor_id = %s WHERE id = %s",
                 [first.patient_id, second.pk])

    problem = chain_verify().problem

    assert problem is not None
    assert (problem.kind, problem.row_id) == (EDITED, second.pk)


def test_an_edited_last_row_is_reported_as_edited() -> None:
    *_, last = log_rows(3)
    as_superuser("UPDATE phi_access_logs SET resource_id = 99 WHERE id = %s", [last.pk])

    problem = chain_verify().problem

    assert problem is not None
    assert (problem.kind, problem.row_id) == (EDITED, last.pk)


def test_the_report_never_prints_a_reason() -> None:
    _first, second = log_rows(2)
    as_superuser("UPDATE phi_access_logs SET reason = %s WHERE id = %s",
                 [PHI_REASON + " (edited)", second.pk])

    code, output = verify()

    assert code == 1
    assert "tuberculosis" not in output.lower()
    assert "Ayesha" not in output


def test_a_row_inserted_in_the_middle_is_reported_as_inserted() -> None:
    (first,) = log_rows(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        (wasted,) = log_rows(1)  # its id is never used: the forger takes it
        raise RuntimeError
    log_rows(1)
    forge(first, id=wasted.pk, chain_seq=1000)

    code, output = verify()

    assert code == 1
    assert "inserted" in output
    problem = chain_verify().problem
    assert problem is not None
    assert (problem.kind, problem.row_id) == (INSERTED, wasted.pk)


def test_a_row_appended_at_the_end_is_reported_as_inserted() -> None:
    *_, last = log_rows(2)
    forge(last, id=last.pk + 50, chain_seq=last.chain_seq + 1)

    problem = chain_verify().problem

    assert problem is not None
    assert (problem.kind, problem.row_id) == (INSERTED, last.pk + 50)


def test_a_removed_row_is_reported_as_a_gap() -> None:
    first, second, third, _fourth = log_rows(4)
    as_superuser("DELETE FROM phi_access_logs WHERE id = %s", [second.pk])

    code, output = verify()

    assert code == 1
    assert "removed" in output
    assert "1 row(s) missing" in output
    problem = chain_verify().problem
    assert problem is not None
    assert (problem.kind, problem.row_id) == (REMOVED, third.pk)
    assert chain_verify().rows == 1  # only the first row came before the gap
    assert first.pk


def test_rows_removed_from_the_end_are_reported() -> None:
    _first, _second, third = log_rows(3)
    as_superuser("DELETE FROM phi_access_logs WHERE id = %s", [third.pk])

    code, output = verify()

    assert code == 1
    assert "1 row(s) missing at the end" in output


def test_a_wiped_log_and_head_are_reported() -> None:
    log_rows(3)
    as_superuser("DELETE FROM phi_access_logs")
    as_superuser("DELETE FROM phi_access_chain_head")

    code, output = verify()

    assert code == 1
    assert "head row is missing" in output


def test_rows_cut_off_the_end_with_the_head_moved_back_are_reported() -> None:
    first, second, third = log_rows(3)
    as_superuser("DELETE FROM phi_access_logs WHERE id = %s", [third.pk])
    as_superuser("UPDATE phi_access_chain_head SET chain_seq = %s, row_hash = %s WHERE id = 1",
                 [second.chain_seq, second.row_hash])

    code, output = verify()

    assert code == 1
    assert "not sealed with the chain key" in output
    assert first.pk


def test_a_removed_first_row_is_reported() -> None:
    first, second = log_rows(2)
    as_superuser("DELETE FROM phi_access_logs WHERE id = %s", [first.pk])

    problem = chain_verify().problem

    assert problem is not None
    assert (problem.kind, problem.row_id) == (REMOVED, second.pk)


def test_only_the_first_break_is_reported() -> None:
    rows = log_rows(5)
    as_superuser("UPDATE phi_access_logs SET reason = 'x' WHERE id = %s", [rows[3].pk])
    as_superuser("UPDATE phi_access_logs SET reason = 'y' WHERE id = %s", [rows[1].pk])

    problem = chain_verify().problem

    assert problem is not None
    assert problem.row_id == rows[1].pk


def test_a_forged_purge_anchor_is_reported() -> None:
    first, second, _third = log_rows(3)
    # A DBA removes the first two rows and writes an anchor to make the chain start later.
    as_superuser("DELETE FROM phi_access_logs WHERE id IN (%s, %s)", [first.pk, second.pk])
    PhiAccessChainAnchor.objects.create(
        chain_seq=second.chain_seq, row_hash=second.row_hash, purged_rows=2,
        anchor_hash="0" * 64,
    )

    problem = chain_verify().problem

    assert problem is not None
    assert problem.kind == INSERTED
    assert "anchor" in problem.detail


def test_a_genuine_anchor_is_where_the_chain_starts() -> None:
    first, second, third = log_rows(3)
    PhiAccessChainAnchor.objects.create(
        chain_seq=first.chain_seq, row_hash=first.row_hash, purged_rows=1,
        anchor_hash=chain.anchor_hash(chain_seq=first.chain_seq, row_hash=first.row_hash),
    )
    as_superuser("DELETE FROM phi_access_logs WHERE id = %s", [first.pk])

    report = chain_verify()

    assert report.intact
    assert (report.rows, report.first_seq, report.last_seq) == (2, 2, third.chain_seq)
    assert second.chain_seq == report.first_seq


def test_it_streams_the_table_in_batches() -> None:
    log_rows(7)

    with CaptureQueriesContext(connection) as queries:
        report = chain_verify(batch_size=3)

    assert report.intact and report.rows == 7
    reads = [q["sql"] for q in queries.captured_queries
             if 'FROM "phi_access_logs"' in q["sql"]]
    # Three full or partial batches, then the empty read that ends each phase: never all at once.
    assert len(reads) == 5
    assert all("LIMIT 3" in sql for sql in reads)
