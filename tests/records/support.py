"""Sample files and helpers for the records tests; every byte here is synthetic."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def logged_in(user: User, **defaults: Any) -> Client:
    client = Client(REMOTE_ADDR="10.20.30.40", HTTP_USER_AGENT="RecordsTest/1.0", **defaults)
    client.force_login(user)
    return client


def log_rows(**filters: Any) -> list[PhiAccessLog]:
    return list(PhiAccessLog.objects.filter(**filters).order_by("pk"))


def record_post_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "record_type": "CONSULTATION",
        "record_date": "2026-11-20T10:30",
        "diagnosis": "Seasonal allergic rhinitis",
        "treatment": "Cetirizine 10 mg nightly",
        "notes": "Review in two weeks",
    }
    data.update(overrides)
    return data
