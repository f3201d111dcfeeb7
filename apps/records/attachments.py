"""Record attachments: checked and stored by apps.core.uploads in the private "records" storage.

A key is `records/<patient id>/<uuid>.<ext>`: nothing a user typed ever reaches a key, a log
line or a URL (an original file name can itself be PHI).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.files.storage import Storage, storages

from apps.core import uploads as core_uploads
from apps.core.uploads import JPEG, KINDS_BY_EXTENSION, PDF, PNG, is_remote, kind_of_key

logger = logging.getLogger(__name__)

STORAGE_ALIAS = "records"
MAX_ATTACHMENTS = 10

AttachmentKind = core_uploads.FileKind

__all__ = [
    "JPEG", "KINDS_BY_EXTENSION", "MAX_ATTACHMENTS", "PDF", "PNG", "STORAGE_ALIAS",
    "AttachmentKind", "attachment_inspect", "attachment_storage",
    "attachments_discard", "attachments_store", "is_remote", "kind_of_key", "max_bytes",
]


def attachment_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def max_bytes() -> int:
    return int(getattr(settings, "RECORD_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024))


def attachment_inspect(upload: Any) -> AttachmentKind:
    """The attachment's real kind from its bytes; ValidationError with a message otherwise."""
    return core_uploads.upload_inspect(upload, max_bytes=max_bytes())


def attachments_store(*, patient_id: int, uploads: Iterable[Any]) -> list[str]:
    """Store each upload under a fresh key; on any failure remove what was stored."""
    stored = core_uploads.uploads_store(
        storage=attachment_storage(), prefix=f"records/{int(patient_id)}", uploads=uploads,
        max_bytes=max_bytes(),
    )
    logger.info("record attachments stored patient=%s count=%s", patient_id, len(stored))
    return stored


def attachments_discard(keys: Iterable[str]) -> None:
    """Remove stored objects that no record will reference. Failures are logged, not raised."""
    core_uploads.uploads_discard(storage=attachment_storage(), keys=keys)
