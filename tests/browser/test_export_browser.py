"""Data export in Chromium: the patient asks, watches the progress arrive, downloads it."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect
from pytest_django.fixtures import Settings

from apps.audit.models import PhiAccessLog, PhiAction
from apps.exports import services
from apps.exports.models import DataExport, ExportStatus
from apps.records.models import FamilyMedicalHistory, Relation
from tests import factories
from tests.browser_fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def storage(settings: Settings, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
        "records": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path, "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Exports asked for, held back from the (eager) worker so the test runs it by hand:
    the page then has something to poll before the archive is ready."""
    ids: list[int] = []
    monkeypatch.setattr(services, "_queue_build", ids.append)
    return ids


def test_a_patient_requests_an_export_watches_it_finish_and_downloads_it(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, storage: Path,
    queued: list[int], tmp_path: Path,
) -> None:
    patient = factories.PatientFactory.create(name="Ayesha Khan", allergies="Sulfa drugs")
    FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.PARENT,
                                        relation_name="Rukhsana", conditions=["Asthma"])
    page = new_context().new_page()
    log_in(page, patient.email)

    page.get_by_role("link", name="Download my data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download my data")
    page.get_by_role("button", name="Prepare my data export").click()

    main = page.locator("main")
    expect(page.locator(".messages")).to_contain_text("Your data export is being prepared.")
    expect(main).to_contain_text("Waiting to start")
    expect(page.get_by_role("button", name="Prepare my data export")).to_have_count(0)
    assert len(queued) == 1
    export_id = queued[0]

    # The worker picks it up: the page's htmx polling shows how far it got, then the link.
    DataExport.objects.filter(pk=export_id).update(status=ExportStatus.RUNNING, progress=40)
    expect(main.locator("progress")).to_have_attribute("value", "40")
    expect(main).to_contain_text("Being prepared")
    page.screenshot(path=artifacts_dir / "export-1-progress.png", full_page=True)

    DataExport.objects.filter(pk=export_id).update(status=ExportStatus.PENDING, progress=0)
    services.data_export_build(export_id=export_id)
    link = page.get_by_role("link", name="Download the archive")
    expect(link).to_be_visible()
    expect(main).to_contain_text("Ready to download")
    page.screenshot(path=artifacts_dir / "export-2-ready.png", full_page=True)

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "healthlink-data-export.zip"
    saved = tmp_path / "downloaded.zip"
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        profile = json.loads(archive.read("profile.json"))
        family = json.loads(archive.read("family_history.json"))
    assert (profile["name"], profile["allergies"]) == ("Ayesha Khan", "Sulfa drugs")
    assert [member["name"] for member in family] == ["Rukhsana"]

    exports_logged = PhiAccessLog.objects.filter(action=PhiAction.EXPORT, patient=patient)
    assert exports_logged.count() == 1
    assert exports_logged.get().actor_id == patient.pk
