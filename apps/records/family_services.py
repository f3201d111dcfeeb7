"""A patient's own changes to their family medical history; each one is logged as PHI."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import ngettext

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.records.models import FamilyMedicalHistory, Relation

logger = logging.getLogger(__name__)

# Family history is part of the patient's profile in the PHI trail (as in Django admin).
FAMILY_HISTORY_REASON = "family history"
MEMBER_FIELDS = frozenset({
    "relation", "relation_name", "age", "is_deceased", "conditions", "chronic_diseases",
    "genetic_conditions", "notes",
})

# Caps on the size of a family history. Fifty relatives is far more than a clinician reads;
# a person can have more than two parents (step- and adoptive parents besides the biological
# ones), so parents stop at four and grandparents at eight. Siblings and children count only
# toward the total.
MAX_RELATIVES = 50
MAX_PER_RELATION: dict[str, int] = {Relation.PARENT: 4, Relation.GRANDPARENT: 8}


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


def _check_caps(actor: User, relation: str, *, exclude_id: int | None = None) -> None:
    """ValidationError when one more `relation` would pass a cap; the patient's row is
    locked first, so two requests at once cannot both take the last place."""
    User.all_objects.select_for_update().filter(pk=actor.pk).values_list("pk").first()
    others = FamilyMedicalHistory.objects.filter(patient_id=actor.pk)
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    if exclude_id is None and others.count() >= MAX_RELATIVES:
        raise ValidationError(ngettext(
            "Your family history can list at most %(max)d relative; remove one to add another.",
            "Your family history can list at most %(max)d relatives; remove one to add another.",
            MAX_RELATIVES,
        ) % {"max": MAX_RELATIVES}, code="too_many_relatives")
    cap = MAX_PER_RELATION.get(relation)
    if cap is not None and others.filter(relation=relation).count() >= cap:
        message = {
            Relation.PARENT: ngettext(
                "You can list at most %(max)d parent.", "You can list at most %(max)d parents.",
                cap,
            ),
            Relation.GRANDPARENT: ngettext(
                "You can list at most %(max)d grandparent.",
                "You can list at most %(max)d grandparents.", cap,
            ),
        }[Relation(relation)]
        raise ValidationError({"relation": ValidationError(
            message % {"max": cap}, code="too_many_of_relation")})


@transaction.atomic
def family_member_add(
    *, actor: User, request: HttpRequest | None = None, **fields: Any
) -> FamilyMedicalHistory:
    """Add a relative to the actor's own family history; ValidationError past a cap."""
    _require_patient(actor)
    _check_caps(actor, str(fields.get("relation", "")))
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
    if "relation" in values and values["relation"] != member.relation:
        _check_caps(actor, values["relation"], exclude_id=member.pk)
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
