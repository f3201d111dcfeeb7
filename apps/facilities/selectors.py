"""Reads for the public directory (doctors, facilities near a point) and organizations."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Role, User
from apps.appointments.models import AppointmentStatus, Weekday
from apps.appointments.permissions import Actor
from apps.facilities.models import DoctorFacility, Facility

PAGE_SIZE = 10


def _listed_doctors() -> QuerySet[User]:
    """Doctors patients may find: PMDC-verified and not soft-deleted (the manager's job)."""
    return User.objects.filter(role=Role.DOCTOR, pmdc_verified=True)


def _with_facilities(queryset: QuerySet[User]) -> QuerySet[User]:
    links = DoctorFacility.objects.select_related("facility").order_by("facility__name")
    return queryset.prefetch_related(Prefetch("practice_links", queryset=links))


def doctor_search(
    *, actor: Actor, specialty: str = "", city: str = "", page: str | int | None = 1
) -> Page[User]:
    """Verified doctors by specialty (substring) and the city of a facility they work at.

    The directory is public, so `actor` does not narrow it; it is taken so every read
    has the same shape, and so a later rule (hiding blocked doctors, say) has a place.
    """
    doctors = _listed_doctors()
    specialty = specialty.strip()
    city = city.strip()
    if specialty:
        doctors = doctors.filter(specialty__icontains=specialty)
    if city:
        in_city = DoctorFacility.objects.filter(
            doctor_id=OuterRef("pk"), facility__city__iexact=city
        )
        doctors = doctors.filter(Exists(in_city))
    doctors = _with_facilities(doctors.order_by("name", "pk"))
    return Paginator(doctors, PAGE_SIZE).get_page(page)


def doctor_get(*, actor: Actor, doctor_id: int) -> User:
    """A listed doctor with their facilities; User.DoesNotExist if unverified or gone."""
    return _with_facilities(_listed_doctors()).get(pk=doctor_id)


def doctor_facilities(*, doctor: User) -> QuerySet[Facility]:
    """Where this doctor sees patients in person."""
    return Facility.objects.filter(doctor_links__doctor_id=doctor.pk).order_by("name", "pk")


def directory_choices() -> tuple[list[str], list[str]]:
    """Specialties of listed doctors and cities with facilities, for the search form hints."""
    specialties = [
        specialty
        for specialty in _listed_doctors()
        .order_by("specialty")
        .values_list("specialty", flat=True)
        .distinct()
        if specialty
    ]
    cities = list(Facility.objects.order_by("city").values_list("city", flat=True).distinct())
    return specialties, cities


def organization_facilities(*, actor: Actor) -> QuerySet[Facility]:
    """The organization's facilities with appointment counts, in one query."""
    if getattr(actor, "role", None) != Role.ORGANIZATION or not actor.is_active:
        return Facility.objects.none()
    scheduled = Q(appointments__status=AppointmentStatus.SCHEDULED)
    return (
        Facility.objects.filter(organization_id=actor.pk)
        .annotate(
            upcoming_count=Count(
                "appointments", filter=scheduled & Q(appointments__scheduled_at__gte=timezone.now())
            ),
            appointment_count=Count("appointments"),
        )
        .order_by("name", "pk")
    )


# --- Facility directory: by city and by distance ------------------------------------------

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG); haversine error against WGS84 is < 0.5%
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM  # no two points are farther apart
NEAREST_MAX_LIMIT = 100
NEAREST_ON_PAGE = 50  # the directory's "near me" lists this many, PAGE_SIZE a page
# The first box is small so a dense city answers from a few hundred index entries; each
# miss widens it by the density the miss revealed, so a sparse area needs only a few more.
_FIRST_RADIUS_KM = 2.0
_MAX_ROUNDS = 8
_DEGREE = Decimal("0.00000001")  # the columns' scale: numeric(.., 8)
_MARGIN_DEGREES = 1e-6  # about 0.1 m; keeps float rounding from shaving the box


class InvalidGeoQuery(ValueError):
    """A nearest-facilities query with out-of-range input; `message` is for the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class BoundingBox:
    """Degrees enclosing a circle on the sphere; no longitude ranges means every longitude."""

    lat_min: Decimal
    lat_max: Decimal
    lon_ranges: tuple[tuple[Decimal, Decimal], ...]

    def as_sql(self) -> tuple[str, dict[str, Decimal]]:
        """A WHERE fragment idx_facilities_location can scan: plain columns, numeric bounds."""
        params = {"lat_min": self.lat_min, "lat_max": self.lat_max}
        ranges = []
        for n, (low, high) in enumerate(self.lon_ranges):
            params[f"lon_min_{n}"], params[f"lon_max_{n}"] = low, high
            ranges.append(f"(longitude >= %(lon_min_{n})s AND longitude <= %(lon_max_{n})s)")
        longitude = " OR ".join(ranges) or "longitude IS NOT NULL"
        sql = f"latitude >= %(lat_min)s AND latitude <= %(lat_max)s AND ({longitude})"
        return sql, params


def _down(degrees: float) -> Decimal:
    return Decimal(degrees - _MARGIN_DEGREES).quantize(_DEGREE, rounding=ROUND_FLOOR)


def _up(degrees: float) -> Decimal:
    return Decimal(degrees + _MARGIN_DEGREES).quantize(_DEGREE, rounding=ROUND_CEILING)


def bounding_box(*, latitude: float, longitude: float, radius_km: float) -> BoundingBox | None:
    """The latitude/longitude box around a circle, or None when the circle is the globe.

    A circle that reaches a pole spans every longitude. Otherwise the longitude half-width
    is asin(sin(d) / cos(lat)) for the angular radius d (the tangent meridians; d / cos(lat)
    would be too narrow for wide circles), and a box crossing the antimeridian splits in two.
    """
    angular = radius_km / EARTH_RADIUS_KM
    if angular >= math.pi:
        return None
    lat = math.radians(latitude)
    lat_min, lat_max = lat - angular, lat + angular
    if lat_min <= -math.pi / 2 or lat_max >= math.pi / 2:
        return BoundingBox(
            lat_min=max(_down(math.degrees(lat_min)), Decimal(-90)),
            lat_max=min(_up(math.degrees(lat_max)), Decimal(90)),
            lon_ranges=(),
        )
    half_width = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(lat))))
    south, north = _down(math.degrees(lat_min)), _up(math.degrees(lat_max))
    if half_width >= 180.0:
        return BoundingBox(lat_min=south, lat_max=north, lon_ranges=())
    west, east = longitude - half_width, longitude + half_width
    ranges: tuple[tuple[Decimal, Decimal], ...]
    if west < -180.0:
        ranges = ((_down(west + 360.0), Decimal(180)), (Decimal(-180), _up(east)))
    elif east > 180.0:
        ranges = ((_down(west), Decimal(180)), (Decimal(-180), _up(east - 360.0)))
    else:
        ranges = ((_down(west), _up(east)),)
    return BoundingBox(lat_min=south, lat_max=north, lon_ranges=ranges)


# Haversine in SQL. The columns are cast to float for the trigonometry only; the box above
# compares them uncast, which is what keeps the index usable. least() guards asin against
# rounding just above 1 for antipodal points. Raw SQL rather than ORM expressions: compiling
# the expression tree cost about 1.5 ms per round, three times the query itself.
_DISTANCE_SQL = """
    (%(diameter)s * asin(sqrt(least(1.0,
        power(sin((radians(latitude::float8) - %(lat)s) / 2), 2)
        + %(cos_lat)s * cos(radians(latitude::float8))
          * power(sin((radians(longitude::float8) - %(lon)s) / 2), 2)))))
"""
_NEAREST_SQL = """
    SELECT facilities.*, {distance} AS distance_km
    FROM facilities
    WHERE {box} {city} AND {distance} <= %(radius)s
    ORDER BY distance_km, id
    LIMIT %(limit)s
"""


def _nearest_round(
    *, lat: float, lon: float, radius: float, limit: int, city: str
) -> list[Facility]:
    """One round: the facilities inside the circle, nearest first, at most `limit`."""
    box = bounding_box(latitude=lat, longitude=lon, radius_km=radius)
    box_sql, params = box.as_sql() if box else ("latitude IS NOT NULL AND longitude IS NOT "
                                                "NULL", {})
    sql = _NEAREST_SQL.format(
        distance=_DISTANCE_SQL, box=box_sql,
        city="AND UPPER(city) = UPPER(%(city)s)" if city else "",
    )
    arguments: dict[str, object] = {
        **params, "diameter": 2 * EARTH_RADIUS_KM, "lat": math.radians(lat),
        "lon": math.radians(lon), "cos_lat": math.cos(math.radians(lat)), "radius": radius,
        "limit": limit, "city": city,
    }
    # Only constant fragments are formatted in; every value travels as a parameter.
    return list(Facility.objects.raw(sql, arguments))


def _coordinate(value: float | Decimal, *, field: str, bound: float, message: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InvalidGeoQuery(field, message) from None
    if not (math.isfinite(number) and -bound <= number <= bound):
        raise InvalidGeoQuery(field, message)
    return number


def facilities_nearest(
    *,
    latitude: float | Decimal,
    longitude: float | Decimal,
    limit: int = 20,
    radius_km: float | None = None,
    city: str | None = None,
    actor: Actor | None = None,
) -> list[Facility]:
    """The `limit` facilities nearest to a point, nearest first, each with `distance_km`.

    Plain PostgreSQL: a (latitude, longitude) box that idx_facilities_location can scan,
    then the exact haversine distance in SQL, keeping rows inside the circle the box
    encloses. Rows inside that circle are certainly the nearest ones; when there are fewer
    than `limit`, the circle grows and the query runs again (at most _MAX_ROUNDS queries,
    the last over everything within `radius_km`, or the globe). The directory is public,
    so `actor` does not narrow it. Raises InvalidGeoQuery for out-of-range input.
    """
    lat = _coordinate(latitude, field="latitude", bound=90.0,
                      message=_("Latitude must be between -90 and 90."))
    lon = _coordinate(longitude, field="longitude", bound=180.0,
                      message=_("Longitude must be between -180 and 180."))
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= NEAREST_MAX_LIMIT:
        raise InvalidGeoQuery(
            "limit", _("Ask for between 1 and %(max)d facilities.") % {"max": NEAREST_MAX_LIMIT}
        )
    if radius_km is not None and not (math.isfinite(radius_km) and radius_km > 0):
        raise InvalidGeoQuery("radius_km", _("The distance must be more than 0 km."))

    ceiling = HALF_CIRCUMFERENCE_KM if radius_km is None else min(radius_km,
                                                                  HALF_CIRCUMFERENCE_KM)
    city = (city or "").strip()

    radius = min(_FIRST_RADIUS_KM, ceiling)
    rounds, previous = 1, 0
    while True:
        found = _nearest_round(lat=lat, lon=lon, radius=radius, limit=limit, city=city)
        if len(found) >= limit or radius >= ceiling:
            return found
        rounds += 1
        if rounds == _MAX_ROUNDS:
            radius = ceiling
        else:
            growth = _growth(found=len(found), previous=previous, limit=limit)
            radius = min(ceiling, radius * growth)
        previous = len(found)


def _growth(*, found: int, previous: int, limit: int) -> float:
    """How much to widen the radius: by the density seen so far, within [1.5, 8].

    Found rows grow with the area, so sqrt(limit / found) would just reach the limit; a
    quarter more makes a second miss unlikely. An empty box says nothing about density,
    and a ring that added nothing means the nearby cluster is all there is: jump further.
    """
    if found == 0:
        return 4.0
    if found == previous:
        return 8.0
    return min(8.0, max(1.5, 1.25 * math.sqrt(limit / found)))


def facility_search(*, actor: Actor, city: str = "", page: str | int | None = 1) -> Page[Facility]:
    """Facilities in a city (case-insensitive), or all of them when no city is given."""
    facilities = Facility.objects.all()
    city = city.strip()
    if city:
        facilities = facilities.filter(city__iexact=city)
    return Paginator(facilities.order_by("city", "name", "pk"), PAGE_SIZE).get_page(page)


def facility_get(*, actor: Actor, facility_id: int) -> Facility:
    """A facility for its public page; Facility.DoesNotExist if there is none."""
    return Facility.objects.get(pk=facility_id)


def facility_doctors(*, actor: Actor, facility: Facility) -> QuerySet[User]:
    """Listed (verified, not deleted) doctors who practise at the facility, by name.

    Only the columns the page shows are read, so no encrypted column is decrypted for it.
    """
    return (
        _listed_doctors()
        .filter(practice_links__facility_id=facility.pk)
        .only("pk", "name", "specialty")
        .order_by("name", "pk")
    )


def facilities_nearest_page(
    *,
    actor: Actor,
    latitude: float | Decimal,
    longitude: float | Decimal,
    radius_km: float | None = None,
    city: str | None = None,
    page: str | int | None = 1,
) -> Page[Facility]:
    """The NEAREST_ON_PAGE nearest facilities, a page at a time, each with `distance_km`."""
    nearest = facilities_nearest(
        actor=actor, latitude=latitude, longitude=longitude, limit=NEAREST_ON_PAGE,
        radius_km=radius_km, city=city,
    )
    return Paginator(nearest, PAGE_SIZE).get_page(page)


def facility_cities() -> list[str]:
    """Cities that have a facility, for the search form's suggestions."""
    return list(Facility.objects.order_by("city").values_list("city", flat=True).distinct())


_EN_DASH = "\u2013"
_WEEK = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def facility_opening_hours(*, facility: Facility) -> list[tuple[str, str | None]] | None:
    """(weekday, hours) Monday first, None hours for a closed day; None if none published.

    operating_hours holds {"monday": "09:00-17:00", ...}; a day that is absent is closed.
    A day may also hold a list of such ranges.
    """
    hours = facility.operating_hours
    if not isinstance(hours, dict) or not hours:
        return None
    by_day = {str(day).strip().lower(): value for day, value in hours.items()}
    week: list[tuple[str, str | None]] = []
    for number, day in enumerate(_WEEK):
        value = by_day.get(day)
        if isinstance(value, list):
            value = ", ".join(str(part) for part in value if part)
        text = str(value).strip().replace("-", _EN_DASH) if value else None
        week.append((str(Weekday(number).label), text or None))
    return week
