"""Record attachments: the real type from the content, storage keys, and reading them back.

A key is `records/<patient id>/<uuid>.<ext>`: nothing a user typed ever reaches a key, a log
line or a URL (an original file name can itself be PHI).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "records"
MAX_ATTACHMENTS = 10
_HEAD = 16


@dataclass(frozen=True)
class AttachmentKind:
    extension: str
    content_type: str


PDF = AttachmentKind("pdf", "application/pdf")
PNG = AttachmentKind("png", "image/png")
JPEG = AttachmentKind("jpg", "image/jpeg")
KINDS_BY_EXTENSION = {kind.extension: kind for kind in (PDF, PNG, JPEG)}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_SIGNATURE = b"%PDF-"
# Headers of programs: named as something else they are refused with a message of their own.
_EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"#!")


def attachment_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def max_bytes() -> int:
    return int(getattr(settings, "RECORD_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


def _sniff(head: bytes) -> AttachmentKind | None:
    if head.startswith(_PDF_SIGNATURE):
        return PDF
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head.startswith(_JPEG_SIGNATURE):
        return JPEG
    return None


# Phones save multi-picture JPEGs (a JPEG with extra frames appended), which Pillow names
# "MPO": the first frame is an ordinary JPEG, so it is one.
_FORMATS = {"PNG": ("PNG",), "JPEG": ("JPEG", "MPO")}


def _image_is_whole(upload: IO[bytes], expected: str) -> bool:
    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.format not in _FORMATS[expected]:
                return False
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        return False
    finally:
        upload.seek(0)
    return True


def attachment_inspect(upload: Any) -> AttachmentKind:
    """The attachment's real kind from its bytes; ValidationError with a message otherwise.

    The name and the browser's content type are ignored: only the content decides.
    """
    size = getattr(upload, "size", None)
    limit = max_bytes()
    if size is not None and size > limit:
        raise ValidationError(
            _("A file is larger than the limit of %(limit)s MB.")
            % {"limit": round(limit / (1024 * 1024), 1)},
            code="too_large",
        )
    if not size:
        raise ValidationError(_("A file is empty."), code="empty")
    upload.seek(0)
    head = upload.read(_HEAD)
    upload.seek(0)
    if head.startswith(_EXECUTABLE_SIGNATURES):
        raise ValidationError(
            _("A file is a program, not a document or image; it was refused."),
            code="executable",
        )
    kind = _sniff(head)
    if kind is None:
        raise ValidationError(
            _("Only PDF, PNG and JPEG files can be attached."), code="unsupported_type"
        )
    if kind is PNG and not _image_is_whole(upload, "PNG"):
        raise ValidationError(_("A PNG image is damaged or incomplete."), code="bad_image")
    if kind is JPEG and not _image_is_whole(upload, "JPEG"):
        raise ValidationError(_("A JPEG image is damaged or incomplete."), code="bad_image")
    return kind


def attachment_key(*, patient_id: int, kind: AttachmentKind) -> str:
    return f"records/{int(patient_id)}/{uuid.uuid4().hex}.{kind.extension}"


def attachments_store(*, patient_id: int, uploads: Iterable[Any]) -> list[str]:
    """Store each upload under a fresh key; on any failure remove what was stored."""
    storage = attachment_storage()
    stored: list[str] = []
    try:
        for upload in uploads:
            kind = attachment_inspect(upload)
            upload.seek(0)
            stored.append(storage.save(attachment_key(patient_id=patient_id, kind=kind), upload))
    except BaseException:
        attachments_discard(stored)
        raise
    logger.info("record attachments stored patient=%s count=%s", patient_id, len(stored))
    return stored


def attachments_discard(keys: Iterable[str]) -> None:
    """Remove stored objects that no record will reference. Failures are logged, not raised."""
    storage = attachment_storage()
    for key in keys:
        try:
            storage.delete(key)
        except Exception as exc:  # the storage is down: the object is orphaned, never linked
            logger.warning("orphan record attachment not removed error=%s",
                           type(exc).__name__)


def kind_of_key(key: str) -> AttachmentKind:
    extension = key.rsplit(".", 1)[-1].lower()
    return KINDS_BY_EXTENSION.get(extension, PDF)


def is_remote(storage: Storage) -> bool:
    """Whether the storage hands out signed URLs (S3) rather than streaming local files."""
    return getattr(storage, "querystring_auth", False) is True and hasattr(storage, "bucket")
