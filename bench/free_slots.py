"""A doctor's free slots for a week: p95 with 10k appointments in the table versus 1M.

Run by hand, never in CI:

    .venv/bin/python bench/free_slots.py [--small 10000] [--large 1000000] [--calls 1000]

It creates its own database (bench_free_slots by default) on the PostgreSQL at
127.0.0.1:5432 and migrates it. Users, facilities and availability live in the usual tables;
the two sizes of `appointments` live side by side in two schemas, each a copy of the table
with the migrated indexes under their own names (idx_appointments_doctor_scheduled among
them), so blocks of calls can alternate between them (SET search_path) and share whatever
else the machine is doing. Rows are generated in PostgreSQL (INSERT ... SELECT
generate_series), indexes built after the load, then VACUUM ANALYZE.

The measured doctor works Monday to Saturday 09:00-17:00 at a clinic, 18:00-20:00 by video,
Sunday mornings by video, has a day off in the measured week, and has the same bookings in
that week in both tables (every third in-person slot). The rest of the table is spread over
two years among `--doctors` doctors, 80% SCHEDULED, and includes the measured doctor's own
bookings outside that week. Each sample times apps.appointments.availability.free_slots for
that week (Python and its three queries). It prints both p95s and their ratio (target
<= 1.25), then drops the database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _harness import drop_database, recreate_database, set_up_django, use_schema

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
ZONE = "Asia/Karachi"
SPAN_DAYS = 730  # background bookings are spread over two years around the measured week




# --- data -------------------------------------------------------------------------------


def measured_week() -> tuple[datetime, datetime]:
    """Next week's Monday 00:00 to the Monday after, in Karachi, as UTC instants."""
    import zoneinfo

    from django.utils import timezone

    zone = zoneinfo.ZoneInfo(ZONE)
    today = timezone.localdate(timezone=zone)
    monday = today + timedelta(days=7 - today.weekday())
    start = datetime.combine(monday, clock.min, tzinfo=zone).astimezone(UTC)
    return start, start + timedelta(days=7)


def seed_people(doctors: int, patients: int) -> dict[str, Any]:
    """Doctors, patients, a clinic, and the measured doctor's hours and day off."""
    from django.contrib.auth.hashers import make_password

    from apps.accounts.models import Role, User
    from apps.appointments.models import (
        AvailabilityException,
        DoctorAvailability,
        ExceptionKind,
    )
    from apps.facilities.models import DoctorFacility, Facility, FacilityType

    unusable = make_password(None)

    def people(role: str, count: int, **fields: object) -> list[int]:
        users = [
            User(email=f"{role.lower()}{n}@bench.healthlink.test", name=f"Bench {role} {n}",
                 role=role, is_verified=True, time_zone=ZONE, password=unusable, **fields)
            for n in range(count)
        ]
        for n, user in enumerate(users):
            if role == Role.DOCTOR:
                user.pmdc_license_number = f"BENCH-{n:06d}"
        return [user.pk for user in User.objects.bulk_create(users, batch_size=2_000)]

    doctor_ids = people(Role.DOCTOR, doctors, pmdc_verified=True)
    patient_ids = people(Role.PATIENT, patients)
    clinic = Facility.objects.create(
        name="Bench Clinic", facility_type=FacilityType.CLINIC, address="1 Bench Road",
        city="Lahore", province="Punjab",
        operating_hours={day: "08:00-20:00" for day in (
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")},
    )
    measured = doctor_ids[0]
    DoctorFacility.objects.create(doctor_id=measured, facility=clinic)
    hours = [
        DoctorAvailability(doctor_id=measured, facility=clinic, weekday=day,
                           start_time=clock(9), end_time=clock(17), time_zone=ZONE)
        for day in range(6)
    ] + [
        DoctorAvailability(doctor_id=measured, facility=None, weekday=day,
                           start_time=clock(18), end_time=clock(20), time_zone=ZONE)
        for day in range(6)
    ] + [DoctorAvailability(doctor_id=measured, facility=None, weekday=6,
                            start_time=clock(10), end_time=clock(13), time_zone=ZONE)]
    DoctorAvailability.objects.bulk_create(hours)
    start, _ = measured_week()
    wednesday = (start + timedelta(days=2, hours=12)).date()
    AvailabilityException.objects.create(
        doctor_id=measured, kind=ExceptionKind.DAY_OFF, start_date=wednesday,
        end_date=wednesday, time_zone=ZONE,
    )
    return {"doctors": doctor_ids, "patients": patient_ids, "measured": measured,
            "clinic": clinic.pk}


def add_appointments(schema: str, rows: int, cast: dict[str, Any]) -> float:
    """A copy of `appointments` in `schema` with `rows` rows; returns the load's seconds."""
    from django.db import connection

    started = time.monotonic()
    start, end = measured_week()
    doctors = cast["doctors"]
    per_doctor = -(-rows // len(doctors))
    spacing = max(30, (SPAN_DAYS * 24 * 60 // per_doctor) // 30 * 30)  # minutes, on the grid
    span_start = start - timedelta(days=SPAN_DAYS // 2)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"CREATE TABLE {schema}.appointments "
                       "(LIKE public.appointments INCLUDING ALL EXCLUDING INDEXES)")
        # The measured week of the measured doctor: the same bookings in both tables.
        cursor.execute(f"SET search_path TO {schema}, public")  # the copy, from here on
        cursor.execute(
            """
            INSERT INTO appointments (patient_id, doctor_id, facility_id, scheduled_at,
                duration_minutes, status, consultation_type)
            SELECT %(patient)s, %(doctor)s, %(clinic)s, s, 30, 'SCHEDULED', 'IN_PERSON'
            FROM generate_series(%(start)s::timestamptz, %(end)s::timestamptz,
                                 interval '90 minutes') AS s
            WHERE (s AT TIME ZONE %(zone)s)::time >= '09:00'
              AND (s AT TIME ZONE %(zone)s)::time < '17:00'
            """,
            {"patient": cast["patients"][0], "doctor": cast["measured"],
             "clinic": cast["clinic"], "start": start, "end": end, "zone": ZONE},
        )
        # Everything else: each doctor's bookings `spacing` minutes apart over two years,
        # leaving the measured doctor's week (and a day either side) as set above.
        cursor.execute(
            """
            INSERT INTO appointments (patient_id, doctor_id, scheduled_at,
                duration_minutes, status, consultation_type)
            SELECT patient_id, doctor_id, at, 30,
                   CASE g %% 10 WHEN 0 THEN 'CANCELLED' WHEN 1 THEN 'COMPLETED'
                        ELSE 'SCHEDULED' END,
                   'VIDEO_CALL'
            FROM (
                SELECT g, (%(patients)s::bigint[])[1 + g %% %(patient_count)s] AS patient_id,
                       (%(doctors)s::bigint[])[1 + g %% %(doctor_count)s] AS doctor_id,
                       %(span_start)s::timestamptz
                         + (g / %(doctor_count)s) * %(spacing)s * interval '1 minute' AS at
                FROM generate_series(0, %(rows)s - 1) AS g
            ) AS generated
            WHERE NOT (doctor_id = %(measured)s
                       AND at >= %(start)s::timestamptz - interval '1 day'
                       AND at < %(end)s::timestamptz + interval '1 day')
            """,
            {"patients": cast["patients"], "patient_count": len(cast["patients"]),
             "doctors": doctors, "doctor_count": len(doctors), "span_start": span_start,
             "spacing": spacing, "rows": rows, "measured": cast["measured"],
             "start": start, "end": end},
        )
        # The migrated indexes (the overlap-guard GiST index too), built after the load.
        cursor.execute("SELECT indexdef FROM pg_indexes "
                       "WHERE schemaname = 'public' AND tablename = 'appointments'")
        for (definition,) in cursor.fetchall():
            cursor.execute(definition.replace(" ON public.appointments ",
                                              f" ON {schema}.appointments "))
        cursor.execute(f"VACUUM ANALYZE {schema}.appointments")
        cursor.execute("SELECT count(*) FROM appointments")
        (count,) = cursor.fetchone()
    print(f"  {schema}: {count} appointments loaded in {time.monotonic() - started:.1f} s")
    return time.monotonic() - started


# --- timing -----------------------------------------------------------------------------


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def time_calls(doctor: Any, calls: int) -> list[float]:
    from apps.appointments.availability import free_slots

    start, end = measured_week()
    timings: list[float] = []
    for _ in range(calls):
        started = time.perf_counter()
        slots = free_slots(doctor=doctor, start=start, end=end)
        timings.append((time.perf_counter() - started) * 1000)
        assert slots  # noqa: S101 - the bench is meaningless otherwise
    return timings


def measure(
    schemas: dict[str, str], doctor: Any, calls: int, block: int, warmup: int
) -> dict[str, list[float]]:
    """Alternate blocks of calls between the schemas, order flipped every block."""
    timings: dict[str, list[float]] = {label: [] for label in schemas}
    for schema in schemas.values():
        use_schema(schema)
        time_calls(doctor, warmup)
    labels = list(schemas)
    for n in range(max(1, calls // block)):
        for label in labels if n % 2 == 0 else reversed(labels):
            use_schema(schemas[label])
            time_calls(doctor, 3)  # settle the switch
            timings[label].extend(time_calls(doctor, block))
    return timings


def show_plan(doctor: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.appointments.availability import free_slots

    start, end = measured_week()
    with CaptureQueriesContext(connection) as captured:
        slots = free_slots(doctor=doctor, start=start, end=end)
    booked = next(q["sql"] for q in captured.captured_queries
                  if 'FROM "appointments"' in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + booked)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"  {len(captured.captured_queries)} queries per call, {len(slots)} free slots; "
          "plan of the booked-time query on the large table:")
    for line in plan:
        print("    " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL, without a database name (loopback only)")
    parser.add_argument("--database", default="bench_free_slots")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--doctors", type=int, default=500)
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--calls", type=int, default=1_000, help="timed calls per size")
    parser.add_argument("--block", type=int, default=50, help="calls per alternation")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    if urlsplit(args.server).hostname not in LOOPBACK:
        parser.error("the bench runs against a PostgreSQL on this machine only")
    if not 0 < args.small < args.large:
        parser.error("need 0 < --small < --large")
    if args.doctors < 2 or args.patients < 1:
        parser.error("need at least 2 doctors and 1 patient")

    recreate_database(args.server, args.database)
    try:
        set_up_django(f"{args.server.rstrip('/')}/{args.database}",
                      redis_url="redis://127.0.0.1:6379/12")
        from apps.accounts.models import User

        print(f"free slots for one doctor's week; {args.doctors} doctors, loading:")
        cast = seed_people(args.doctors, args.patients)
        schemas = {"small": "bench_small", "large": "bench_large"}
        sizes = {"small": args.small, "large": args.large}
        for label, schema in schemas.items():
            add_appointments(schema, sizes[label], cast)
        doctor = User.objects.get(pk=cast["measured"])

        timings = measure(schemas, doctor, args.calls, args.block, args.warmup)

        print(f"timed {args.calls} calls per size in blocks of {args.block}, alternating; "
              "ms per call")
        p95 = {}
        for label in schemas:
            samples = timings[label]
            p95[label] = percentile(samples, 0.95)
            print(f"  {sizes[label]:>9} appointments: p50 {statistics.median(samples):.2f}  "
                  f"p95 {p95[label]:.2f}  p99 {percentile(samples, 0.99):.2f}  "
                  f"max {max(samples):.2f}")
        ratio = p95["large"] / p95["small"]
        verdict = "OK" if ratio <= 1.25 else "MISSED"
        print(f"  p95 ratio {args.large} / {args.small}: {ratio:.2f} (target <= 1.25) "
              f"{verdict}")
        use_schema(schemas["large"])
        show_plan(doctor)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
