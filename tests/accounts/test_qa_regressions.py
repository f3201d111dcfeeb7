"""Holes a QA pass found: look-alike digits, lockout bypass, refresh after revocation, names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import services
from apps.accounts.models import User, cnic_blind_index
from tests import factories

pytestmark = pytest.mark.django_db

# The same number as 35202-1234567-1, in Arabic-Indic, Urdu and full-width digits.
ARABIC_INDIC_CNIC = "".join(chr(0x0660 + int(d)) if d.isdigit() else d for d in "35202-1234567-1")
EXTENDED_CNIC = "".join(chr(0x06F0 + int(d)) for d in "3520212345671")
FULLWIDTH_CNIC = "".join(chr(0xFF10 + int(d)) if d.isdigit() else d for d in "35202-1234567-1")


@pytest.mark.parametrize("typed", [ARABIC_INDIC_CNIC, EXTENDED_CNIC, FULLWIDTH_CNIC])
def test_cnics_in_other_scripts_share_the_ascii_blind_index(typed: str) -> None:
    assert cnic_blind_index(typed) == cnic_blind_index("35202-1234567-1")


def _register(client: Client, email: str, cnic: str, phone: str = "") -> int:
    response = client.post(reverse("accounts:register"), {
        "name": "Test Person", "email": email, "password1": "a-long-pass-phrase-42",
        "password2": "a-long-pass-phrase-42", "cnic": cnic, "phone": phone,
        "date_of_birth": "1990-01-01", "gender": "FEMALE",
    })
    return response.status_code


def test_registration_refuses_a_cnic_retyped_in_urdu_digits(client: Client) -> None:
    assert _register(client, "first@test.healthlink.pk", "35202-1234567-1") == 302
    client.logout()

    assert _register(Client(), "second@test.healthlink.pk", EXTENDED_CNIC) == 400
    assert User.objects.filter(email="second@test.healthlink.pk").count() == 0


def test_a_phone_in_urdu_digits_is_stored_in_ascii_e164(client: Client) -> None:
    urdu_phone = "+" + "".join(chr(0x06F0 + int(d)) for d in "923001234567")

    assert _register(client, "phone@test.healthlink.pk", "", phone=urdu_phone) == 302

    assert User.objects.get(email="phone@test.healthlink.pk").phone == "+923001234567"


@pytest.mark.parametrize("name", ["\u200b\u200b", "\u202eevil", "   "])
def test_registration_refuses_invisible_or_reordering_names(client: Client, name: str) -> None:
    response = client.post(reverse("accounts:register"), {
        "name": name, "email": "n@test.healthlink.pk", "password1": "a-long-pass-phrase-42",
        "password2": "a-long-pass-phrase-42",
    })

    assert response.status_code == 400
    assert not User.objects.filter(email="n@test.healthlink.pk").exists()


def test_the_api_token_endpoint_shares_the_login_lockout() -> None:
    user = factories.PatientFactory.create()
    api = APIClient()
    for _ in range(services.LOGIN_FAILURE_LIMIT):
        api.post("/api/token/", {"email": user.email, "password": "wrong"}, format="json")

    response = api.post(
        "/api/token/", {"email": user.email, "password": factories.TEST_PASSWORD}, format="json"
    )

    assert response.status_code == 401


def test_the_web_lockout_also_closes_the_api_and_admin_paths(client: Client) -> None:
    owner = factories.PlatformOwnerFactory.create()
    for _ in range(services.LOGIN_FAILURE_LIMIT):
        client.post(reverse("accounts:login"), {"email": owner.email, "password": "wrong"})

    admin_login = client.post(
        reverse("admin:login"), {"username": owner.email, "password": factories.TEST_PASSWORD}
    )

    assert admin_login.status_code == 200  # the form again, not a redirect into admin
    assert "_auth_user_id" not in client.session


def test_a_refresh_token_dies_with_a_forced_logout() -> None:
    user = factories.PatientFactory.create()
    tokens = APIClient().post(
        "/api/token/", {"email": user.email, "password": factories.TEST_PASSWORD}, format="json"
    ).json()
    User.objects.filter(pk=user.pk).update(
        tokens_revoked_at=timezone.now() + timedelta(seconds=1)
    )

    response = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]},
                                format="json")

    assert response.status_code == 401


def test_a_refresh_token_dies_with_soft_deletion() -> None:
    user = factories.PatientFactory.create()
    tokens = APIClient().post(
        "/api/token/", {"email": user.email, "password": factories.TEST_PASSWORD}, format="json"
    ).json()
    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now())

    response = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]},
                                format="json")

    assert response.status_code == 401


def test_a_valid_refresh_token_still_refreshes() -> None:
    user = factories.PatientFactory.create()
    tokens = APIClient().post(
        "/api/token/", {"email": user.email, "password": factories.TEST_PASSWORD}, format="json"
    ).json()

    response = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]},
                                format="json")

    assert response.status_code == 200
    assert "access" in response.json()
