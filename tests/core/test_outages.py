"""A database or cache outage shows a clear 503 page, never a stack trace or a 500."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from redis.exceptions import ConnectionError as RedisConnectionError

from apps.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_cache_outage_during_a_view_is_a_503(client: Client, patient: User) -> None:
    client.force_login(patient)
    with mock.patch("apps.core.views.render", side_effect=RedisConnectionError("down")):
        response = client.get("/dashboard/")

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert b"Temporarily unavailable" in response.content
    assert b"Traceback" not in response.content


def test_a_database_outage_during_a_view_is_a_503(client: Client, patient: User) -> None:
    client.force_login(patient)
    with mock.patch("apps.core.views.render", side_effect=OperationalError("gone")):
        response = client.get("/dashboard/")

    assert response.status_code == 503


def test_login_still_works_while_the_cache_is_down(client: Client) -> None:
    user = factories.PatientFactory.create()
    with mock.patch("django.core.cache.cache.get_many", side_effect=RedisConnectionError()), \
            mock.patch("django.core.cache.cache.add", side_effect=RedisConnectionError()), \
            mock.patch("django.core.cache.cache.delete", side_effect=RedisConnectionError()):
        response = client.post("/accounts/login/", {"email": user.email,
                                                    "password": factories.TEST_PASSWORD})

    assert response.status_code == 302
