"""The migrated database matches the binding schema document, docs/schema-seed.md.

The document's markdown is parsed generically: tables, columns, types, constraints,
defaults, named and composite indexes, enumerated values, role-specific and encrypted
columns. The only expectations written here are how document types map onto PostgreSQL
and the deviations the project documents (DEVIATIONS below). A change on either side,
document or migrations, fails this module.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.core.fields import EncryptedTextField

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_DOC = REPO_ROOT / "docs" / "schema-seed.md"
SHARED_SEED_DIR = REPO_ROOT.parent / "shared" / "seed"
# The binding copy; changing the specification is a deliberate act that updates this pin.
SEED_SHA256 = "14af64e218b3c3e7085ca348fa0a7d656647dd1b30ce23ed4e7056f4781ea279"

# --- How document types map onto PostgreSQL (format_type output) ----------------------
TYPE_MAP: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^BIGINT$"), "bigint"),
    (re.compile(r"^INT$"), "integer"),
    (re.compile(r"^TEXT$"), "text"),
    (re.compile(r"^TEXT\[\]$"), "text[]"),
    (re.compile(r"^VARCHAR\((\d+)\)$"), r"character varying(\1)"),
    (re.compile(r"^VARCHAR\((\d+)\)\[\]$"), r"character varying(\1)[]"),
    # Documented: every timestamp is stored in UTC, so PostgreSQL keeps it with time zone.
    (re.compile(r"^TIMESTAMP$"), "timestamp with time zone"),
    (re.compile(r"^DATE$"), "date"),
    (re.compile(r"^BOOLEAN$"), "boolean"),
    (re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$"), r"numeric(\1,\2)"),
    (re.compile(r"^JSONB$"), "jsonb"),
]


def pg_type(doc_type: str) -> str:
    for pattern, replacement in TYPE_MAP:
        if pattern.match(doc_type):
            return pattern.sub(replacement, doc_type)
    raise AssertionError(f"schema document uses an unmapped type {doc_type!r}")


# --- Deviations the project documents --------------------------------------------------
# Ciphertext (key id, nonce, tag, base64) outgrows VARCHAR(50): encrypted columns are text.
ENCRYPTED_TYPE = "text"
# A UNIQUE on randomized ciphertext would enforce nothing. users.cnic is unique through the
# keyed HMAC of its normalized digits beside it (DESIGN.md, PHI).
UNIQUE_CARRIED_BY = {("users", "cnic"): "cnic_blind_index"}
# Django's Now() renders as STATEMENT_TIMESTAMP() on PostgreSQL; like NOW() it is the
# database's current time, taken per statement rather than per transaction.
CURRENT_TIME_DEFAULTS = {"now()", "statement_timestamp()", "transaction_timestamp()",
                         "current_timestamp"}
# The document names payment_dispute_history in its relationships summary only; issue 2
# fixes its columns.
DISPUTE_HISTORY_COLUMNS = {
    "id": ("bigint", None),
    "dispute_id": ("bigint", ("payment_disputes", "id")),
    "from_status": ("character varying(50)", None),
    "to_status": ("character varying(50)", None),
    "changed_by": ("bigint", ("users", "id")),
    "note": ("text", None),
    "created_at": ("timestamp with time zone", None),
}

# --- Parsing the document --------------------------------------------------------------
TABLE_HEADING = re.compile(r"^#{3,4} .*\(`(\w+)`\)\s*$")
COLUMN_ROW = re.compile(r"^\|\s*`(\w+)`\s*\|([^|]*)\|([^|]*)\|(.*)\|\s*$")
INDEX_BULLET = re.compile(r"^- .*?`(idx_\w+)`\s*\(([\w,\s]+)\)")
ENUM_LIST = re.compile(r"\(([A-Z][A-Z_]*(?:,\s*[A-Z][A-Z_]*)+)\)")
FK = re.compile(r"^FK \((\w+)\.(\w+)\)$")
DEFAULT = re.compile(r"^DEFAULT (.+)$")
ROLE_BULLET = re.compile(r"^- \*\*(\w+)\*\*:\s*(.+)$")
ROLE_COLUMN = re.compile(r"`(\w+)`(?:\s*\(([^)]*)\))?")
COMPOSITE = re.compile(r"`\(([\w,\s]+)\)` on `(\w+)` table")
QUALIFIED = re.compile(r"^- `(\w+)\.(\w+)`")
KNOWN_FLAGS = {"NOT NULL", "UNIQUE", "PRIMARY KEY", "AUTO_INCREMENT", "ENCRYPTED"}


@dataclass
class Column:
    table: str
    name: str
    doc_type: str
    not_null: bool = False
    unique: bool = False
    primary_key: bool = False
    encrypted: bool = False
    fk: tuple[str, str] | None = None
    default: str | None = None
    enum: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.table}.{self.name}"


@dataclass
class RoleColumn:
    role: str
    name: str
    encrypted: bool = False
    fk_table: str | None = None


@dataclass
class Spec:
    columns: dict[str, list[Column]] = field(default_factory=dict)
    indexes: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    role_columns: list[RoleColumn] = field(default_factory=list)
    composites: list[tuple[str, list[str]]] = field(default_factory=list)
    encrypted_fields: list[tuple[str, str]] = field(default_factory=list)

    @property
    def tables(self) -> list[str]:
        return list(self.columns)

    def all_columns(self) -> list[Column]:
        return [column for columns in self.columns.values() for column in columns]


def split_names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def parse_constraints(column: Column, text: str) -> None:
    for token in split_names(text):
        if token in KNOWN_FLAGS:
            setattr(column, {"NOT NULL": "not_null", "UNIQUE": "unique",
                             "PRIMARY KEY": "primary_key", "ENCRYPTED": "encrypted",
                             "AUTO_INCREMENT": "primary_key"}[token], True)
        elif match := FK.match(token):
            column.fk = (match[1], match[2])
        elif match := DEFAULT.match(token):
            column.default = match[1].strip()
        else:
            raise AssertionError(f"{column.id}: unknown constraint {token!r} in the document")


def parse_table_section(spec: Spec, table: str, lines: list[str]) -> None:
    columns: list[Column] = []
    in_role_block = False
    for line in lines:
        if match := COLUMN_ROW.match(line):
            name, doc_type, constraints, description = (part.strip() for part in match.groups())
            column = Column(table=table, name=name, doc_type=doc_type)
            parse_constraints(column, constraints)
            if enum := ENUM_LIST.search(description):
                column.enum = split_names(enum[1])
            columns.append(column)
        elif match := INDEX_BULLET.match(line):
            assert match[1] not in spec.indexes, f"index {match[1]} is documented twice"
            spec.indexes[match[1]] = (table, split_names(match[2]))
        elif line.startswith("**Role-Specific Columns"):
            in_role_block = True
        elif in_role_block and (match := ROLE_BULLET.match(line)):
            for name, note in ROLE_COLUMN.findall(match[2]):
                fk_table = re.match(r"FK to (\w+)", note)
                spec.role_columns.append(RoleColumn(
                    role=match[1], name=name, encrypted=note == "encrypted",
                    fk_table=fk_table[1] if fk_table else None,
                ))
        elif in_role_block and line.strip() and not line.startswith("- "):
            in_role_block = False
    assert columns, f"section for {table} has no column table"
    spec.columns[table] = columns


def parse_spec(text: str) -> Spec:
    spec = Spec()
    current: str | None = None
    section: list[str] = []
    lines = text.splitlines()
    for line in [*lines, "# end"]:
        if line.startswith("#"):
            if current is not None:
                parse_table_section(spec, current, section)
            heading = TABLE_HEADING.match(line)
            current, section = (heading[1] if heading else None), []
        elif current is not None:
            section.append(line)
    for line in lines:
        if match := COMPOSITE.search(line):
            spec.composites.append((match[2], split_names(match[1])))
    encrypted_block = text.split("**Encrypted Fields:**", 1)[1].split("\n\n", 1)[0]
    spec.encrypted_fields = [
        (match[1], match[2]) for match in map(QUALIFIED.match, encrypted_block.splitlines())
        if match
    ]
    return spec


SPEC = parse_spec(SEED_DOC.read_text(encoding="utf-8"))
ENUM_COLUMNS = [column for column in SPEC.all_columns() if column.enum]


# --- Reading the database catalog -----------------------------------------------------
@dataclass
class DbColumn:
    type: str
    not_null: bool
    default: str | None
    identity: bool


@dataclass
class Catalog:
    columns: dict[str, dict[str, DbColumn]]
    # (table, kind, columns, referenced table, referenced columns)
    constraints: list[tuple[str, str, list[str], str | None, list[str]]]
    # index name -> (table, key columns, unique, partial)
    indexes: dict[str, tuple[str, list[str | None], bool, bool]]

    def unique_on(self, table: str, columns: list[str]) -> bool:
        by_constraint = any(
            t == table and kind in ("u", "p") and cols == columns
            for t, kind, cols, _, _ in self.constraints
        )
        by_index = any(
            t == table and unique and not partial and cols == columns
            for t, cols, unique, partial in self.indexes.values()
        )
        return by_constraint or by_index

    def foreign_key(self, table: str, column: str) -> list[tuple[str | None, list[str]]]:
        return [
            (ref_table, ref_cols) for t, kind, cols, ref_table, ref_cols in self.constraints
            if t == table and kind == "f" and cols == [column]
        ]

    def has_index_led_by(self, table: str, column: str) -> bool:
        return any(t == table and cols[:1] == [column] for t, cols, _, _ in self.indexes.values())


def fetch(sql: str) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


def load_catalog() -> Catalog:
    columns: dict[str, dict[str, DbColumn]] = {}
    for table, name, type_, not_null, default, identity in fetch("""
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid), a.attidentity <> ''
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'
          AND a.attnum > 0 AND NOT a.attisdropped
    """):
        columns.setdefault(table, {})[name] = DbColumn(type_, not_null, default, identity)
    constraints = [(table, kind, list(cols), ref_table, list(ref_cols or []))
                   for table, kind, cols, ref_table, ref_cols in fetch("""
        SELECT c.relname, con.contype::text,
               ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n
                     ORDER BY k.o),
               fc.relname::text,
               ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                     JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n
                     ORDER BY k.o)
        FROM pg_constraint con
        JOIN pg_class c ON c.oid = con.conrelid
        LEFT JOIN pg_class fc ON fc.oid = con.confrelid
        WHERE c.relnamespace = current_schema()::regnamespace
    """)]
    indexes = {name: (table, list(cols)[:key_count], unique, partial)
               for name, table, cols, key_count, unique, partial in fetch("""
        SELECT i.relname, t.relname,
               ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(n, o)
                     LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n
                     ORDER BY k.o),
               x.indnkeyatts, x.indisunique, x.indpred IS NOT NULL
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = current_schema()::regnamespace
    """)}
    return Catalog(columns, constraints, indexes)


@pytest.fixture(scope="module")
def catalog(django_db_setup: None, django_db_blocker: Any) -> Catalog:
    with django_db_blocker.unblock():
        try:
            return load_catalog()
        finally:
            # Opened outside any test: close it, or the test database cannot be dropped.
            connection.close()


def normalize_default(expression: str) -> str:
    """`'PENDING'::character varying` -> `'pending'`; `NOW()` -> `now()`."""
    without_casts = re.sub(r"::[a-z ]+(\(\d+(,\d+)?\))?(\[\])?", "", expression.strip().lower())
    return without_casts.strip("()") if without_casts.startswith("(") else without_casts


def column_id(column: Column) -> str:
    return column.id


# --- The document itself ---------------------------------------------------------------
def test_seed_copy_is_the_pinned_binding_specification() -> None:
    digest = hashlib.sha256(SEED_DOC.read_bytes()).hexdigest()

    assert digest == SEED_SHA256, "docs/schema-seed.md differs from the binding specification"


def test_seed_copy_is_identical_to_the_shared_seed_when_present() -> None:
    if not SHARED_SEED_DIR.is_dir():
        # Outside the workspace only the pinned digest above can be checked.
        assert hashlib.sha256(SEED_DOC.read_bytes()).hexdigest() == SEED_SHA256
        return
    originals = sorted(SHARED_SEED_DIR.glob("000_*.txt"))

    assert len(originals) == 1, f"expected one 000_*.txt seed, found {originals}"
    assert SEED_DOC.read_bytes() == originals[0].read_bytes()


def test_parser_finds_the_whole_document() -> None:
    # A parser that silently finds nothing would make every test below vacuous.
    assert len(SPEC.tables) >= 12, f"parsed only {len(SPEC.tables)} tables: {SPEC.tables}"
    assert len(SPEC.all_columns()) >= 100
    assert len(SPEC.indexes) >= 30
    assert len(SPEC.composites) == 3
    assert len(ENUM_COLUMNS) >= 15
    assert len(SPEC.encrypted_fields) >= 7
    assert {column.role for column in SPEC.role_columns} == {
        "Patient", "Doctor", "Staff", "Organization"}
    assert all(any(c.primary_key for c in SPEC.columns[t]) for t in SPEC.tables)


def test_encrypted_fields_list_agrees_with_the_table_markings() -> None:
    marked = {(c.table, c.name) for c in SPEC.all_columns() if c.encrypted}
    marked |= {("users", c.name) for c in SPEC.role_columns if c.encrypted}

    assert marked == set(SPEC.encrypted_fields)


# --- Tables and columns ----------------------------------------------------------------
@pytest.mark.parametrize("table", [*SPEC.tables, "payment_dispute_history"])
def test_table_exists(catalog: Catalog, table: str) -> None:
    assert table in catalog.columns


@pytest.mark.parametrize("column", SPEC.all_columns(), ids=column_id)
def test_column_exists_with_documented_type(catalog: Catalog, column: Column) -> None:
    db_column = catalog.columns.get(column.table, {}).get(column.name)

    assert db_column is not None, f"{column.id} is missing"
    allowed = {pg_type(column.doc_type)} | ({ENCRYPTED_TYPE} if column.encrypted else set())
    assert db_column.type in allowed, f"{column.id} is {db_column.type}, expected {allowed}"


@pytest.mark.parametrize("column", SPEC.all_columns(), ids=column_id)
def test_column_nullability_matches(catalog: Catalog, column: Column) -> None:
    db_column = catalog.columns[column.table][column.name]

    if column.not_null or column.primary_key:
        assert db_column.not_null, f"{column.id} must be NOT NULL"
    elif column.default is None:
        # Optional in the document; only a column with a default may be stricter.
        assert not db_column.not_null, f"{column.id} is documented as optional"


@pytest.mark.parametrize("column", [c for c in SPEC.all_columns() if c.primary_key],
                         ids=column_id)
def test_primary_key_is_generated(catalog: Catalog, column: Column) -> None:
    db_column = catalog.columns[column.table][column.name]

    assert catalog.unique_on(column.table, [column.name])
    assert any(kind == "p" and t == column.table and cols == [column.name]
               for t, kind, cols, _, _ in catalog.constraints)
    assert db_column.identity or (db_column.default or "").startswith("nextval(")


@pytest.mark.parametrize("column", [c for c in SPEC.all_columns() if c.unique],
                         ids=column_id)
def test_unique_columns_are_unique(catalog: Catalog, column: Column) -> None:
    carrier = UNIQUE_CARRIED_BY.get((column.table, column.name), column.name)

    assert catalog.unique_on(column.table, [carrier]), f"{column.id} is not UNIQUE"


@pytest.mark.parametrize("column", [c for c in SPEC.all_columns() if c.fk], ids=column_id)
def test_foreign_keys_reference_the_documented_target(catalog: Catalog, column: Column) -> None:
    assert column.fk is not None
    target_table, target_column = column.fk

    assert catalog.foreign_key(column.table, column.name) == [(target_table, [target_column])]


@pytest.mark.parametrize("column", [c for c in SPEC.all_columns() if c.fk], ids=column_id)
def test_foreign_key_columns_are_indexed(catalog: Catalog, column: Column) -> None:
    # "All foreign key columns have non-clustered indexes for join performance."
    assert catalog.has_index_led_by(column.table, column.name)


@pytest.mark.parametrize("column", [c for c in SPEC.all_columns() if c.default],
                         ids=column_id)
def test_documented_defaults_exist_in_the_database(catalog: Catalog, column: Column) -> None:
    assert column.default is not None
    db_default = catalog.columns[column.table][column.name].default

    assert db_default is not None, f"{column.id} has no database default"
    expected, actual = normalize_default(column.default), normalize_default(db_default)
    if expected == "now()":
        assert actual in CURRENT_TIME_DEFAULTS, f"{column.id} defaults to {db_default}"
    else:
        assert actual == expected, f"{column.id} defaults to {db_default}"


def test_default_normalization_tells_values_apart() -> None:
    assert normalize_default("'PENDING'::character varying") == "'pending'"
    assert normalize_default("'PKR'::character varying(10)") != "'pending'"
    assert normalize_default("STATEMENT_TIMESTAMP()") == "statement_timestamp()"
    assert normalize_default("false") != normalize_default("true")


@pytest.mark.parametrize("column", SPEC.role_columns, ids=lambda c: f"{c.role}.{c.name}")
def test_role_specific_user_columns_exist(catalog: Catalog, column: RoleColumn) -> None:
    db_column = catalog.columns["users"].get(column.name)

    assert db_column is not None, f"users.{column.name} ({column.role}) is missing"
    assert not db_column.not_null or db_column.default is not None, (
        f"users.{column.name} only applies to {column.role}s and must be optional")
    if column.encrypted:
        assert db_column.type == ENCRYPTED_TYPE
    if column.fk_table:
        assert catalog.foreign_key("users", column.name) == [(column.fk_table, ["id"])]


@pytest.mark.parametrize(("table", "column"), SPEC.encrypted_fields,
                         ids=[f"{t}.{c}" for t, c in SPEC.encrypted_fields])
def test_documented_encrypted_columns_use_the_encrypted_field(table: str, column: str) -> None:
    fields = [
        f for model in apps.get_models() if model._meta.db_table == table
        for f in model._meta.concrete_fields if f.column == column
    ]

    assert fields, f"no model maps {table}.{column}"
    assert all(isinstance(f, EncryptedTextField) for f in fields)


def test_payment_dispute_history_has_its_columns(catalog: Catalog) -> None:
    columns = catalog.columns["payment_dispute_history"]

    for name, (type_, fk) in DISPUTE_HISTORY_COLUMNS.items():
        assert name in columns, f"payment_dispute_history.{name} is missing"
        assert columns[name].type == type_
        if fk:
            assert catalog.foreign_key("payment_dispute_history", name) == [(fk[0], [fk[1]])]
    assert columns["dispute_id"].not_null
    assert columns["to_status"].not_null
    assert columns["changed_by"].not_null
    assert columns["created_at"].not_null


# --- Indexes ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(SPEC.indexes))
def test_named_index_has_exactly_the_documented_columns(catalog: Catalog, name: str) -> None:
    table, columns = SPEC.indexes[name]

    assert name in catalog.indexes, f"index {name} is missing"
    db_table, db_columns, _, partial = catalog.indexes[name]
    assert (db_table, db_columns) == (table, columns)
    assert not partial


@pytest.mark.parametrize(("table", "columns"), SPEC.composites,
                         ids=[f"{t}({','.join(c)})" for t, c in SPEC.composites])
def test_composite_index_exists(catalog: Catalog, table: str, columns: list[str]) -> None:
    assert any(t == table and cols == columns and not partial
               for t, cols, _, partial in catalog.indexes.values())


# --- Enumerated columns ----------------------------------------------------------------
@pytest.fixture
def one_row_per_table(db: None) -> dict[str, int]:
    """One valid row in every documented table that has an enumerated column."""
    from apps.audit.models import PhiAccessLog
    from apps.notifications.models import Notification
    from apps.payments.models import Payment, PaymentDispute
    from apps.prescriptions.models import Prescription, PrescriptionWarning
    from apps.records.models import FamilyMedicalHistory, MedicalRecord
    from tests import factories

    facility = factories.FacilityFactory.create()
    doctor = factories.DoctorFactory.create(facilities=[facility])
    appointment = factories.AppointmentFactory.create(doctor=doctor, facility=facility)
    patient = appointment.patient
    record = MedicalRecord.objects.create(
        patient=patient, doctor=doctor, appointment=appointment,
        record_type="CONSULTATION", record_date=timezone.now())
    prescription = Prescription.objects.create(
        patient=patient, doctor=doctor, appointment=appointment, valid_until=timezone.now())
    warning = PrescriptionWarning.objects.create(
        prescription=prescription, warning_type="ALLERGY", severity="LOW", message="m")
    payment = Payment.objects.create(
        appointment=appointment, payer=patient, payee=doctor, amount="1500.00",
        payment_method="JAZZCASH", status="PENDING")
    dispute = PaymentDispute.objects.create(
        payment=payment, raised_by=patient, reason="r", status="PENDING")
    notification = Notification.objects.create(
        user=patient, type="APPOINTMENT_REMINDER", title="t", message="m")
    history = FamilyMedicalHistory.objects.create(patient=patient, relation="PARENT")
    log = PhiAccessLog.objects.create(
        actor=doctor, action="VIEW", resource_type="MEDICAL_RECORD", resource_id=record.pk)
    return {
        "users": patient.pk, "appointments": appointment.pk, "medical_records": record.pk,
        "prescriptions": prescription.pk, "prescription_warnings": warning.pk,
        "payments": payment.pk, "payment_disputes": dispute.pk, "facilities": facility.pk,
        "notifications": notification.pk, "family_medical_history": history.pk,
        "phi_access_logs": log.pk,
    }


# Audit tables refuse UPDATE by trigger (apps/audit/migrations/0005_phi_access_logs_append_only).
APPEND_ONLY_TABLES = {"phi_access_logs"}

# Short enough for the narrowest enumerated column (VARCHAR(20)), so only the CHECK refuses it.
UNDOCUMENTED = "BOGUS"


def set_value(table: str, column: str, pk: int, value: str, *, array: bool) -> None:
    placeholder = "ARRAY[%s]::varchar(100)[]" if array else "%s"
    with transaction.atomic(), connection.cursor() as cursor:
        if table in APPEND_ONLY_TABLES:
            # Its trigger refuses every UPDATE; only superuser powers get to the CHECK.
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(
            f'UPDATE "{table}" SET "{column}" = {placeholder} WHERE id = %s',
            [value, pk],
        )
        updated = cursor.rowcount
        if table in APPEND_ONLY_TABLES:
            cursor.execute("SET LOCAL session_replication_role = origin")
        assert updated == 1


@pytest.mark.parametrize("column", ENUM_COLUMNS, ids=column_id)
def test_enumerated_column_rejects_an_undocumented_value(
    catalog: Catalog, one_row_per_table: dict[str, int], column: Column
) -> None:
    assert column.table in one_row_per_table, f"add a {column.table} row to the fixture"
    array = catalog.columns[column.table][column.name].type.endswith("[]")

    with pytest.raises(IntegrityError) as caught:
        set_value(column.table, column.name, one_row_per_table[column.table],
                  UNDOCUMENTED, array=array)

    assert getattr(caught.value.__cause__, "sqlstate", None) == "23514"  # check_violation


@pytest.mark.parametrize("column", ENUM_COLUMNS, ids=column_id)
def test_enumerated_column_accepts_every_documented_value(
    catalog: Catalog, one_row_per_table: dict[str, int], column: Column
) -> None:
    array = catalog.columns[column.table][column.name].type.endswith("[]")

    for value in column.enum:
        set_value(column.table, column.name, one_row_per_table[column.table], value,
                  array=array)


@pytest.mark.parametrize("column", ["from_status", "to_status"])
def test_dispute_history_status_is_limited_to_dispute_statuses(
    one_row_per_table: dict[str, int], column: str
) -> None:
    statuses = next(c.enum for c in SPEC.columns["payment_disputes"] if c.name == "status")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO payment_dispute_history (dispute_id, to_status, changed_by, created_at)"
            " VALUES (%s, %s, %s, NOW()) RETURNING id",
            [one_row_per_table["payment_disputes"], statuses[0], one_row_per_table["users"]],
        )
        (pk,) = cursor.fetchone()

    with pytest.raises(IntegrityError):
        set_value("payment_dispute_history", column, pk, UNDOCUMENTED, array=False)
    for value in statuses:
        set_value("payment_dispute_history", column, pk, value, array=False)
