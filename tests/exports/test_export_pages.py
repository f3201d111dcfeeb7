"""The data export page, its htmx status fragment, and the logged download."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.accounts.services import user_logout_everywhere
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.exports.models import DataExport, ExportStatus
from apps.exports.tasks import build_data_export
from apps.records.attachments import attachment_storage
from tests import factories

pytestmark = pytest.mark.django_db

ZIP_BYTES = b"PK\x05\x06" + b"\x00" * 18  # an empty ZIP archive


def ready_export(user: User, **fields: Any) -> DataExport:
    key = attachment_storage().save("exports/0123456789abcdef0123456789abcdef.zip",
                               ContentFile(ZIP_BYTES))
    now = timezone.now()
    values: dict[str, Any] = {
        "status": ExportStatus.READY, "progress": 100, "storage_key": key,
        "size_bytes": len(ZIP_BYTES), "finished_at": now, "expires_at": now + timedelta(days=7),
    }
    values.update(fields)
    return DataExport.objects.create(user=user, **values)


def test_a_patient_asks_for_an_export_and_sees_the_download_link(
    client: Client, patient: User, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(patient)
    page = client.get(reverse("exports:index")).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports:request"))

    assert "Prepare my data export" in page
    assert response.status_code == 302
    export = DataExport.objects.get(user=patient)
    assert export.status == ExportStatus.READY
    html = client.get(reverse("exports:index")).content.decode()
    assert reverse("exports:download", args=[export.pk]) in html
    with zipfile.ZipFile(io.BytesIO(b"".join(
        client.get(reverse("exports:download", args=[export.pk])).streaming_content  # type: ignore[attr-defined]
    ))) as archive:
        assert "profile.json" in archive.namelist()


@pytest.mark.django_db(transaction=True)  # the request's commit runs the on_commit queueing
def test_with_the_broker_down_the_page_says_the_export_could_not_start(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_broker(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError

    monkeypatch.setattr(build_data_export, "delay", no_broker)
    patient = factories.PatientFactory.create()
    client.force_login(patient)

    response = client.post(reverse("exports:request"), follow=True)

    html = response.content.decode()
    assert "Your data export could not be started just now. Please try again later." in html
    assert ('<p class="message message-error">Your data export could not be started just now.'
            in html)
    assert "is being prepared" not in html
    export = DataExport.objects.get(user=patient)
    assert (export.status, export.failure_reason) == (ExportStatus.FAILED, "QueueUnavailable")
    assert "Prepare my data export" in html  # a new attempt can be made at once


def test_while_an_export_runs_the_page_polls_it_and_offers_no_second_request(
    client: Client, patient: User
) -> None:
    export = DataExport.objects.create(user=patient, status=ExportStatus.RUNNING, progress=42)
    client.force_login(patient)

    page = client.get(reverse("exports:index")).content.decode()
    fragment = client.get(reverse("exports:status", args=[export.pk]))

    status_url = reverse("exports:status", args=[export.pk])
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 2s"' in page
    assert "Prepare my data export" not in page
    html = fragment.content.decode()
    assert f'<progress id="export-progress-{export.pk}" max="100" value="42">' in html
    assert 'hx-trigger="every 2s"' in html
    assert "no-cache" in fragment["Cache-Control"]


def test_a_second_request_while_one_runs_is_refused_with_a_message(
    client: Client, patient: User
) -> None:
    DataExport.objects.create(user=patient, status=ExportStatus.PENDING)
    client.force_login(patient)

    response = client.post(reverse("exports:request"), follow=True)

    assert "Your data export is already being prepared." in response.content.decode()
    assert DataExport.objects.filter(user=patient).count() == 1


def test_a_finished_export_stops_polling_and_shows_its_link(
    client: Client, patient: User
) -> None:
    export = ready_export(patient)
    client.force_login(patient)

    html = client.get(reverse("exports:status", args=[export.pk])).content.decode()

    assert "hx-trigger" not in html
    assert reverse("exports:download", args=[export.pk]) in html


def test_a_failed_export_says_so(client: Client, patient: User) -> None:
    export = DataExport.objects.create(user=patient, status=ExportStatus.FAILED,
                                       failure_reason="RuntimeError")
    client.force_login(patient)

    html = client.get(reverse("exports:status", args=[export.pk])).content.decode()

    assert "could not be prepared" in html
    assert "RuntimeError" not in html
    assert "hx-trigger" not in html


def test_the_owner_downloads_and_the_download_is_logged_as_export_once(
    client: Client, patient: User
) -> None:
    export = ready_export(patient)
    client.force_login(patient)

    response = client.get(reverse("exports:download", args=[export.pk]),
                          HTTP_USER_AGENT="pytest")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == ZIP_BYTES  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == (
        'attachment; filename="healthlink-data-export.zip"')
    assert "no-store" in response["Cache-Control"]
    log = PhiAccessLog.objects.get()
    assert log.actor_id == patient.pk
    assert log.action == PhiAction.EXPORT
    assert log.resource_type == PhiResource.PATIENT_PROFILE
    assert log.resource_id == patient.pk
    assert log.patient_id == patient.pk
    assert log.reason == "data export"
    assert (log.ip_address, log.user_agent) == ("127.0.0.1", "pytest")


def test_another_patient_gets_404_everywhere_and_nothing_is_logged(
    client: Client, patient: User, other_patient: User
) -> None:
    export = ready_export(patient)
    client.force_login(other_patient)

    responses = [
        client.get(reverse("exports:status", args=[export.pk])),
        client.get(reverse("exports:download", args=[export.pk])),
    ]
    page = client.get(reverse("exports:index")).content.decode()

    assert [response.status_code for response in responses] == [404, 404]
    assert reverse("exports:download", args=[export.pk]) not in page
    assert not PhiAccessLog.objects.exists()


@pytest.mark.parametrize("role_factory", [
    factories.DoctorFactory, factories.StaffFactory, factories.AdminFactory,
])
def test_the_pages_are_for_patients_only(
    client: Client, role_factory: type[factories.UserFactory], patient: User
) -> None:
    export = ready_export(patient)
    client.force_login(role_factory.create())

    responses = [
        client.get(reverse("exports:index")),
        client.post(reverse("exports:request")),
        client.get(reverse("exports:status", args=[export.pk])),
        client.get(reverse("exports:download", args=[export.pk])),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    assert DataExport.objects.count() == 1


@pytest.mark.parametrize("fields", [
    {"expires_at": timezone.now() - timedelta(minutes=1)},
    {"status": ExportStatus.EXPIRED, "storage_key": None},
    {"status": ExportStatus.FAILED},
])
def test_an_expired_or_unfinished_export_cannot_be_downloaded(
    client: Client, patient: User, fields: dict[str, Any]
) -> None:
    export = ready_export(patient, **fields)
    client.force_login(patient)

    response = client.get(reverse("exports:download", args=[export.pk]))

    assert response.status_code == 404
    assert not PhiAccessLog.objects.exists()


def test_a_missing_archive_file_is_a_404_without_a_log_row(
    client: Client, patient: User
) -> None:
    export = ready_export(patient)
    attachment_storage().delete(export.storage_key or "")
    client.force_login(patient)

    assert client.get(reverse("exports:download", args=[export.pk])).status_code == 404
    assert not PhiAccessLog.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    for name in ("exports:index", "exports:request"):
        response = client.get(reverse(name))
        assert response.status_code in (302, 405)
    response = client.get(reverse("exports:download", args=[1]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_the_progress_poll_after_a_logout_everywhere_sends_htmx_to_the_login_page(
    client: Client, patient: User
) -> None:
    export = DataExport.objects.create(user=patient, status=ExportStatus.RUNNING, progress=40)
    client.force_login(patient)
    page_url = "http://testserver" + reverse("exports:index")
    poll = reverse("exports:status", args=[export.pk])
    assert client.get(poll, headers={"HX-Request": "true"}).status_code == 200
    user_logout_everywhere(user=patient)

    response = client.get(poll, headers={"HX-Request": "true", "HX-Current-URL": page_url})

    assert response.status_code == 401
    assert response["HX-Redirect"] == (
        reverse("accounts:login") + "?next=" + quote(reverse("exports:index"), safe=""))
    assert response.content == b""
    assert "no-store" in response["Cache-Control"]


def test_an_anonymous_htmx_poll_without_a_page_url_goes_to_log_in_with_its_next(
    client: Client, patient: User
) -> None:
    poll = reverse("exports:status", args=[1])

    htmx = client.get(poll, headers={"HX-Request": "true",
                                     "HX-Current-URL": "https://evil.example/privacy/export/"})
    plain = client.get(poll)

    assert htmx.status_code == 401
    assert htmx["HX-Redirect"] == reverse("accounts:login") + "?next=" + quote(poll, safe="")
    assert plain.status_code == 302  # a normal page load keeps the ordinary redirect
    assert "HX-Redirect" not in plain


def test_an_htmx_request_that_redirects_elsewhere_is_left_alone(
    client: Client, patient: User
) -> None:
    client.force_login(patient)

    response = client.post(reverse("exports:request"), headers={"HX-Request": "true"})

    assert response.status_code == 302
    assert response["Location"] == reverse("exports:index")


def test_the_page_query_count_does_not_grow_with_exports(
    client: Client, patient: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _ in range(8):
        ready_export(patient, status=ExportStatus.EXPIRED, storage_key=None)
    client.force_login(patient)

    with django_assert_max_num_queries(5):
        response = client.get(reverse("exports:index"))

    assert response.status_code == 200


def test_the_patient_dashboard_and_menu_link_to_family_history_and_export(
    client: Client, patient: User, doctor: User
) -> None:
    client.force_login(patient)
    patient_html = client.get(reverse("core:dashboard")).content.decode()
    client.force_login(doctor)
    doctor_html = client.get(reverse("core:dashboard")).content.decode()

    for url in (reverse("exports:index"), reverse("family:mine")):
        assert patient_html.count(f'href="{url}"') == 2  # dashboard list and main menu
        assert f'href="{url}"' not in doctor_html
