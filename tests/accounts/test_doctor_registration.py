from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Role, User
from tests.factories import DoctorFactory

pytestmark = pytest.mark.django_db

REGISTER_DOCTOR_URL = reverse("accounts:register_doctor")
PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test fixture


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Dr Bilal Ahmed",
        "email": "bilal.ahmed@test.healthlink.pk",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "pmdc_license_number": "54321-p",
        "specialty": "Cardiologist",
        "years_of_experience": "12",
    }
    data.update(overrides)
    return data


def test_page_says_an_admin_must_verify_the_doctor(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(REGISTER_DOCTOR_URL)

    assert response.status_code == 200
    assert "An administrator must verify your PMDC registration" in response.content.decode()


def test_doctor_registration_creates_an_unverified_doctor(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER_DOCTOR_URL, _form())

    assert response.status_code == 302
    doctor = User.objects.get(email="bilal.ahmed@test.healthlink.pk")
    assert doctor.role == Role.DOCTOR
    assert doctor.pmdc_verified is False
    assert doctor.is_verified is False
    assert doctor.pmdc_license_number == "54321-P"
    assert doctor.specialty == "Cardiologist"
    assert doctor.years_of_experience == 12
    assert len(mail.outbox) == 1

    page = client.get(response["Location"])
    assert "An administrator must verify your PMDC registration" in page.content.decode()


def test_taken_pmdc_number_is_a_form_error(client: Client) -> None:
    DoctorFactory.create(pmdc_license_number="54321-P")

    response = client.post(REGISTER_DOCTOR_URL, _form(pmdc_license_number="54321P"))

    assert response.status_code == 400
    assert response.context["form"].errors["pmdc_license_number"] == [
        "A doctor with this PMDC license number is already registered."
    ]


@pytest.mark.parametrize("number", ["", "P-12345", "12-P", "12345-PP", "abcde-P"])
def test_malformed_pmdc_number_is_a_form_error(client: Client, number: str) -> None:
    response = client.post(REGISTER_DOCTOR_URL, _form(pmdc_license_number=number))

    assert response.status_code == 400
    assert "pmdc_license_number" in response.context["form"].errors


def test_specialty_must_come_from_the_list(client: Client) -> None:
    response = client.post(REGISTER_DOCTOR_URL, _form(specialty="Witch doctor"))

    assert response.status_code == 400
    assert "specialty" in response.context["form"].errors
    assert not User.objects.filter(email="bilal.ahmed@test.healthlink.pk").exists()


def test_negative_experience_is_refused(client: Client) -> None:
    response = client.post(REGISTER_DOCTOR_URL, _form(years_of_experience="-1"))

    assert response.status_code == 400
    assert "years_of_experience" in response.context["form"].errors
