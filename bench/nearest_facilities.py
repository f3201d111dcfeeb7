"""Nearest 20 facilities: p95 latency among 1k facilities versus among 100k (target <= 1.5).

Run by hand, never in CI:

    .venv/bin/python bench/nearest_facilities.py [--small 1000] [--large 100000] [--queries 2000]

It creates its own database (bench_geo by default) on the PostgreSQL at 127.0.0.1:5432 and
migrates it. The two sizes live side by side in two schemas, each with its own copy of the
`facilities` table and its indexes, so that blocks of queries can alternate between them
(SET search_path) and both share whatever else the machine is doing at the time. Facilities
follow a Pakistan-like spread (most around cities, the rest scattered); the query points are
the same for both sizes. Each sample times apps.facilities.selectors.facilities_nearest from
this process: SQL building, every widening round, the round trips and the model instances.
It prints both p95s and their ratio, then drops the database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from _harness import drop_database, recreate_database, set_up_django, use_schema

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# (latitude, longitude, weight ~ population in millions)
CITIES = [
    (24.8607, 67.0011, 16.0), (31.5204, 74.3587, 13.0), (31.4504, 73.1350, 3.2),
    (33.5651, 73.0169, 2.1), (32.1877, 74.1945, 2.0), (34.0151, 71.5249, 2.0),
    (30.1575, 71.5249, 1.9), (25.3960, 68.3578, 1.7), (33.6844, 73.0479, 1.2),
    (30.1798, 66.9750, 1.0), (32.4945, 74.5229, 0.9), (29.3956, 71.6836, 0.8),
    (32.0836, 72.6711, 0.7), (27.7052, 68.8574, 0.5), (27.5570, 68.2264, 0.5),
    (34.1986, 72.0404, 0.4), (34.1688, 73.2215, 0.3), (31.8313, 70.9019, 0.3),
    (34.3700, 73.4711, 0.2), (35.9208, 74.3089, 0.2), (25.1216, 62.3254, 0.1),
    (26.0031, 63.0544, 0.2),
]
PAKISTAN = ((24.0, 37.0), (61.0, 77.0))  # latitude and longitude ranges, a rough box
CITY_SHARE = 0.7       # of facilities (and of query points) around a city
CITY_SPREAD_DEG = 0.08  # standard deviation, about 9 km


def spot(rng: random.Random, city_share: float) -> tuple[float, float]:
    """A point near a city (weighted by size) or anywhere in the box."""
    if rng.random() < city_share:
        lat, lon, _ = rng.choices(CITIES, weights=[c[2] for c in CITIES])[0]
        return rng.gauss(lat, CITY_SPREAD_DEG), rng.gauss(lon, CITY_SPREAD_DEG)
    (south, north), (west, east) = PAKISTAN
    return rng.uniform(south, north), rng.uniform(west, east)




def add_facilities(schema: str, count: int, rng: random.Random) -> None:
    """A copy of the facilities table (indexes included) in `schema`, with `count` rows."""
    from django.db import connection

    from apps.facilities.models import Facility, FacilityType

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"CREATE TABLE {schema}.facilities "
                       "(LIKE public.facilities INCLUDING ALL EXCLUDING INDEXES)")
        # The migrated indexes, idx_facilities_location among them, under the same names.
        cursor.execute("SELECT indexdef FROM pg_indexes "
                       "WHERE schemaname = 'public' AND tablename = 'facilities'")
        for (definition,) in cursor.fetchall():
            cursor.execute(definition.replace(" ON public.facilities ",
                                              f" ON {schema}.facilities "))
    use_schema(schema)

    def rows() -> Iterator[Facility]:
        for n in range(count):
            lat, lon = spot(rng, CITY_SHARE)
            yield Facility(
                name=f"Bench facility {n}", facility_type=FacilityType.CLINIC,
                address=f"{n} Bench Road", city="Bench", province="Bench",
                latitude=Decimal(f"{lat:.8f}"), longitude=Decimal(f"{lon:.8f}"),
            )

    Facility.objects.bulk_create(rows(), batch_size=5_000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE facilities")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def time_block(points: list[tuple[float, float]]) -> list[float]:
    from apps.facilities.selectors import facilities_nearest

    timings: list[float] = []
    for lat, lon in points:
        started = time.perf_counter()
        found = facilities_nearest(latitude=lat, longitude=lon, limit=20)
        timings.append((time.perf_counter() - started) * 1000)
        assert len(found) == 20  # noqa: S101 - the bench is meaningless otherwise
    return timings


def count_rounds(points: list[tuple[float, float]]) -> Counter[int]:
    """SQL statements per call, counted apart: capturing them would skew the timings."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.facilities.selectors import facilities_nearest

    rounds: Counter[int] = Counter()
    for lat, lon in points:
        with CaptureQueriesContext(connection) as captured:
            facilities_nearest(latitude=lat, longitude=lon, limit=20)
        rounds[len(captured.captured_queries)] += 1
    return rounds


def measure(
    schemas: dict[str, str], points: list[tuple[float, float]], block: int, warmup: int
) -> dict[str, list[float]]:
    """Alternate blocks of the same points between the schemas, order flipped every block."""
    timings: dict[str, list[float]] = {label: [] for label in schemas}
    for schema in schemas.values():
        use_schema(schema)
        time_block(points[:warmup])
    labels = list(schemas)
    for n, first in enumerate(range(0, len(points), block)):
        for label in labels if n % 2 == 0 else reversed(labels):
            use_schema(schemas[label])
            time_block(points[first:first + 5])  # settle the switch
            timings[label].extend(time_block(points[first:first + block]))
    return timings


def show_plan(lat: float, lon: float) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.facilities.selectors import facilities_nearest

    with CaptureQueriesContext(connection) as captured:
        facilities_nearest(latitude=lat, longitude=lon, limit=20)
    last = captured.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + last)
        plan = [row[0] for row in cursor.fetchall()]
    print("  plan of the last round at Lahore:")
    for line in plan:
        if line.lstrip().startswith(("Sort Key:", "Filter:")):
            line = line[: line.index(":") + 1] + " (haversine expression)"
        print("    " + line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server URL, without a database name (loopback only)")
    parser.add_argument("--database", default="bench_geo")
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--block", type=int, default=100, help="queries per alternation")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20260308)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    if urlsplit(args.server).hostname not in LOOPBACK:
        parser.error("the bench runs against a PostgreSQL on this machine only")
    if not 20 <= args.small < args.large:
        parser.error("need 20 <= --small < --large")

    recreate_database(args.server, args.database)
    try:
        set_up_django(f"{args.server.rstrip('/')}/{args.database}",
                      redis_url="redis://127.0.0.1:6379/11")
        query_rng = random.Random(args.seed)  # noqa: S311 - synthetic data, not secrets
        points = [spot(query_rng, 0.6) for _ in range(args.queries)]
        schemas = {"small": "bench_small", "large": "bench_large"}
        sizes = {"small": args.small, "large": args.large}
        for label, schema in schemas.items():
            rng = random.Random(args.seed + sizes[label])  # noqa: S311 - synthetic data
            add_facilities(schema, sizes[label], rng)

        timings = measure(schemas, points, args.block, args.warmup)

        print(f"nearest 20 facilities: {len(points)} points (60% near cities, 40% anywhere in "
              f"Pakistan), blocks of {args.block} alternating between the sizes; ms per call")
        p95 = {}
        for label, schema in schemas.items():
            use_schema(schema)
            rounds = count_rounds(points[:300])
            samples = timings[label]
            p95[label] = percentile(samples, 0.95)
            mean_rounds = sum(k * v for k, v in rounds.items()) / sum(rounds.values())
            print(f"  {sizes[label]:>7} facilities: p50 {statistics.median(samples):.2f}  "
                  f"p95 {p95[label]:.2f}  p99 {percentile(samples, 0.99):.2f}  "
                  f"max {max(samples):.2f}  SQL rounds per call: mean {mean_rounds:.2f}, "
                  f"max {max(rounds)}")
        ratio = p95["large"] / p95["small"]
        verdict = "OK" if ratio <= 1.5 else "MISSED"
        print(f"  p95 ratio {args.large} / {args.small}: {ratio:.2f} (target <= 1.5) {verdict}")
        use_schema(schemas["large"])
        show_plan(31.5204, 74.3587)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            drop_database(args.server, args.database)
    return 0


if __name__ == "__main__":
    sys.exit(main())
