from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from apps.accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-and-unusual-passphrase"  # noqa: S105 - test fixture


@override_settings(PASSWORD_HASHERS=["apps.accounts.hashers.BCrypt12PasswordHasher"])
def test_registered_password_is_stored_as_bcrypt_cost_12(client: Client) -> None:
    client.post(reverse("accounts:register"), {
        "name": "Hina Baig", "email": "hina@test.healthlink.pk", "password1": PASSWORD,
        "password2": PASSWORD, "date_of_birth": "1985-02-03", "gender": "FEMALE",
    })

    with connection.cursor() as cursor:
        cursor.execute("SELECT password_hash FROM users WHERE email = %s",
                       ["hina@test.healthlink.pk"])
        (stored,) = cursor.fetchone()
    assert "$2b$12$" in stored
    assert PASSWORD not in stored
    assert User.objects.get(email="hina@test.healthlink.pk").check_password(PASSWORD)
