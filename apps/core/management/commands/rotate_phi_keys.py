"""Re-encrypt every PHI value that is not yet under the current PHI_ENCRYPTION_KEY.

Run after moving the old key into PHI_ENCRYPTION_OLD_KEYS and setting a new current key;
once it reports nothing left, the old key can be retired. Safe to run twice: rows already
under the current key are never touched, so a second run re-encrypts nothing.

Works on raw column values, not through the ORM: a lookup on an encrypted field would
encrypt its operand, and model saves would bump ``updated_at`` and write history rows for a
change that is not one. Each batch is its own transaction and locks its rows with
``FOR UPDATE SKIP LOCKED``, so the portal keeps working while it runs; a row that another
transaction holds is left for the next run and counted as remaining.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from apps.core import crypto
from apps.core.fields import EncryptedTextField

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncryptedTable:
    table: str
    pk: str
    columns: tuple[str, ...]


@dataclass
class TableResult:
    rows: int = 0
    values: int = 0
    remaining: int = 0


def encrypted_tables() -> list[EncryptedTable]:
    """Every table with an EncryptedTextField, history tables of simple-history included."""
    found: dict[str, EncryptedTable] = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        columns = tuple(
            field.column for field in meta.concrete_fields
            if isinstance(field, EncryptedTextField) and field.column
        )
        if columns and meta.pk and meta.pk.column and meta.db_table not in found:
            found[meta.db_table] = EncryptedTable(meta.db_table, meta.pk.column, columns)
    return sorted(found.values(), key=lambda t: t.table)


def quote(connection: Any, name: str) -> str:
    return str(connection.ops.quote_name(name))


def stale_condition(connection: Any, table: EncryptedTable) -> str:
    """SQL matching rows with at least one value not sealed under the current key."""
    return "(" + " OR ".join(
        f"({quote(connection, c)} IS NOT NULL AND {quote(connection, c)} NOT LIKE %s)"
        for c in table.columns
    ) + ")"


class Command(BaseCommand):
    help = "Re-encrypt PHI columns with the current PHI_ENCRYPTION_KEY (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true",
                            help="Decrypt and count what would change; write nothing.")
        parser.add_argument("--batch-size", type=int, default=500,
                            help="Rows per transaction (default 500).")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        dry_run: bool = options["dry_run"]
        connection = connections[options["database"]]
        ring = crypto.key_ring()
        started = time.monotonic()
        logger.info("phi key rotation started current_key=%s dry_run=%s",
                    ring.current_id, dry_run)

        total = TableResult()
        for table in encrypted_tables():
            result = self.rotate_table(connection, table, batch_size=batch_size,
                                       dry_run=dry_run)
            total.rows += result.rows
            total.values += result.values
            total.remaining += result.remaining
            verb = "would re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(
                f"{table.table}: {verb} {result.rows} rows ({result.values} values)"
                + (f", {result.remaining} locked rows left for the next run"
                   if result.remaining else "")
            )
            logger.info("phi key rotation table=%s rows=%s values=%s remaining=%s",
                        table.table, result.rows, result.values, result.remaining)

        logger.info("phi key rotation finished rows=%s values=%s remaining=%s seconds=%.1f",
                    total.rows, total.values, total.remaining, time.monotonic() - started)
        summary = (f"Total: {total.rows} rows ({total.values} values) "
                   f"{'would be re-encrypted' if dry_run else 're-encrypted'} "
                   f"under key {ring.current_id}.")
        if total.remaining:
            self.stdout.write(self.style.WARNING(
                f"{summary} {total.remaining} rows were locked; run the command again."))
        else:
            self.stdout.write(self.style.SUCCESS(summary))

    def rotate_table(self, connection: Any, table: EncryptedTable, *, batch_size: int,
                     dry_run: bool) -> TableResult:
        current = crypto.key_ring().current_id
        not_current = f"{crypto.PREFIX}:{current}:%"
        pk, name = quote(connection, table.pk), quote(connection, table.table)
        columns = ", ".join(quote(connection, c) for c in table.columns)
        condition = stale_condition(connection, table)
        params = [not_current] * len(table.columns)
        lock = "" if dry_run else " FOR UPDATE SKIP LOCKED"
        # Keyset pagination: the first batch has no lower bound, later ones start after it.
        select = f"SELECT {pk}, {columns} FROM {name} WHERE "  # noqa: S608 - quoted names
        rest = f"{condition} ORDER BY {pk} LIMIT %s{lock}"
        first, after = select + rest, select + f"{pk} > %s AND " + rest
        assignments = ", ".join(f"{quote(connection, c)} = %s" for c in table.columns)
        update = f"UPDATE {name} SET {assignments} WHERE {pk} = %s"  # noqa: S608

        result = TableResult()
        last_pk: Any = None
        while True:
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                if last_pk is None:
                    cursor.execute(first, [*params, batch_size])
                else:
                    cursor.execute(after, [last_pk, *params, batch_size])
                rows = cursor.fetchall()
                for row_pk, *stored in rows:
                    resealed = [self.reseal(table, row_pk, col, value)
                                for col, value in zip(table.columns, stored, strict=True)]
                    result.rows += 1
                    result.values += sum(new != old for new, old in zip(resealed, stored,
                                                                        strict=True))
                    if not dry_run:
                        cursor.execute(update, [*resealed, row_pk])
            if len(rows) < batch_size:
                break
            last_pk = rows[-1][0]

        if not dry_run:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {name} WHERE {condition}",  # noqa: S608
                               params)
                result.remaining = cursor.fetchone()[0]
        return result

    def reseal(self, table: EncryptedTable, row_pk: Any, column: str,
               stored: str | None) -> str | None:
        """The value under the current key; refuses anything it cannot decrypt first."""
        if stored is None:
            return None
        try:
            if crypto.is_current(stored):
                return stored
            plaintext = crypto.decrypt(stored)
            resealed = crypto.encrypt(plaintext)
            if crypto.decrypt(resealed) != plaintext:  # never write what cannot be read back
                raise crypto.DecryptionError("re-encrypted value does not read back")
        except crypto.DecryptionError as exc:
            logger.error("phi key rotation stopped table=%s id=%s column=%s",
                         table.table, row_pk, column)
            raise CommandError(
                f"Cannot decrypt {table.table} id={row_pk} column {column}: {exc}. "
                "Nothing was written for its batch; configure the missing key in "
                "PHI_ENCRYPTION_OLD_KEYS or repair the row, then run again."
            ) from exc
        return resealed
