"""Data exports in Django admin: listed and viewable read-only, the archive key never shown."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.exports.models import DataExport, ExportStatus
from apps.exports.tasks import build_data_export
from tests import factories

pytestmark = pytest.mark.django_db


def test_admins_see_exports_without_their_storage_keys(client: Client, patient: User) -> None:
    export = DataExport.objects.create(user=patient, status=ExportStatus.READY,
                                       storage_key="exports/secret-key-abc.zip")
    client.force_login(factories.AdminFactory.create())

    listing = client.get(reverse("admin:exports_dataexport_changelist"))
    detail = client.get(reverse("admin:exports_dataexport_change", args=[export.pk]))

    assert listing.status_code == detail.status_code == 200
    change_url = reverse("admin:exports_dataexport_change", args=[export.pk])
    assert change_url in listing.content.decode()
    assert "Ready to download" in detail.content.decode()
    assert "secret-key-abc" not in listing.content.decode() + detail.content.decode()
    assert client.post(change_url, {"status": "FAILED"}).status_code == 403


def test_a_build_for_an_export_that_no_longer_exists_does_nothing() -> None:
    assert build_data_export.delay(987654).get() == "MISSING"
