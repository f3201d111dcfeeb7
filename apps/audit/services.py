"""Writes to the audit trails. Call in the same request that touches the PHI."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.models import User
from apps.audit import chain
from apps.audit.models import (
    AdminAuditEvent,
    PhiAccessChainAnchor,
    PhiAccessLog,
    PhiResource,
)
from apps.audit.network import client_ip

__all__ = [
    "AdminChange", "admin_events_record", "client_ip", "phi_access_logs_purge",
    "phi_access_record",
]

logger = logging.getLogger(__name__)


def phi_access_record(
    *,
    actor: User,
    action: str,
    resource_type: str,
    resource_id: int,
    patient: User | int | None = None,
    request: HttpRequest | None = None,
    reason: str | None = None,
    refused: bool = False,
    break_glass: bool = False,
) -> PhiAccessLog:
    """Log one touch of PHI. `patient` is whose data it is (a profile is its own owner's).

    The row becomes the next link of the keyed hash chain, which locks the chain head until
    the surrounding transaction ends: call this after the PHI work, just before returning.
    """
    if patient is None and resource_type == PhiResource.PATIENT_PROFILE:
        patient = resource_id
    patient_id = patient.pk if isinstance(patient, User) else patient
    entry = PhiAccessLog(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        patient_id=patient_id,
        reason=reason,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000] if request else None,
        refused=refused,
        break_glass=break_glass,
    )
    entry.save()
    logger.info(
        "phi access log=%s actor=%s action=%s resource=%s:%s patient=%s refused=%s "
        "break_glass=%s",
        entry.pk, actor.pk, action, resource_type, resource_id, patient_id, refused,
        break_glass,
    )
    return entry


# --- Retention ----------------------------------------------------------------------------

_PURGE_LOCK = 0x6865616C74686C6B  # one purge at a time ("healthlk")


def phi_access_logs_purge(*, older_than: datetime.datetime, batch_size: int = 1000) -> int:
    """Delete the oldest rows, older than `older_than` and the retention period; return how many.

    Only the start of the chain goes, up to the first younger row, one batch per
    transaction. Each batch first records a purge anchor (the last purged link), which the
    verifier starts from and without which the database refuses the delete. Interrupted,
    it leaves whole batches done; run again, it carries on.
    """
    retention = datetime.timedelta(days=settings.AUDIT_LOG_RETENTION_DAYS)
    cutoff = min(older_than, timezone.now() - retention)
    total = 0
    while True:
        purged, more = _purge_batch(cutoff, batch_size)
        total += purged
        if not more:
            break
    logger.info("phi access logs purged count=%d cutoff=%s", total, cutoff.isoformat())
    return total


@transaction.atomic
def _purge_batch(cutoff: datetime.datetime, batch_size: int) -> tuple[int, bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PURGE_LOCK])
    last_anchor = PhiAccessChainAnchor.objects.order_by("-chain_seq").first()
    start = last_anchor.chain_seq if last_anchor else 0
    rows = list(
        PhiAccessLog.objects.filter(chain_seq__gt=start).order_by("chain_seq")
        .values_list("chain_seq", "row_hash", "created_at")[:batch_size]
    )
    old = 0
    for _seq, _hash, created_at in rows:
        if created_at >= cutoff:
            break
        old += 1
    if not old:
        return 0, False
    seq, row_hash, _created = rows[old - 1]
    PhiAccessChainAnchor.objects.create(
        chain_seq=seq, row_hash=row_hash, purged_rows=old,
        anchor_hash=chain.anchor_hash(chain_seq=seq, row_hash=row_hash),
    )
    deleted, _ = PhiAccessLog.objects.filter(chain_seq__gt=start, chain_seq__lte=seq).delete()
    return deleted, old == len(rows) == batch_size


# --- Admin changes to accounts ------------------------------------------------------------


@dataclass(frozen=True)
class AdminChange:
    target_id: int
    field: str
    old_value: Any
    new_value: Any


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    return value


def admin_events_record(
    *, actor: User, action: str, changes: Iterable[AdminChange]
) -> list[AdminAuditEvent]:
    """Record admin changes to accounts with old and new values, in the caller's transaction."""
    events = AdminAuditEvent.objects.bulk_create(
        AdminAuditEvent(
            actor=actor, target_id=change.target_id, action=action, field=change.field,
            old_value=_json_value(change.old_value), new_value=_json_value(change.new_value),
        )
        for change in changes
        if change.old_value != change.new_value
    )
    if events:
        logger.info(
            "admin audit actor=%s action=%s events=%d", actor.pk, action, len(events)
        )
    return events
