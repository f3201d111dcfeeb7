"""A patient's own changes to their family medical history; each one is logged as PHI."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.http import HttpRequest

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.records.models import FamilyMedicalHistory

logger = logging.getLogger(__name__)

# Family history is part of the patient's profile in the PHI trail (as in Django admin).
FAMILY_HISTORY_REASON = "family history"
MEMBER_FIELDS = frozenset({
    "relation", "relation_name", "age", "is_deceased", "conditions", "chronic_diseases",
    "genetic_conditions", "notes",
})


def _require_patient(actor: User) -> None:
    """Only a patient writes their own family history; anyone else is told it does not exist."""
    if not (isinstance(actor, User) and actor.is_active and actor.is_patient):
        raise FamilyMedicalHistory.DoesNotExist


def _values(changes: dict[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - MEMBER_FIELDS
    if unknown:
        raise ValueError(f"not family history fields: {sorted(unknown)}")
    values = dict(changes)
    for field in ("relation_name", "notes"):
        if field in values:
            values[field] = values[field] or None
    return values


def _log(actor: User, action: str, request: HttpRequest | None) -> None:
    phi_access_record(
        actor=actor, action=action, resource_type=PhiResource.PATIENT_PROFILE,
        resource_id=actor.pk, patient=actor, request=request, reason=FAMILY_HISTORY_REASON,
    )


@transaction.atomic
def family_member_add(
    *, actor: User, request: HttpRequest | None = None, **fields: Any
) -> FamilyMedicalHistory:
    """Add a relative to the actor's own family history."""
    _require_patient(actor)
    member = FamilyMedicalHistory(patient=actor, **_values(fields))
    member.full_clean(exclude=["patient"])
    member.save()

    _log(actor, PhiAction.UPDATE, request)
    logger.info("family member added id=%s patient=%s", member.pk, actor.pk)
    return member


@transaction.atomic
def family_member_update(
    *, actor: User, member_id: int, request: HttpRequest | None = None, **changes: Any
) -> FamilyMedicalHistory:
    """Change one of the actor's relatives; FamilyMedicalHistory.DoesNotExist for any other."""
    _require_patient(actor)
    member = FamilyMedicalHistory.objects.select_for_update().get(
        pk=member_id, patient_id=actor.pk
    )
    values = _values(changes)
    for field, value in values.items():
        setattr(member, field, value)
    member.full_clean(exclude=["patient"])
    member.save(update_fields=sorted(values))

    _log(actor, PhiAction.UPDATE, request)
    logger.info("family member updated id=%s patient=%s", member.pk, actor.pk)
    return member


@transaction.atomic
def family_member_delete(
    *, actor: User, member_id: int, request: HttpRequest | None = None
) -> None:
    """Remove one of the actor's relatives; FamilyMedicalHistory.DoesNotExist for any other."""
    _require_patient(actor)
    deleted, _ = FamilyMedicalHistory.objects.filter(pk=member_id, patient_id=actor.pk).delete()
    if not deleted:
        raise FamilyMedicalHistory.DoesNotExist

    _log(actor, PhiAction.DELETE, request)
    logger.info("family member removed id=%s patient=%s", member_id, actor.pk)
