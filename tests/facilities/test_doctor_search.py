"""The doctor directory lists only verified, living doctors, found by specialty and city."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.facilities.selectors import PAGE_SIZE, doctor_search
from tests import factories

pytestmark = pytest.mark.django_db


def names(page: object) -> list[str]:
    return [doctor.name for doctor in page.object_list]  # type: ignore[attr-defined]


def test_it_finds_verified_doctors_by_specialty_and_facility_city(patient: User) -> None:
    lahore = factories.FacilityFactory.create(city="Lahore")
    karachi = factories.FacilityFactory.create(city="Karachi")
    match = factories.DoctorFactory.create(name="Dr Match", specialty="Cardiologist",
                                           facilities=[lahore])
    factories.DoctorFactory.create(name="Dr Elsewhere", specialty="Cardiologist",
                                   facilities=[karachi])
    factories.DoctorFactory.create(name="Dr Skin", specialty="Dermatologist", facilities=[lahore])
    factories.DoctorFactory.create(name="Dr Remote", specialty="Cardiologist")

    page = doctor_search(actor=patient, specialty="cardio", city=" lahore ", page=1)

    assert names(page) == [match.name]


def test_it_hides_unverified_and_soft_deleted_doctors(patient: User) -> None:
    factories.DoctorFactory.create(name="Dr Listed")
    factories.DoctorFactory.create(name="Dr Unverified", pmdc_verified=False)
    gone = factories.DoctorFactory.create(name="Dr Gone")
    gone.soft_delete()
    gone.save()
    factories.PatientFactory.create(name="Not A Doctor", specialty="Cardiologist")

    page = doctor_search(actor=patient, specialty="", city="", page=1)

    assert names(page) == ["Dr Listed"]


def test_it_lists_a_doctor_with_two_facilities_in_the_city_once() -> None:
    first = factories.FacilityFactory.create(city="Lahore")
    second = factories.FacilityFactory.create(city="Lahore")
    factories.DoctorFactory.create(name="Dr Busy", facilities=[first, second])

    page = doctor_search(actor=AnonymousUser(), specialty="", city="Lahore", page=1)

    assert names(page) == ["Dr Busy"]


def test_it_paginates_the_results() -> None:
    for n in range(PAGE_SIZE + 3):
        factories.DoctorFactory.create(name=f"Dr {n:02d}")

    first = doctor_search(actor=AnonymousUser(), page=1)
    second = doctor_search(actor=AnonymousUser(), page="2")
    past_the_end = doctor_search(actor=AnonymousUser(), page="99")
    garbage = doctor_search(actor=AnonymousUser(), page="abc")

    assert len(first.object_list) == PAGE_SIZE
    assert names(second) == ["Dr 10", "Dr 11", "Dr 12"]
    assert past_the_end.number == 2
    assert garbage.number == 1


def test_the_search_page_shows_matches_with_their_facilities(client: Client) -> None:
    clinic = factories.FacilityFactory.create(name="Clifton Clinic", city="Karachi")
    factories.DoctorFactory.create(name="Dr Found", specialty="Pediatrician", facilities=[clinic])
    factories.DoctorFactory.create(name="Dr Hidden", specialty="Pediatrician", pmdc_verified=False,
                                   facilities=[clinic])

    response = client.get(reverse("facilities:doctor_search"),
                          {"specialty": "Pediatrician", "city": "Karachi"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Dr Found" in html
    assert "Clifton Clinic" in html
    assert "Dr Hidden" not in html


def test_the_search_page_answers_overlong_input_with_a_form_error(client: Client) -> None:
    response = client.get(reverse("facilities:doctor_search"), {"specialty": "x" * 500})

    assert response.status_code == 200
    assert "Ensure this value has at most 100 characters" in response.content.decode()


@pytest.mark.parametrize("doctors", [1, PAGE_SIZE + 5])
def test_the_search_page_query_count_does_not_grow_with_doctors(
    client: Client, patient: User, doctors: int,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for _ in range(doctors):
        factories.DoctorFactory.create(
            specialty="Neurologist",
            facilities=[factories.FacilityFactory.create(city="Lahore"),
                        factories.FacilityFactory.create(city="Lahore")],
        )
    client.force_login(patient)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("facilities:doctor_search"),
                              {"specialty": "Neuro", "city": "Lahore"})

    assert response.status_code == 200
