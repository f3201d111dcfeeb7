"""A doctor's public profile: what it shows, who gets a booking form, and who is a 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed() -> User:
    return factories.DoctorFactory.create(
        name="Dr Ayesha Profile", specialty="Endocrinologist", years_of_experience=12,
        facilities=[factories.FacilityFactory.create(name="Gulberg Clinic", city="Lahore"),
                    factories.FacilityFactory.create(name="Saddar Clinic", city="Karachi")],
    )


def profile(client: Client, doctor: User) -> tuple[int, str]:
    response = client.get(reverse("facilities:doctor_detail", args=[doctor.pk]))
    return response.status_code, response.content.decode()


def test_it_shows_name_specialty_experience_and_facilities(
    client: Client, listed: User
) -> None:
    status, html = profile(client, listed)

    assert status == 200
    for text in ("Dr Ayesha Profile", "Endocrinologist", "12 years", "Gulberg Clinic",
                 "Saddar Clinic"):
        assert text in html


def test_it_offers_a_patient_the_booking_form(client: Client, patient: User,
                                              listed: User) -> None:
    client.force_login(patient)

    _, html = profile(client, listed)

    assert reverse("appointments:book", args=[listed.pk]) in html
    assert 'name="consultation_type"' in html


def test_it_asks_an_anonymous_visitor_to_log_in_to_book(client: Client, listed: User) -> None:
    _, html = profile(client, listed)

    assert 'name="consultation_type"' not in html
    assert reverse("accounts:login") in html


def test_it_offers_no_booking_form_to_another_doctor(
    client: Client, other_doctor: User, listed: User
) -> None:
    client.force_login(other_doctor)

    _, html = profile(client, listed)

    assert 'name="consultation_type"' not in html
    assert "Only patients can book appointments." in html


def test_it_is_a_404_for_a_doctor_without_pmdc_verification(
    client: Client, patient: User
) -> None:
    unverified = factories.DoctorFactory.create(pmdc_verified=False)
    client.force_login(patient)

    status, html = profile(client, unverified)

    assert status == 404
    assert unverified.name not in html


def test_it_is_a_404_for_a_soft_deleted_doctor(client: Client, listed: User) -> None:
    listed.soft_delete()
    listed.save()

    status, _ = profile(client, listed)

    assert status == 404


def test_it_is_a_404_for_a_user_who_is_not_a_doctor(client: Client, patient: User) -> None:
    status, _ = profile(client, patient)

    assert status == 404


def test_it_runs_a_bounded_number_of_queries(
    client: Client, patient: User, listed: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(patient)

    with django_assert_max_num_queries(6):
        status, _ = profile(client, listed)

    assert status == 200
