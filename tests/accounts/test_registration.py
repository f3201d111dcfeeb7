from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import Role, User
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

REGISTER_URL = reverse("accounts:register")
PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test fixture


def _form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Sana Iqbal",
        "email": "sana.iqbal@test.healthlink.pk",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "date_of_birth": "1990-04-12",
        "gender": "FEMALE",
        "phone": "0300 1234567",
        "cnic": "35202-1234567-1",
    }
    data.update(overrides)
    return data


def test_registration_page_renders_within_query_budget(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(REGISTER_URL)

    assert response.status_code == 200
    assert 'name="cnic"' in response.content.decode()


def test_patient_registers_unverified_with_normalized_phi_and_gets_a_link(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(REGISTER_URL, _form(email="Sana.Iqbal@Test.HealthLink.pk"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:registered")
    user = User.objects.get(email="sana.iqbal@test.healthlink.pk")
    assert user.role == Role.PATIENT
    assert user.is_verified is False
    assert user.phone == "+923001234567"
    assert user.cnic == "35202-1234567-1"
    assert user.date_of_birth == datetime.date(1990, 4, 12)
    assert client.session["_auth_user_id"] == str(user.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["sana.iqbal@test.healthlink.pk"]
    assert "/accounts/verify/" in mail.outbox[0].body


def test_registration_stores_phone_and_cnic_encrypted(client: Client) -> None:
    client.post(REGISTER_URL, _form())

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, cnic FROM users WHERE email = %s",
                       ["sana.iqbal@test.healthlink.pk"])
        phone, cnic = cursor.fetchone()
    assert "3001234567" not in phone
    assert "1234567" not in cnic


def test_duplicate_email_in_another_case_is_a_form_error(client: Client) -> None:
    PatientFactory.create(email="taken@test.healthlink.pk")

    response = client.post(REGISTER_URL, _form(email="TAKEN@test.healthlink.pk", cnic=""))

    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]
    assert User.objects.filter(email__iexact="taken@test.healthlink.pk").count() == 1


def test_email_of_a_soft_deleted_account_stays_taken(client: Client) -> None:
    user = PatientFactory.create(email="gone@test.healthlink.pk")
    user.soft_delete()
    user.save(update_fields=["deleted_at"])

    response = client.post(REGISTER_URL, _form(email="gone@test.healthlink.pk", cnic=""))

    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_duplicate_cnic_written_in_the_other_format_is_a_form_error(client: Client) -> None:
    PatientFactory.create(cnic="35202-1234567-1")

    response = client.post(REGISTER_URL, _form(cnic="3520212345671"))

    assert response.status_code == 400
    assert response.context["form"].errors["cnic"] == ["An account with this CNIC already exists."]
    assert not User.objects.filter(email="sana.iqbal@test.healthlink.pk").exists()


@pytest.mark.parametrize("phone", ["12345", "+44 20 7946 0958", "0300-12", "+92abc1234567"])
def test_invalid_phone_is_a_form_error(client: Client, phone: str) -> None:
    response = client.post(REGISTER_URL, _form(phone=phone))

    assert response.status_code == 400
    assert "phone" in response.context["form"].errors
    assert not User.objects.filter(email="sana.iqbal@test.healthlink.pk").exists()


@pytest.mark.parametrize("cnic", ["35202-1234567", "352021234567X", "3520-21234567-1"])
def test_malformed_cnic_is_a_form_error(client: Client, cnic: str) -> None:
    response = client.post(REGISTER_URL, _form(cnic=cnic))

    assert response.status_code == 400
    assert "cnic" in response.context["form"].errors


def test_mismatched_or_weak_passwords_are_refused(client: Client) -> None:
    mismatch = client.post(REGISTER_URL, _form(password2="something-else-entirely"))
    weak = client.post(REGISTER_URL, _form(password1="12345678901", password2="12345678901"))

    assert mismatch.context["form"].errors["password2"] == ["The two passwords do not match."]
    assert "password1" in weak.context["form"].errors
    assert not User.objects.filter(email="sana.iqbal@test.healthlink.pk").exists()


def test_future_date_of_birth_is_refused(client: Client) -> None:
    response = client.post(REGISTER_URL, _form(date_of_birth="2999-01-01"))

    assert response.status_code == 400
    assert "date_of_birth" in response.context["form"].errors


def test_lost_race_on_email_becomes_a_form_error_not_a_500(client: Client) -> None:
    PatientFactory.create(email="race@test.healthlink.pk")

    # The pre-check passes as it would for the second of two simultaneous requests.
    with mock.patch.object(services, "_check_email_free"):
        response = client.post(REGISTER_URL, _form(email="race@test.healthlink.pk", cnic=""))

    assert response.status_code == 400
    assert "email" in response.context["form"].errors


def test_lost_race_on_cnic_raises_cnic_taken() -> None:
    PatientFactory.create(cnic="35202-7654321-9")

    with mock.patch.object(services, "_check_cnic_free"), pytest.raises(services.CnicTaken):
        services.user_register_patient(
            name="Race", email="race2@test.healthlink.pk", password=PASSWORD,
            cnic="3520276543219",
        )


def test_signed_in_user_is_sent_to_the_dashboard(client: Client) -> None:
    client.force_login(PatientFactory.create())

    response = client.get(REGISTER_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
