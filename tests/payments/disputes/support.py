"""Sample files for the dispute tests; every byte here is synthetic."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.records.support import ELF_BYTES, EXE_BYTES, PDF_BYTES, image_bytes

__all__ = ["ELF_BYTES", "EXE_BYTES", "PDF_BYTES", "image_bytes", "pdf", "png", "upload"]


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf(name: str = "statement.pdf") -> SimpleUploadedFile:
    return upload(name, PDF_BYTES)


def png(name: str = "screenshot.png") -> SimpleUploadedFile:
    return upload(name, image_bytes("PNG"), "image/png")
