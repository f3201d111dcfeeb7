"""Prepared statements for the booking path's hand-written SQL.

Django's own cursors bind parameters on the client (psycopg's ClientCursor) and never
prepare: every statement is parsed and planned by PostgreSQL each time. The few fixed
statements a booking runs (the doctor's row, the patient's lock, the booking facts, the
appointment with its history row) go through `prepared_cursor()` instead: a server-binding
cursor that asks psycopg to prepare each statement once per connection, so PostgreSQL
skips the parse and plan on every later booking served by that connection.

It is still a Django cursor (CursorWrapper): the execute wrappers, query logging and
assertNumQueries see its statements, and database errors arrive as django.db errors.
Preparing needs `prepare_threshold` set on the connection (healthlink/settings.py sets it;
psycopg turns preparing off when it is None, which Django's default is, e.g. behind a
transaction-pooling pgbouncer); without it the same statements run unprepared.
psycopg forgets its prepared statements after a ROLLBACK on the connection and prepares
them again on next use.
"""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection
from django.db.backends.utils import CursorWrapper


class _PreparedCursor(psycopg.Cursor[Any]):
    """Server-side binding; each statement prepared the first time this connection runs it."""

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None,
        binary: bool | None = None,
    ) -> _PreparedCursor:
        super().execute(query, params, prepare=True if prepare is None else prepare,
                        binary=binary)
        return self

    def _send_query_prepared(self, name: bytes, pgq: Any, *, binary: bool | None = None) -> None:
        # psycopg records the statement it sends only when it is not prepared; Django's
        # query log (CursorDebugWrapper, via last_executed_query) reads that record.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


def prepared_cursor() -> CursorWrapper:
    """Like django.db.connection.cursor(), for statements worth preparing (see above)."""
    # The same steps as BaseDatabaseWrapper._cursor(), with this cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _PreparedCursor(connection.connection)
        return connection._prepare_cursor(raw)  # type: ignore[attr-defined,no-any-return]
