"""Writes to the PHI access trail. Call in the same request that touches the PHI."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiResource

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def phi_access_record(
    *,
    actor: User,
    action: str,
    resource_type: str,
    resource_id: int,
    patient: User | int | None = None,
    request: HttpRequest | None = None,
    reason: str | None = None,
    refused: bool = False,
    break_glass: bool = False,
) -> PhiAccessLog:
    """Log one touch of PHI. `patient` is whose data it is (a profile is its own owner's)."""
    if patient is None and resource_type == PhiResource.PATIENT_PROFILE:
        patient = resource_id
    patient_id = patient.pk if isinstance(patient, User) else patient
    entry = PhiAccessLog.objects.create(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        patient_id=patient_id,
        reason=reason,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000] if request else None,
        refused=refused,
        break_glass=break_glass,
    )
    logger.info(
        "phi access actor=%s action=%s resource=%s:%s patient=%s refused=%s break_glass=%s",
        actor.pk, action, resource_type, resource_id, patient_id, refused, break_glass,
    )
    return entry
