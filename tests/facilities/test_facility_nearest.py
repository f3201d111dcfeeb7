"""facilities_nearest: exact great-circle order from a box the location index can scan."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from apps.facilities.models import Facility, FacilityType
from apps.facilities.selectors import (
    EARTH_RADIUS_KM,
    HALF_CIRCUMFERENCE_KM,
    NEAREST_MAX_LIMIT,
    InvalidGeoQuery,
    bounding_box,
    facilities_nearest,
)
from tests import factories

pytestmark = pytest.mark.django_db

LAHORE = (31.5204, 74.3587)
KARACHI = (24.8607, 67.0011)
ISLAMABAD = (33.6844, 73.0479)
MAX_ROUNDS = 8


def place(name: str, latitude: float, longitude: float, **fields: object) -> Facility:
    return factories.FacilityFactory.create(
        name=name, latitude=Decimal(f"{latitude:.8f}"), longitude=Decimal(f"{longitude:.8f}"),
        **fields,
    )


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def names(facilities: list[Facility]) -> list[str]:
    return [facility.name for facility in facilities]


# --- distances -----------------------------------------------------------------------------

def test_lahore_to_karachi_is_about_1030_km() -> None:
    place("Karachi", *KARACHI)

    [karachi] = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=1)

    assert karachi.distance_km == pytest.approx(1030, rel=0.01)  # type: ignore[attr-defined]


def test_islamabad_to_lahore_is_about_270_km() -> None:
    place("Lahore", *LAHORE)

    [lahore] = facilities_nearest(latitude=ISLAMABAD[0], longitude=ISLAMABAD[1], limit=1)

    assert lahore.distance_km == pytest.approx(270, rel=0.01)  # type: ignore[attr-defined]


def test_the_pole_is_a_quarter_circumference_from_the_equator() -> None:
    place("North Pole Station", 90, 0)

    [pole] = facilities_nearest(latitude=0, longitude=123.4, limit=1)

    assert pole.distance_km == pytest.approx(HALF_CIRCUMFERENCE_KM / 2,  # type: ignore[attr-defined]
                                             rel=1e-6)


def test_an_antipodal_facility_is_half_a_circumference_away_and_still_found() -> None:
    place("Antipode", -31.5204, 74.3587 - 180)

    [antipode] = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=1)

    assert antipode.distance_km == pytest.approx(HALF_CIRCUMFERENCE_KM,  # type: ignore[attr-defined]
                                                 rel=1e-6)


# --- ordering, limit, expansion, radius, city --------------------------------------------------

def test_it_orders_by_distance_and_stops_at_the_limit() -> None:
    place("Gulberg", 31.5100, 74.3450)       # ~1.8 km from the point
    place("Model Town", 31.4830, 74.3260)    # ~5.2 km
    place("Raiwind", 31.2490, 74.2160)       # ~33 km
    place("Islamabad", *ISLAMABAD)           # ~270 km
    place("Karachi", *KARACHI)               # ~1030 km

    three = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=3)
    everything = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=20)

    assert names(three) == ["Gulberg", "Model Town", "Raiwind"]
    assert names(everything) == ["Gulberg", "Model Town", "Raiwind", "Islamabad", "Karachi"]
    distances = [f.distance_km for f in everything]  # type: ignore[attr-defined]
    assert distances == sorted(distances)


def test_a_sparse_area_widens_the_box_until_the_limit_is_met(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    place("Karachi", *KARACHI)
    place("Islamabad", *ISLAMABAD)
    place("Quetta", 30.1798, 66.9750)

    with CaptureQueriesContext(connection) as queries:
        found = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=2)

    assert names(found) == ["Islamabad", "Quetta"]
    assert 1 < len(queries.captured_queries) <= MAX_ROUNDS


def test_a_dense_area_answers_from_the_first_box_in_one_query(
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(5):
        place(f"Near {n}", LAHORE[0] + n * 0.001, LAHORE[1])

    with django_assert_num_queries(1):
        found = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=5)

    assert len(found) == 5


def test_an_empty_directory_costs_a_bounded_number_of_queries(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_max_num_queries(MAX_ROUNDS):
        assert facilities_nearest(latitude=0, longitude=0, limit=20) == []


def test_a_radius_keeps_farther_facilities_out_even_below_the_limit() -> None:
    place("Gulberg", 31.5100, 74.3450)
    place("Islamabad", *ISLAMABAD)

    found = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], radius_km=50)

    assert names(found) == ["Gulberg"]


def test_a_radius_includes_a_facility_just_inside_it() -> None:
    place("Islamabad", *ISLAMABAD)
    exact = haversine_km(LAHORE, ISLAMABAD)

    inside = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], radius_km=exact + 0.01)
    outside = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], radius_km=exact - 0.01)

    assert names(inside) == ["Islamabad"]
    assert outside == []


def test_the_city_filter_keeps_only_that_city_case_insensitively() -> None:
    place("Lahore Far", 31.40, 74.20, city="Lahore")
    place("Lahore Near", 31.52, 74.36, city="Lahore")
    place("Kasur Nearer", 31.5204, 74.3588, city="Kasur")

    found = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], city="  lahore ")

    assert names(found) == ["Lahore Near", "Lahore Far"]


def test_facilities_without_coordinates_are_never_listed() -> None:
    factories.FacilityFactory.create(name="Nowhere", latitude=None, longitude=None)
    place("Karachi", *KARACHI)

    found = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=5)

    assert names(found) == ["Karachi"]


# --- the antimeridian and the poles ------------------------------------------------------------

def test_it_finds_a_neighbour_across_the_antimeridian_first() -> None:
    place("Taveuni East", -16.80, -179.95)   # ~11 km east of the point, across 180°
    place("Vanua Levu", -16.80, 179.00)      # ~106 km west, same side

    found = facilities_nearest(latitude=-16.80, longitude=179.95, limit=2)

    assert names(found) == ["Taveuni East", "Vanua Levu"]
    assert found[0].distance_km == pytest.approx(  # type: ignore[attr-defined]
        haversine_km((-16.80, 179.95), (-16.80, -179.95)), rel=1e-6)


def test_a_radius_around_the_antimeridian_searches_both_sides() -> None:
    place("East", 0.0, -179.99)
    place("West", 0.0, 179.99)
    place("Far", 0.0, 170.0)

    found = facilities_nearest(latitude=0.0, longitude=180.0, radius_km=5)

    assert sorted(names(found)) == ["East", "West"]


def test_it_finds_a_neighbour_over_the_north_pole() -> None:
    place("Other side of the pole", 89.99, 180.0)   # ~2.2 km away, over the pole
    place("Same meridian", 89.90, 0.0)              # ~10 km away

    found = facilities_nearest(latitude=89.99, longitude=0.0, limit=2)

    assert names(found) == ["Other side of the pole", "Same meridian"]


def test_it_accepts_the_extreme_coordinates() -> None:
    place("South Pole", -90.0, 0.0)

    [pole] = facilities_nearest(latitude=-90.0, longitude=-180.0, limit=1)

    assert pole.distance_km == pytest.approx(0.0, abs=1e-6)  # type: ignore[attr-defined]


def test_box_splits_at_the_antimeridian_and_spans_every_longitude_at_a_pole() -> None:
    crossing = bounding_box(latitude=0.0, longitude=179.9, radius_km=50)
    polar = bounding_box(latitude=89.9, longitude=10.0, radius_km=50)
    everything = bounding_box(latitude=10.0, longitude=10.0, radius_km=HALF_CIRCUMFERENCE_KM)

    assert crossing is not None and len(crossing.lon_ranges) == 2
    (west_low, west_high), (east_low, east_high) = crossing.lon_ranges
    assert west_high == 180 and east_low == -180
    assert Decimal("179.4") < west_low < Decimal("179.9") < east_high + 360 < Decimal("180.4")
    assert polar is not None and polar.lon_ranges == () and polar.lat_max == 90
    assert everything is None


def test_the_box_is_wide_enough_east_and_west_at_high_latitudes() -> None:
    """At 60°N a degree of longitude is half as long: the box must be twice as wide."""
    place("East, 8 km", 60.0, 0.1438)
    place("North, 9 km", 60.0809, 0.0)

    [nearest] = facilities_nearest(latitude=60.0, longitude=0.0, limit=1)

    assert nearest.name == "East, 8 km"


def test_it_matches_brute_force_haversine_anywhere_on_the_globe() -> None:
    """Random facilities and points, poles and antimeridian included, against Python.

    A dense cluster straddling the antimeridian at 60°S keeps the boxes small there, so a
    box that is too narrow or fails to wrap cannot be rescued by widening to the globe.
    """
    rng = random.Random(20260308)
    points = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(300)]
    points += [(rng.uniform(80, 90), rng.uniform(-180, 180)) for _ in range(40)]
    points += [(rng.uniform(-20, 20), rng.choice((-1, 1)) * rng.uniform(175, 180))
               for _ in range(40)]
    points += [(rng.uniform(-60.5, -59.5), (rng.uniform(179, 181) + 180) % 360 - 180)
               for _ in range(300)]
    Facility.objects.bulk_create(
        Facility(name=f"R{n}", facility_type=FacilityType.CLINIC, address="1 Road",
                 city="Anywhere", province="Nowhere",
                 latitude=Decimal(f"{lat:.8f}"), longitude=Decimal(f"{lon:.8f}"))
        for n, (lat, lon) in enumerate(points)
    )
    stored = [(f.name, (float(f.latitude), float(f.longitude)))  # type: ignore[arg-type]
              for f in Facility.objects.all()]
    queries = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(12)]
    queries += [(89.5, 3.0), (-89.95, -120.0), (0.0, 179.999), (5.0, -179.5), (90.0, 0.0)]
    queries += [(rng.uniform(-60.4, -59.6), (rng.uniform(179.1, 180.9) + 180) % 360 - 180)
                for _ in range(12)]

    for query in queries:
        expected = sorted(stored, key=lambda item: haversine_km(query, item[1]))[:7]

        found = facilities_nearest(latitude=query[0], longitude=query[1], limit=7)

        assert names(found) == [name for name, _ in expected], query
        for facility, (_, where) in zip(found, expected, strict=True):
            assert facility.distance_km == pytest.approx(  # type: ignore[attr-defined]
                haversine_km(query, where), rel=1e-9, abs=1e-6)


# --- input validation ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"latitude": 90.0001, "longitude": 0}, "latitude"),
        ({"latitude": -91, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": 180.5}, "longitude"),
        ({"latitude": 0, "longitude": -181}, "longitude"),
        ({"latitude": math.nan, "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": math.inf}, "longitude"),
        ({"latitude": "north", "longitude": 0}, "latitude"),
        ({"latitude": 0, "longitude": 0, "limit": 0}, "limit"),
        ({"latitude": 0, "longitude": 0, "limit": NEAREST_MAX_LIMIT + 1}, "limit"),
        ({"latitude": 0, "longitude": 0, "radius_km": 0}, "radius_km"),
        ({"latitude": 0, "longitude": 0, "radius_km": -5}, "radius_km"),
        ({"latitude": 0, "longitude": 0, "radius_km": math.nan}, "radius_km"),
    ],
)
def test_out_of_range_input_is_refused_with_the_field_named(
    arguments: dict[str, object], field: str,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    with django_assert_num_queries(0), pytest.raises(InvalidGeoQuery) as refused:
        facilities_nearest(**arguments)  # type: ignore[arg-type]

    assert refused.value.field == field
    assert refused.value.message


def test_decimal_coordinates_are_accepted() -> None:
    place("Karachi", *KARACHI)

    found = facilities_nearest(latitude=Decimal("31.5204"), longitude=Decimal("74.3587"))

    assert names(found) == ["Karachi"]


# --- the location index ----------------------------------------------------------------------

def _index_scans(plan: object) -> list[dict[str, object]]:
    """Every plan node that reads idx_facilities_location."""
    found: list[dict[str, object]] = []
    if isinstance(plan, dict):
        if plan.get("Index Name") == "idx_facilities_location":
            found.append(plan)
        for child in plan.get("Plans", []):
            found.extend(_index_scans(child))
    return found


def test_every_round_scans_the_location_index_on_20k_facilities() -> None:
    """The planner's choice rests on statistics, so the table is ANALYZEd first.

    20k rows over Pakistan make each box a fraction of a percent of the table, where an
    index scan wins by orders of magnitude; the stats sample (30k rows) reads every row,
    so the estimate does not vary between runs. What is asserted is what would break if
    the box stopped being sargable (a cast on the column, a float parameter against the
    numeric column): the index must be read with a latitude condition.
    """
    rng = random.Random(7)
    Facility.objects.bulk_create(
        (Facility(name=f"B{n}", facility_type=FacilityType.CLINIC, address="1 Road",
                  city="Lahore", province="Punjab",
                  latitude=Decimal(f"{rng.uniform(24, 37):.8f}"),
                  longitude=Decimal(f"{rng.uniform(61, 77):.8f}"))
         for n in range(20_000)),
        batch_size=5_000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE facilities")

    with CaptureQueriesContext(connection) as captured:
        found = facilities_nearest(latitude=LAHORE[0], longitude=LAHORE[1], limit=20)

    assert len(found) == 20
    assert captured.captured_queries
    for query in captured.captured_queries:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + query["sql"])
            [[plans]] = cursor.fetchall()
        plan = (plans if isinstance(plans, list) else json.loads(plans))[0]["Plan"]
        scans = _index_scans(plan)
        assert scans, json.dumps(plan)[:2000]
        assert all("latitude >=" in str(scan.get("Index Cond", "")) for scan in scans)
