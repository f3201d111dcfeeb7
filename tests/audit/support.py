"""Helpers for the audit tests: PHI log rows, and edits only a superuser could make."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction

from apps.accounts.models import User
from apps.audit import chain
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.audit.services import phi_access_record
from tests.factories import DoctorFactory, PatientFactory

# A reason that would be PHI: the verifier must never print it.
PHI_REASON = "Suspected tuberculosis, patient Ayesha Khan"


def log_rows(count: int, *, actor: User | None = None, patient: User | None = None
             ) -> list[PhiAccessLog]:
    actor = actor or DoctorFactory.create()
    patient = patient or PatientFactory.create()
    return [
        phi_access_record(
            actor=actor, action=PhiAction.VIEW, resource_type=PhiResource.MEDICAL_RECORD,
            resource_id=1000 + index, patient=patient, reason=PHI_REASON,
        )
        for index in range(count)
    ]


def as_superuser(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> int:
    """Run SQL with triggers off, as a malicious DBA would; returns the rows affected."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)
        affected = cursor.rowcount
        cursor.execute("SET LOCAL session_replication_role = origin")
    return affected


def backdate(days: int, *, count: int) -> None:
    """Make the first `count` links `days` old and re-seal the whole chain with the key.

    Stands for rows written long ago: the chain stays valid, as if time had passed.
    """
    rows = list(PhiAccessLog.objects.order_by("chain_seq").values(*chain.CHAINED_FIELDS))
    previous = rows[0]["prev_hash"] if rows else chain.GENESIS_HASH
    now = datetime.datetime.now(tz=datetime.UTC)
    for index, row in enumerate(rows):
        if index < count:
            row["created_at"] = now - datetime.timedelta(days=days, seconds=count - index)
        row["prev_hash"] = previous
        previous = chain.row_hash(row)
        as_superuser(
            "UPDATE phi_access_logs SET created_at = %s, prev_hash = %s, row_hash = %s "
            "WHERE id = %s",
            [row["created_at"], row["prev_hash"], previous, row["id"]],
        )
    reseal_head(rows[-1]["chain_seq"] if rows else 0, previous)


def reseal_head(chain_seq: int, row_hash: str) -> None:
    """Point the head at a link and seal it with the key, as the application would."""
    as_superuser(
        "UPDATE phi_access_chain_head SET chain_seq = %s, row_hash = %s, seal = %s WHERE id = 1",
        [chain_seq, row_hash, chain.head_seal(chain_seq=chain_seq, row_hash=row_hash)],
    )
