"""Walk the PHI access chain and find the first row that is not what the chain says.

Reads the table in id order, a batch at a time, so memory stays flat on millions of rows.
It reports ids and chain positions only: rows hold reasons, which may hold PHI.
"""

from __future__ import annotations

import hmac
from collections import deque
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from apps.audit import chain
from apps.audit.models import PhiAccessChainAnchor, PhiAccessLog

EDITED = "edited"
INSERTED = "inserted"
REMOVED = "removed"

_COLUMNS = (*chain.CHAINED_FIELDS, "row_hash")
Row = dict[str, Any]


@dataclass(frozen=True)
class ChainBreak:
    kind: str  # EDITED, INSERTED or REMOVED
    row_id: int | None  # the first row that shows it; None for rows missing at the end
    chain_seq: int | None
    detail: str  # ids and positions only, never a column's content


@dataclass(frozen=True)
class ChainReport:
    rows: int
    first_seq: int
    last_seq: int
    last_hash: str
    problem: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.problem is None


class _Rows:
    """The rows in id order, in batches; the last stretch is read with the head held.

    Holding the head FOR SHARE keeps writers out for that short stretch, so the head read
    then is the true end of the chain: rows cut off the end are not taken for rows that are
    still being written.
    """

    def __init__(self, batch_size: int, stack: ExitStack) -> None:
        self.batch_size = batch_size
        self.stack = stack
        self.head: tuple[int, str, str] | None = None
        self._locked = False
        self._buffer: deque[Row] = deque()
        self._last_id = 0
        self._done = False

    def _fill(self) -> None:
        while not self._buffer and not self._done:
            batch = list(
                PhiAccessLog.objects.filter(id__gt=self._last_id).order_by("id")
                .values(*_COLUMNS)[: self.batch_size]
            )
            if batch:
                self._last_id = batch[-1]["id"]
                self._buffer.extend(batch)
            elif not self._locked:
                self.stack.enter_context(transaction.atomic())
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT chain_seq, row_hash, seal FROM phi_access_chain_head "
                        "WHERE id = 1 FOR SHARE"
                    )
                    self.head = cursor.fetchone()
                self._locked = True
            else:
                self._done = True

    def peek(self) -> Row | None:
        self._fill()
        return self._buffer[0] if self._buffer else None

    def __iter__(self) -> Iterator[Row]:
        while self.peek() is not None:
            yield self._buffer.popleft()


def _start() -> tuple[int, str, ChainBreak | None]:
    """Where the chain begins: after the newest purge anchor, or at the very start."""
    anchor = PhiAccessChainAnchor.objects.order_by("-chain_seq").first()
    if anchor is None:
        return 0, chain.GENESIS_HASH, None
    expected = chain.anchor_hash(chain_seq=anchor.chain_seq, row_hash=anchor.row_hash)
    if not hmac.compare_digest(expected, anchor.anchor_hash):
        return 0, chain.GENESIS_HASH, ChainBreak(
            INSERTED, None, anchor.chain_seq,
            f"purge anchor {anchor.pk} is not sealed with the chain key",
        )
    return anchor.chain_seq, anchor.row_hash, None


def chain_verify(*, batch_size: int = 5000) -> ChainReport:
    """Check every row's hash and link; stop at the first that does not fit."""
    seq, previous, problem = _start()
    first_seq, count = seq + 1, 0
    with ExitStack() as stack:
        rows = _Rows(batch_size, stack)
        if problem is None:
            for row in rows:
                problem = _check(row, seq, previous, rows)
                if problem is not None:
                    break
                seq, previous, count = row["chain_seq"], row["row_hash"], count + 1
            else:
                problem = _check_end(rows.head, seq, previous, count)
    return ChainReport(count, first_seq, seq, previous, problem)


def _check(row: Row, seq: int, previous: str, rows: _Rows) -> ChainBreak | None:
    sealed = hmac.compare_digest(chain.row_hash(row), row["row_hash"])
    linked = row["chain_seq"] == seq + 1 and row["prev_hash"] == previous
    if sealed and linked:
        return None
    where = f"row {row['id']} (chain position {row['chain_seq']})"
    if sealed:
        # A genuine row in the wrong place: rows before it are gone, or it was moved.
        if row["chain_seq"] > seq + 1:
            missing = row["chain_seq"] - seq - 1
            return ChainBreak(
                REMOVED, row["id"], row["chain_seq"],
                f"{missing} row(s) missing before {where}; the chain continued from "
                f"position {seq}",
            )
        return ChainBreak(INSERTED, row["id"], row["chain_seq"],
                          f"{where} does not link to position {seq}")
    # Not sealed by the key: an edited row still sits in the chain (the next row links to
    # it); a row put in from outside is passed by (the next row links to the one before).
    following = rows.peek()
    if following is not None:
        passed_by = following["prev_hash"] == previous and following["chain_seq"] == seq + 1
    else:
        passed_by = rows.head is not None and rows.head[:2] == (seq, previous)
    if passed_by:
        return ChainBreak(INSERTED, row["id"], row["chain_seq"],
                          f"{where} was not written by the application")
    return ChainBreak(EDITED, row["id"], row["chain_seq"],
                      f"the content of {where} does not match its hash")


def _check_end(
    head: tuple[int, str, str] | None, seq: int, previous: str, count: int
) -> ChainBreak | None:
    if head is None:
        return ChainBreak(REMOVED, None, seq + 1,
                          "the chain head row is missing (rows may be cut off the end)")
    head_seq, head_hash, seal = head
    if not hmac.compare_digest(chain.head_seal(chain_seq=head_seq, row_hash=head_hash), seal):
        return ChainBreak(REMOVED, None, seq + 1,
                          "the chain head is not sealed with the chain key (it was moved: "
                          "rows may be cut off the end)")
    if head_seq == seq and hmac.compare_digest(head_hash, previous):
        return None
    if head_seq > seq:
        return ChainBreak(REMOVED, None, seq + 1,
                          f"{head_seq - seq} row(s) missing at the end, after position {seq}")
    return ChainBreak(REMOVED, None, seq,
                      f"the chain head (position {head_seq}) does not match position {seq}")
