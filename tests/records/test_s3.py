"""The S3 path against a real S3-compatible HTTP server (moto's server mode) on loopback.

Nothing here reaches AWS: the endpoint is 127.0.0.1 on a free port, credentials are dummies.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from django.urls import reverse
from moto.server import ThreadedMotoServer

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.audit.models import PhiAction
from apps.records import attachments
from apps.records.models import MedicalRecord
from tests.records.support import PDF_BYTES, log_rows, logged_in, record_post_data, upload

pytestmark = pytest.mark.django_db

BUCKET = "healthlink-records-test"
DUMMY = {"access_key": "testing-key", "secret_key": "testing-secret"}
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", DUMMY["access_key"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", DUMMY["secret_key"])
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                     aws_access_key_id=DUMMY["access_key"],
                     aws_secret_access_key=DUMMY["secret_key"]).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


@pytest.fixture
def s3_storage(settings: Any, s3_endpoint: str) -> str:
    settings.STORAGES = {
        **settings.STORAGES,
        "records": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET, "endpoint_url": s3_endpoint, "region_name": "us-east-1",
                "addressing_style": "path", "default_acl": "private",
                "querystring_auth": True, "querystring_expire": 60, "file_overwrite": False,
                "signature_version": "s3v4",
                **DUMMY,
            },
        },
    }
    return s3_endpoint


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def fetch(url: str) -> tuple[int, bytes, dict[str, str]]:
    assert url.startswith("http://127.0.0.1:")  # never anywhere else
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, response.read(), _lower(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), _lower(exc.headers)


def test_round_trip_upload_then_signed_download_and_anonymous_get_refused(
    s3_storage: str, patient: User, doctor: User, visit: Appointment,
) -> None:
    created = logged_in(doctor).post(
        reverse("records:create", kwargs={"patient_id": patient.pk}),
        record_post_data(attachments=upload("Lab report Ayesha.pdf", PDF_BYTES)),
    )
    assert created.status_code == 302
    record = MedicalRecord.objects.get()
    [key] = record.file_urls or []
    assert key.startswith(f"records/{patient.pk}/") and key.endswith(".pdf")

    before = len(log_rows())
    response = logged_in(patient).get(
        reverse("records:attachment", kwargs={"record_id": record.pk, "number": 1})
    )

    assert response.status_code == 302
    signed = response["Location"]
    assert signed.startswith(f"{s3_storage}/{BUCKET}/records/{patient.pk}/")
    query = parse_qs(urlparse(signed).query)
    assert query["X-Amz-Expires"] == ["60"]
    assert "Ayesha" not in signed
    assert response["X-Content-Type-Options"] == "nosniff"
    status, body, headers = fetch(signed)
    assert status == 200
    assert body == PDF_BYTES
    assert headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("attachment;")
    assert [(row.action, row.resource_id) for row in log_rows()[before:]] == [
        (PhiAction.VIEW, record.pk)]

    anonymous_status, _, _ = fetch(f"{s3_storage}/{BUCKET}/{key}")
    assert anonymous_status == 403
    # moto does not check presigned signatures on objects that exist, so a tampered URL
    # cannot be tested here; the anonymous refusal above is what the private ACL proves.


def test_an_outsider_gets_no_signed_url(
    s3_storage: str, patient: User, other_patient: User, doctor: User, visit: Appointment,
) -> None:
    logged_in(doctor).post(reverse("records:create", kwargs={"patient_id": patient.pk}),
                           record_post_data(attachments=upload("a.pdf", PDF_BYTES)))
    record = MedicalRecord.objects.get()

    response = logged_in(other_patient).get(
        reverse("records:attachment", kwargs={"record_id": record.pk, "number": 1}))

    assert response.status_code == 404
    assert "Location" not in response


def test_a_failed_record_write_removes_the_uploaded_object(
    s3_storage: str, patient: User, doctor: User, visit: Appointment, monkeypatch: Any,
) -> None:
    from apps.records import services

    def fail(**kwargs: Any) -> None:
        raise RuntimeError("simulated database failure")

    monkeypatch.setattr(services, "phi_access_record", fail)
    with pytest.raises(RuntimeError):
        services.record_create(doctor=doctor, patient_id=patient.pk, record_type="IMAGING",
                               record_date=visit.scheduled_at, notes="n",
                               uploads=[upload("a.pdf", PDF_BYTES)])

    assert not MedicalRecord.objects.exists()
    storage = attachments.attachment_storage()
    assert storage.listdir(f"records/{patient.pk}")[1] == []


def test_with_a_bucket_configured_the_records_storage_is_private_s3() -> None:
    """The settings module builds the S3 storage from the environment (fresh process)."""
    env = {**os.environ, "AWS_STORAGE_BUCKET_NAME": "hl-private",
           "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_S3_REGION_NAME": "me-central-1",
           "RECORD_ATTACHMENT_URL_EXPIRE": "45"}
    code = ("import json; from healthlink import settings as s; "
            "print(json.dumps(s.STORAGES['records'], default=str))")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=60, check=True)

    config = json.loads(result.stdout.strip().splitlines()[-1])
    options = config["OPTIONS"]
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "hl-private", "http://127.0.0.1:9", "me-central-1")
    assert (options["default_acl"], options["querystring_auth"],
            options["querystring_expire"], options["signature_version"]) == (
        "private", True, 45, "s3v4")
