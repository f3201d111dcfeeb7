"""Writes to the PHI access trail. Call in the same request that touches the PHI."""

from __future__ import annotations

import logging

from django.http import HttpRequest

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog

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
    request: HttpRequest | None = None,
    reason: str | None = None,
) -> PhiAccessLog:
    entry = PhiAccessLog.objects.create(
        actor=actor,
        action=action,
        resource_type=resource_type,
        resource_id=resource_id,
        reason=reason,
        ip_address=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000] if request else None,
    )
    logger.info(
        "phi access actor=%s action=%s resource=%s:%s", actor.pk, action, resource_type,
        resource_id,
    )
    return entry
