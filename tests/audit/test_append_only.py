"""The database itself refuses UPDATE, DELETE and TRUNCATE on the audit tables, for every role.

The suite connects as the superuser postgres: the triggers refuse it all the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import ProgrammingError, connection, transaction

from apps.audit.models import AdminAuditAction, AdminAuditEvent, PhiAccessLog
from apps.audit.verify import chain_verify
from tests.audit.support import log_rows
from tests.factories import AdminFactory, PatientFactory

pytestmark = pytest.mark.django_db

REFUSED = "42501"  # insufficient_privilege


def run(sql: str, params: list[Any] | None = None) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked at commit; TRUNCATE will not run with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(sql, params or [])


def refused(sql: str, params: list[Any] | None = None) -> str:
    with pytest.raises(ProgrammingError) as caught:
        run(sql, params)
    assert getattr(caught.value.__cause__, "sqlstate", None) == REFUSED
    return str(caught.value)


def test_the_tests_connect_as_a_superuser() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (True,)


def test_update_is_refused() -> None:
    (entry,) = log_rows(1)

    message = refused("UPDATE phi_access_logs SET reason = 'x' WHERE id = %s", [entry.pk])

    assert "append-only" in message
    assert PhiAccessLog.objects.get(pk=entry.pk).reason == entry.reason


def test_an_orm_update_is_refused() -> None:
    log_rows(2)

    with pytest.raises(ProgrammingError), transaction.atomic():
        PhiAccessLog.objects.update(reason="")


def test_delete_is_refused() -> None:
    (entry,) = log_rows(1)

    refused("DELETE FROM phi_access_logs WHERE id = %s", [entry.pk])

    assert PhiAccessLog.objects.filter(pk=entry.pk).exists()


def test_an_orm_delete_is_refused() -> None:
    log_rows(1)

    with pytest.raises(ProgrammingError), transaction.atomic():
        PhiAccessLog.objects.all().delete()

    assert PhiAccessLog.objects.count() == 1


def test_truncate_is_refused() -> None:
    log_rows(1)

    refused("TRUNCATE phi_access_logs")

    assert PhiAccessLog.objects.count() == 1
    assert chain_verify().intact


@pytest.mark.parametrize("table", ["admin_audit_events", "phi_access_chain_anchors"])
def test_the_other_audit_tables_are_append_only(table: str) -> None:
    AdminAuditEvent.objects.create(
        actor=AdminFactory.create(), target=PatientFactory.create(),
        action=AdminAuditAction.SOFT_DELETE, field="deleted_at", old_value=None,
        new_value="2026-01-01T00:00:00+00:00",
    )
    run("INSERT INTO phi_access_chain_anchors (created_at, chain_seq, row_hash, anchor_hash,"
        " purged_rows) VALUES (now(), 1, 'a', 'b', 1)")

    refused(f"UPDATE {table} SET created_at = now()")
    refused(f"DELETE FROM {table}")
    refused(f"TRUNCATE {table}")
