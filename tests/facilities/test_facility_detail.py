"""A facility's public page: address, opening hours, and the verified doctors there."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Facility:
    return factories.FacilityFactory.create(
        name="Gulberg Family Clinic", address="12 Main Boulevard, Gulberg III", city="Lahore",
        province="Punjab", phone="+924235761234", email="desk@gulberg.example",
        operating_hours={"monday": "09:00-17:00", "Tuesday": "09:00-13:00",
                         "saturday": ["10:00-12:00", "16:00-20:00"]},
    )


def detail(client: Client, facility_id: int) -> tuple[int, str]:
    response = client.get(reverse("facilities:facility_detail", args=[facility_id]))
    return response.status_code, response.content.decode()


def hours_rows(html: str) -> list[tuple[str, str]]:
    table = html.split('class="opening-hours"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="ltr">([^<]+)</td>', table)


def test_it_shows_the_address_and_contact_details(client: Client, clinic: Facility) -> None:
    status, html = detail(client, clinic.pk)

    assert status == 200
    for text in ("Gulberg Family Clinic", "12 Main Boulevard, Gulberg III", "Lahore, Punjab",
                 "+924235761234", "desk@gulberg.example", "Clinic"):
        assert text in html


def test_opening_hours_are_a_week_from_monday_with_closed_days(
    client: Client, clinic: Facility
) -> None:
    _, html = detail(client, clinic.pk)

    assert hours_rows(html) == [
        ("Monday", "09:00\u201317:00"), ("Tuesday", "09:00\u201313:00"),
        ("Wednesday", "Closed"), ("Thursday", "Closed"), ("Friday", "Closed"),
        ("Saturday", "10:00\u201312:00, 16:00\u201320:00"), ("Sunday", "Closed"),
    ]


def test_unpublished_hours_say_so(client: Client) -> None:
    facility = factories.FacilityFactory.create(operating_hours=None)

    _, html = detail(client, facility.pk)

    assert 'class="opening-hours"' not in html
    assert "Opening hours are not published" in html


def test_it_lists_only_verified_living_doctors_who_practise_there(
    client: Client, clinic: Facility
) -> None:
    factories.DoctorFactory.create(name="Dr Zara Here", specialty="Cardiologist",
                                   facilities=[clinic])
    factories.DoctorFactory.create(name="Dr Adeel Here", facilities=[clinic])
    factories.DoctorFactory.create(name="Dr Unverified", pmdc_verified=False,
                                   facilities=[clinic])
    gone = factories.DoctorFactory.create(name="Dr Gone", facilities=[clinic])
    gone.soft_delete()
    gone.save()
    factories.DoctorFactory.create(name="Dr Elsewhere", facilities=[factories.FacilityFactory()])

    _, html = detail(client, clinic.pk)

    section = html.split('id="doctors-heading"', 1)[1]
    assert re.findall(r'/doctors/\d+/">(Dr [^<]+)</a>', section) == ["Dr Adeel Here",
                                                                      "Dr Zara Here"]
    assert "Cardiologist" in section


def test_a_facility_without_listed_doctors_says_so(client: Client, clinic: Facility) -> None:
    factories.DoctorFactory.create(name="Dr Unverified", pmdc_verified=False,
                                   facilities=[clinic])

    _, html = detail(client, clinic.pk)

    assert "No verified doctor lists this facility yet." in html


def test_a_facility_that_does_not_exist_is_a_404(client: Client, clinic: Facility) -> None:
    status, _ = detail(client, clinic.pk + 1000)

    assert status == 404


@pytest.mark.parametrize("doctors", [1, 12])
def test_query_count_does_not_grow_with_the_doctors(
    client: Client, patient: User, clinic: Facility, doctors: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    factories.DoctorFactory.create_batch(doctors, facilities=[clinic])
    client.force_login(patient)

    # Session, user, facility, doctors, and the header's unread count.
    with django_assert_max_num_queries(5):
        status, _ = detail(client, clinic.pk)

    assert status == 200


def test_search_results_link_to_the_facility_page(client: Client, clinic: Facility) -> None:
    response = client.get(reverse("facilities:facility_search"), {"city": "Lahore"})

    assert reverse("facilities:facility_detail", args=[clinic.pk]) in response.content.decode()
