"""Attachments: the type comes from the content; sizes are capped; files stay private."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.audit.models import PhiAction
from apps.records import attachments
from apps.records.models import MedicalRecord
from tests.records.support import (
    ELF_BYTES,
    EXE_BYTES,
    PDF_BYTES,
    image_bytes,
    log_rows,
    logged_in,
    record_post_data,
    upload,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("content", "extension", "content_type"),
    [
        (PDF_BYTES, "pdf", "application/pdf"),
        (image_bytes("PNG"), "png", "image/png"),
        (image_bytes("JPEG"), "jpg", "image/jpeg"),
    ],
)
def test_it_accepts_pdf_png_and_jpeg_by_content_whatever_the_name(
    content: bytes, extension: str, content_type: str,
) -> None:
    kind = attachments.attachment_inspect(upload("scan.txt", content, "text/plain"))

    assert (kind.extension, kind.content_type) == (extension, content_type)


@pytest.mark.parametrize("content", [EXE_BYTES, ELF_BYTES])
def test_it_refuses_an_executable_named_pdf(content: bytes) -> None:
    with pytest.raises(ValidationError) as caught:
        attachments.attachment_inspect(upload("report.pdf", content, "application/pdf"))

    assert caught.value.code == "executable"
    assert "program" in caught.value.messages[0]


def test_it_refuses_other_content() -> None:
    with pytest.raises(ValidationError) as caught:
        attachments.attachment_inspect(upload("notes.pdf", b"just some text" * 10))

    assert caught.value.code == "unsupported_type"


def test_it_refuses_a_damaged_image_with_a_real_signature() -> None:
    broken = image_bytes("PNG")[:40]

    with pytest.raises(ValidationError) as caught:
        attachments.attachment_inspect(upload("x.png", broken, "image/png"))

    assert caught.value.code == "bad_image"


def test_it_accepts_a_multi_picture_jpeg_from_a_phone() -> None:
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (64, 64)), Image.new("RGB", (64, 64), (10, 200, 10))
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    content = buffer.getvalue()

    kind = attachments.attachment_inspect(upload("photo.jpg", content, "image/jpeg"))

    assert kind is attachments.JPEG
    with pytest.raises(ValidationError) as caught:  # a damaged one is still refused
        attachments.attachment_inspect(upload("photo.jpg", content[:60], "image/jpeg"))
    assert caught.value.code == "bad_image"


def test_a_doctor_uploads_a_multi_picture_jpeg_with_a_record(
    doctor: User, patient: User, visit: Appointment, record_storage: Path,
) -> None:
    buffer = io.BytesIO()
    first, second = Image.new("RGB", (64, 64)), Image.new("RGB", (64, 64), (10, 200, 10))
    first.save(buffer, format="MPO", save_all=True, append_images=[second])
    photo = upload("photo.jpg", buffer.getvalue(), "image/jpeg")

    response = logged_in(doctor).post(
        reverse("records:create", args=[patient.pk]), record_post_data(attachments=[photo])
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    record = MedicalRecord.objects.get(patient=patient)
    [key] = record.file_urls or []
    assert key.endswith(".jpg")


def test_it_refuses_a_file_over_the_size_limit(settings: Any) -> None:
    settings.RECORD_ATTACHMENT_MAX_BYTES = 1024
    big = PDF_BYTES + b"0" * 2048

    with pytest.raises(ValidationError) as caught:
        attachments.attachment_inspect(upload("big.pdf", big))

    assert caught.value.code == "too_large"
    attachments.attachment_inspect(upload("small.pdf", PDF_BYTES))  # under the limit: fine


def test_the_limit_defaults_to_20_mb() -> None:
    assert attachments.max_bytes() == 20 * 1024 * 1024


def create_url(patient: User) -> str:
    return reverse("records:create", kwargs={"patient_id": patient.pk})


def test_the_form_refuses_a_disguised_executable_with_a_clear_message(
    patient: User, doctor: User, visit: Appointment, record_storage: Path,
) -> None:
    data = record_post_data(attachments=upload("results.pdf", EXE_BYTES))

    response = logged_in(doctor).post(create_url(patient), data)

    assert response.status_code == 200
    assert b"A file is a program, not a document or image; it was refused." in response.content
    assert not MedicalRecord.objects.exists()
    assert not record_storage.exists() or not any(record_storage.rglob("*.*"))
    assert log_rows() == []


def test_the_form_refuses_an_oversize_file(
    settings: Any, patient: User, doctor: User, visit: Appointment,
) -> None:
    settings.RECORD_ATTACHMENT_MAX_BYTES = 100
    data = record_post_data(attachments=upload("results.pdf", PDF_BYTES + b"0" * 500))

    response = logged_in(doctor).post(create_url(patient), data)

    assert response.status_code == 200
    assert b"larger than the limit" in response.content
    assert not MedicalRecord.objects.exists()


def test_an_upload_is_stored_under_a_key_without_the_file_name_and_downloads(
    patient: User, doctor: User, visit: Appointment, record_storage: Path,
) -> None:
    data = record_post_data(attachments=[upload("Ayesha Khan HIV result.pdf", PDF_BYTES),
                                         upload("xray.png", image_bytes("PNG"), "image/png")])

    response = logged_in(doctor).post(create_url(patient), data)

    record = MedicalRecord.objects.get()
    assert response.status_code == 302
    keys = record.file_urls or []
    assert len(keys) == 2
    assert keys[0].startswith(f"records/{patient.pk}/") and keys[0].endswith(".pdf")
    assert keys[1].endswith(".png")
    assert all("Ayesha" not in key and "xray" not in key for key in keys)
    assert (record_storage / keys[0]).read_bytes() == PDF_BYTES

    client = logged_in(patient)
    before = len(log_rows())
    download = client.get(reverse("records:attachment",
                                  kwargs={"record_id": record.pk, "number": 1}))

    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "Ayesha" not in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    new_rows = log_rows()[before:]
    assert [(row.action, row.resource_id, row.actor_id) for row in new_rows] == [
        (PhiAction.VIEW, record.pk, patient.pk)
    ]
    image = client.get(reverse("records:attachment", kwargs={"record_id": record.pk,
                                                             "number": 2}))
    assert image["Content-Type"] == "image/png"


def test_an_outsider_cannot_download_an_attachment(
    patient: User, other_patient: User, other_doctor: User, doctor: User, visit: Appointment,
) -> None:
    logged_in(doctor).post(create_url(patient),
                           record_post_data(attachments=upload("a.pdf", PDF_BYTES)))
    record = MedicalRecord.objects.get()
    url = reverse("records:attachment", kwargs={"record_id": record.pk, "number": 1})
    before = len(log_rows())

    assert logged_in(other_patient).get(url).status_code == 404
    assert logged_in(other_doctor).get(url).status_code == 404
    assert [row.refused for row in log_rows()[before:]] == [True, True]
    missing = reverse("records:attachment", kwargs={"record_id": record.pk, "number": 2})
    assert logged_in(patient).get(missing).status_code == 404


def test_the_private_directory_is_not_under_any_served_url() -> None:
    from django.conf import settings as live
    from django.urls import Resolver404, resolve

    root = Path(live.RECORD_ATTACHMENT_ROOT).resolve()
    served = [Path(live.MEDIA_ROOT), Path(live.STATIC_ROOT), *map(Path, live.STATICFILES_DIRS)]
    assert all(root != place.resolve() and place.resolve() not in root.parents
               for place in served)
    for path in ("/media/records/1/a.pdf", "/private/records/1/a.pdf", "/static/records/1/a.pdf"):
        with pytest.raises(Resolver404):
            resolve(path)
