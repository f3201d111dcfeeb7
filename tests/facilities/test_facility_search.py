"""The facility directory page: by city, near a typed or located point, with clear errors."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.facilities.models import Facility
from apps.facilities.selectors import NEAREST_ON_PAGE, PAGE_SIZE
from tests import factories

pytestmark = pytest.mark.django_db

URL = "facilities:facility_search"
LAHORE = {"latitude": "31.5204", "longitude": "74.3587"}


def place(name: str, latitude: str, longitude: str, city: str = "Lahore") -> Facility:
    return factories.FacilityFactory.create(
        name=name, city=city, latitude=Decimal(latitude), longitude=Decimal(longitude)
    )


def search(client: Client, **params: str) -> tuple[int, str]:
    response = client.get(reverse(URL), params)
    return response.status_code, response.content.decode()


def listed(html: str) -> list[str]:
    """Facility names in the results table, in order."""
    table = html.split('class="facility-results"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'/doctors/facilities/\d+/">([^<]+)</a>', table)


@pytest.fixture
def facilities() -> dict[str, Facility]:
    return {
        "gulberg": place("Gulberg Clinic", "31.5100", "74.3450"),
        "raiwind": place("Raiwind Hospital", "31.2490", "74.2160"),
        "islamabad": place("Blue Area Clinic", "33.6844", "73.0479", city="Islamabad"),
        "karachi": place("Clifton Centre", "24.8607", "67.0011", city="Karachi"),
    }


def test_without_criteria_it_lists_every_facility_by_city(
    client: Client, facilities: dict[str, Facility]
) -> None:
    status, html = search(client)

    assert status == 200
    assert listed(html) == ["Blue Area Clinic", "Clifton Centre", "Gulberg Clinic",
                            "Raiwind Hospital"]
    assert "Distance</th>" not in html


def test_the_city_filter_lists_that_city_only(
    client: Client, facilities: dict[str, Facility]
) -> None:
    status, html = search(client, city="  lahore")

    assert status == 200
    assert listed(html) == ["Gulberg Clinic", "Raiwind Hospital"]
    assert "2 facilities found" in html


def test_typed_coordinates_list_the_nearest_first_with_distances(
    client: Client, facilities: dict[str, Facility]
) -> None:
    status, html = search(client, **LAHORE)

    assert status == 200
    assert listed(html) == ["Gulberg Clinic", "Raiwind Hospital", "Blue Area Clinic",
                            "Clifton Centre"]
    assert "Distance</th>" in html
    assert ">1.7 km<" in html       # Gulberg, 1.74 km
    assert ">1033.0 km<" in html    # Karachi


def test_a_city_and_a_point_list_that_city_by_distance(
    client: Client, facilities: dict[str, Facility]
) -> None:
    _, html = search(client, city="Lahore", latitude="30.0", longitude="73.5")

    assert listed(html) == ["Raiwind Hospital", "Gulberg Clinic"]


def test_a_distance_keeps_farther_facilities_out(
    client: Client, facilities: dict[str, Facility]
) -> None:
    _, html = search(client, radius_km="10", **LAHORE)

    assert listed(html) == ["Gulberg Clinic"]


def test_nothing_within_the_distance_says_so(client: Client,
                                             facilities: dict[str, Facility]) -> None:
    status, html = search(client, radius_km="5", latitude="0", longitude="0")

    assert status == 200
    assert "No facility is that close" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"latitude": "95", "longitude": "74"}, "less than or equal to 90"),
        ({"latitude": "-90.5", "longitude": "74"}, "greater than or equal to -90"),
        ({"latitude": "31", "longitude": "181"}, "less than or equal to 180"),
        ({"latitude": "north", "longitude": "74"}, "Enter a number."),
        ({"latitude": "nan", "longitude": "74"}, "Enter a number."),
        ({"latitude": "31", "longitude": "inf"}, "Enter a number."),
        ({"latitude": "31.5"}, "Enter both latitude and longitude, or neither."),
        ({"longitude": "74.3"}, "Enter both latitude and longitude, or neither."),
        ({"radius_km": "10"}, "A distance needs a point"),
        ({"radius_km": "7", **LAHORE}, "Select a valid choice."),
        ({"city": "x" * 101}, "at most 100 characters"),
    ],
)
def test_bad_input_is_a_form_error_not_a_server_error(
    client: Client, facilities: dict[str, Facility], params: dict[str, str], message: str
) -> None:
    status, html = search(client, **params)

    assert status == 200
    assert message in html
    assert 'class="facility-results"' not in html


def test_the_nearest_results_are_paginated(client: Client) -> None:
    for n in range(PAGE_SIZE + 5):
        place(f"Clinic {n:02d}", f"{31.5204 + n * 0.01:.4f}", "74.3587")

    _, first = search(client, **LAHORE)
    _, second = search(client, page="2", **LAHORE)

    assert listed(first) == [f"Clinic {n:02d}" for n in range(PAGE_SIZE)]
    assert listed(second) == [f"Clinic {n:02d}" for n in range(PAGE_SIZE, PAGE_SIZE + 5)]
    assert "latitude=31.5204" in first and "page=2" in first  # the next link keeps the point


def test_near_me_lists_at_most_the_nearest_limit(client: Client) -> None:
    factories.FacilityFactory.create_batch(NEAREST_ON_PAGE + 3)  # all at one Lahore point

    _, html = search(client, **LAHORE)

    assert f"{NEAREST_ON_PAGE} nearest facilities" in html
    assert f"Showing the {NEAREST_ON_PAGE} nearest" in html


def test_the_page_offers_near_me_only_through_the_script(client: Client) -> None:
    _, html = search(client)

    controls = re.search(r'<p id="near-me-controls" hidden>\s*<button type="button"[^>]*'
                         r'id="near-me"', html)
    assert controls is not None
    assert "js/facility_near_me.js" in html
    assert 'name="latitude"' in html and 'name="longitude"' in html
    assert 'list="facility-city-options"' in html


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow_with_the_results(
    client: Client, patient: User, count: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(count):
        place(f"Clinic {n}", f"{31.5204 + n * 0.001:.4f}", "74.3587")
    client.force_login(patient)

    # Session and user, at most 8 widening rounds (all 8 when there are fewer facilities
    # than the page's limit), the city suggestions, and the header's unread count.
    with django_assert_max_num_queries(12):
        status, _ = search(client, **LAHORE)
    with django_assert_max_num_queries(6):
        search(client, city="Lahore")

    assert status == 200


def test_the_nav_links_the_facility_search(client: Client, patient: User) -> None:
    client.force_login(patient)

    _, html = search(client, city="Lahore")

    nav = html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse(URL)}" aria-current="page"' in nav
