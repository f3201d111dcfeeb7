"""Reads of data exports: a patient sees only their own."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.accounts.models import User
from apps.exports.models import DataExport, ExportStatus

Actor = User | AnonymousUser
RECENT_EXPORTS = 5


def _patient(actor: Actor) -> User:
    if not (isinstance(actor, User) and actor.is_active and actor.is_patient):
        raise DataExport.DoesNotExist
    return actor


def data_exports_recent(*, actor: Actor) -> list[DataExport]:
    """The actor's latest exports, newest first; DataExport.DoesNotExist for non-patients."""
    patient = _patient(actor)
    return list(
        DataExport.objects.filter(user_id=patient.pk).order_by("-created_at", "-pk")[
            :RECENT_EXPORTS
        ]
    )


def data_export_get(*, actor: Actor, export_id: int) -> DataExport:
    """One of the actor's own exports; DataExport.DoesNotExist for anyone else's."""
    patient = _patient(actor)
    return DataExport.objects.get(pk=export_id, user_id=patient.pk)


def data_export_get_downloadable(*, actor: Actor, export_id: int) -> DataExport:
    """The actor's own READY export that has not expired; DoesNotExist otherwise."""
    patient = _patient(actor)
    return DataExport.objects.get(
        pk=export_id, user_id=patient.pk, status=ExportStatus.READY,
        storage_key__isnull=False, expires_at__gt=timezone.now(),
    )
