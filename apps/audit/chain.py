"""The keyed hash chain over phi_access_logs.

Each row stores `row_hash = HMAC-SHA256(AUDIT_CHAIN_KEY, canonical content)`, where the
content includes the row's id, its place in the chain (`chain_seq`) and the previous row's
hash (`prev_hash`). The key lives only in the application's environment, so someone with
the database alone cannot edit a row, insert one or take one out without the verifier
(`manage.py audit_verify`) noticing at that row.

Concurrency: a writer takes the one-row chain head (phi_access_chain_head) with an UPDATE,
which locks it until the writer's transaction ends, reads the previous hash and the next
sequence number from it, inserts its row and moves the head on. A second writer waits on
the head row, then sees the first one's committed head; if the first rolled back, the head
is as it was and the second links to the row before. The UNIQUE chain_seq makes a fork
impossible even if this protocol were bypassed.

Trade-off: the lock is held from the log insert to the end of the surrounding transaction,
so transactions that touch PHI commit one after another from that point on. The insert
therefore happens as late as the caller can make it (phi_access_record runs after the
PHI work), and the lock covers three short statements when there is no outer transaction.
Log writes are serialised across the whole site; at a few milliseconds per link that is
hundreds of PHI touches a second, far above what the portal sees.
A chain sealed later by a background job would hold no lock in requests, but its rows
would sit unsealed, and editable, until then; a log that is correct at commit was chosen.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, transaction

if TYPE_CHECKING:
    from apps.audit.models import PhiAccessLog

GENESIS_HASH = "0" * 64

# The columns a row's hash covers, in the order the verifier reads them.
CHAINED_FIELDS = (
    "id", "chain_seq", "prev_hash", "created_at", "actor_id", "patient_id", "action",
    "resource_type", "resource_id", "reason", "ip_address", "user_agent", "refused",
    "break_glass",
)


def _key() -> bytes:
    key = settings.AUDIT_CHAIN_KEY
    if not key:
        raise ImproperlyConfigured(
            "AUDIT_CHAIN_KEY is not set (development: python scripts/dev_keys.py "
            "var/dev-keys.env adds it)."
        )
    return base64.b64decode(key)


def _mac(purpose: bytes, message: bytes) -> str:
    return hmac.new(_key(), purpose + b"\x00" + message, hashlib.sha256).hexdigest()


def canonical(values: Mapping[str, Any]) -> bytes:
    """The bytes a row's hash covers: its chained columns as sorted, compact JSON."""
    body: dict[str, Any] = {}
    for name in CHAINED_FIELDS:
        value = values[name]
        if isinstance(value, datetime.datetime):
            value = value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
        elif isinstance(value, str):
            value = str(value)  # TextChoices members hash as their plain value
        body[name] = value
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(values: Mapping[str, Any]) -> str:
    return _mac(b"phi_access_logs", canonical(values))


def anchor_hash(*, chain_seq: int, row_hash: str) -> str:
    """The seal of a purge anchor, so that nobody without the key can add one."""
    return _mac(b"phi_access_chain_anchors", f"{chain_seq}:{row_hash}".encode())


def head_seal(*, chain_seq: int, row_hash: str) -> str:
    """The seal of the chain head: without the key nobody can move it back over cut rows."""
    return _mac(b"phi_access_chain_head", f"{chain_seq}:{row_hash}".encode())


class AuditChainBroken(OperationalError):
    """The chain head is gone while links exist: someone removed it. PHI waits (a 503).

    An OperationalError so that the outage middleware answers 503: no PHI is served while
    its access cannot be written to an intact trail.
    """


def _values(entry: PhiAccessLog) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in CHAINED_FIELDS}


# The head is made once, sealed, by a migration (audit 0008). It is never made again at run
# time: a missing head, or one whose seal does not match, means someone edited the chain's
# end, and writing on would paper over it. Such writes are refused (AuditChainBroken).


# The UPDATE locks the head until this transaction ends. RETURNING gives the new sequence
# number, still the previous row's hash (set below), the row's id and the time, both taken
# under the lock so that id order and time order follow the chain (one clock: the database's).
_HEAD_ADVANCE = """
    UPDATE phi_access_chain_head SET chain_seq = chain_seq + 1 WHERE id = 1
    RETURNING chain_seq, row_hash, seal,
              nextval(pg_get_serial_sequence('phi_access_logs', 'id')), clock_timestamp()
"""


@transaction.atomic(savepoint=False)
def link(entry: PhiAccessLog, insert: Callable[[], None]) -> None:
    """Give `entry` its place in the chain and insert it with `insert()`."""
    _key()  # fail before taking the lock
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_ADVANCE)
        head = cursor.fetchone()
        if head is None:
            raise AuditChainBroken("The PHI access chain head is missing; run audit_verify.")
        seq, previous, seal, entry.id, entry.created_at = head
        if not hmac.compare_digest(head_seal(chain_seq=seq - 1, row_hash=previous), seal):
            raise AuditChainBroken("The PHI access chain head is not sealed; run audit_verify.")
        entry.chain_seq, entry.prev_hash = seq, previous
        entry.row_hash = row_hash(_values(entry))
        insert()
        cursor.execute(
            "UPDATE phi_access_chain_head SET row_hash = %s, seal = %s WHERE id = 1",
            [entry.row_hash, head_seal(chain_seq=entry.chain_seq, row_hash=entry.row_hash)],
        )
