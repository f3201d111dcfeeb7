"""The export pages and the archive download are never stored by browsers or proxies."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from tests.exports.test_export_pages import ready_export

pytestmark = pytest.mark.django_db


def _cache_control(response: object) -> set[str]:
    return {part.strip() for part in response["Cache-Control"].split(",")}  # type: ignore[index]


def test_the_export_pages_and_download_are_not_stored(client: Client, patient: User) -> None:
    client.force_login(patient)
    export = ready_export(patient)

    for url in (reverse("exports:index"), reverse("exports:status", args=[export.pk]),
                reverse("exports:download", args=[export.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert {"no-store", "private"} <= _cache_control(response), url


def test_asking_for_an_export_is_not_stored(client: Client, patient: User) -> None:
    client.force_login(patient)

    response = client.post(reverse("exports:request"))

    assert response.status_code == 302
    assert {"no-store", "private"} <= _cache_control(response)
