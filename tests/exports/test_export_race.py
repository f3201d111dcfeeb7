"""Simultaneous requests for an export: the database lets exactly one through."""

from __future__ import annotations

import pytest

from apps.exports import services
from apps.exports.models import DataExport
from tests import factories
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_concurrent_requests_past_the_check_create_one_export(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    patient = factories.PatientFactory.create()
    # Every request gets past the friendly check, as if all had read before any wrote: only
    # the partial unique index stands between them and a second running export.
    monkeypatch.setattr(services, "_has_active_export", lambda user_id: False)
    monkeypatch.setattr(services, "_queue_build", lambda export_id: None)

    results = race([lambda: services.data_export_request(actor=patient)] * 4)

    created = [result for result in results if isinstance(result, DataExport)]
    refused = [result for result in results if isinstance(result, services.ExportError)]
    assert len(created) == 1, results
    assert len(refused) == 3, results
    assert DataExport.objects.filter(user=patient).count() == 1
