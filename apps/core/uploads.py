"""Private uploads (PDF, PNG, JPEG): the real type from the bytes, storage keys, downloads.

Shared by medical record attachments and payment receipts and dispute evidence. A key is
`<prefix>/<uuid>.<ext>`: nothing a user typed ever reaches a key, a log line or a URL (an
original file name can itself be PHI). Files are read back only through a view that has
checked who is asking; `private_file_response` streams them or redirects to a short-lived
signed URL.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

_HEAD = 16


@dataclass(frozen=True)
class FileKind:
    extension: str
    content_type: str


PDF = FileKind("pdf", "application/pdf")
PNG = FileKind("png", "image/png")
JPEG = FileKind("jpg", "image/jpeg")
KINDS_BY_EXTENSION = {kind.extension: kind for kind in (PDF, PNG, JPEG)}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_PDF_SIGNATURE = b"%PDF-"
# Headers of programs: named as something else they are refused with a message of their own.
_EXECUTABLE_SIGNATURES = (b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"#!")


def _sniff(head: bytes) -> FileKind | None:
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


def upload_inspect(upload: Any, *, max_bytes: int) -> FileKind:
    """The upload's real kind from its bytes; ValidationError with a message otherwise.

    The name and the browser's content type are ignored: only the content decides.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ValidationError(
            _("A file is larger than the limit of %(limit)s MB.")
            % {"limit": round(max_bytes / (1024 * 1024), 1)},
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


def upload_key(*, prefix: str, kind: FileKind) -> str:
    return f"{prefix}/{uuid.uuid4().hex}.{kind.extension}"


def uploads_store(
    *, storage: Storage, prefix: str, uploads: Iterable[Any], max_bytes: int,
) -> list[str]:
    """Check and store each upload under a fresh key; on any failure remove what was stored."""
    stored: list[str] = []
    try:
        for upload in uploads:
            kind = upload_inspect(upload, max_bytes=max_bytes)
            upload.seek(0)
            stored.append(storage.save(upload_key(prefix=prefix, kind=kind), upload))
    except BaseException:
        uploads_discard(storage=storage, keys=stored)
        raise
    return stored


def uploads_discard(*, storage: Storage, keys: Iterable[str]) -> None:
    """Remove stored objects nothing will reference. Failures are logged, not raised."""
    for key in keys:
        try:
            storage.delete(key)
        except Exception as exc:  # the storage is down: the object is orphaned, never linked
            logger.warning("orphan upload not removed error=%s", type(exc).__name__)


def kind_of_key(key: str) -> FileKind:
    extension = key.rsplit(".", 1)[-1].lower()
    return KINDS_BY_EXTENSION.get(extension, PDF)


def is_remote(storage: Storage) -> bool:
    """Whether the storage hands out signed URLs (S3) rather than streaming local files."""
    return getattr(storage, "querystring_auth", False) is True and hasattr(storage, "bucket")


def private_file_response(*, storage: Storage, key: str, filename: str) -> HttpResponseBase:
    """The stored file as a download: streamed from a private directory, or a redirect to a
    short-lived signed URL on S3. Call only after the reader's access has been checked."""
    kind = kind_of_key(key)
    disposition = f'attachment; filename="{filename}"'
    if is_remote(storage):
        url = storage.url(key, parameters={  # type: ignore[call-arg]
            "ResponseContentDisposition": disposition,
            "ResponseContentType": kind.content_type,
        })
        response: HttpResponseBase = HttpResponseRedirect(url)
    else:
        try:
            stream = storage.open(key, "rb")
        except FileNotFoundError:
            raise Http404 from None
        response = FileResponse(stream, as_attachment=True, filename=filename,
                                content_type=kind.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- Forms ----------------------------------------------------------------------------------

class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class UploadsField(forms.FileField):
    """Several files in one input, at most `max_count`; each checked from its content."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, max_count: int, max_bytes: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)
        self.max_count = max_count
        # A callable, so a setting changed at run time (tests) is read when the form is used.
        self.max_bytes = max_bytes

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > self.max_count:
            raise forms.ValidationError(
                gettext_lazy("Attach at most %(count)s files.") % {"count": self.max_count}
            )
        if not files and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        cleaned = [super(UploadsField, self).clean(item, initial) for item in files]
        errors: list[forms.ValidationError] = []
        limit = self.max_bytes() if callable(self.max_bytes) else int(self.max_bytes)
        for item in cleaned:
            try:
                upload_inspect(item, max_bytes=limit)
            except forms.ValidationError as exc:
                errors.append(exc)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned
