"""Reads of family medical history: the patient's own, and a treating doctor's (logged)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest

from apps.accounts.models import Role, User
from apps.appointments.selectors import doctor_has_treated
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.records.family_services import FAMILY_HISTORY_REASON
from apps.records.models import FamilyMedicalHistory, Relation

Actor = User | AnonymousUser

# Oldest generation first; the tree and the lists follow this order.
GENERATION_ORDER = (Relation.GRANDPARENT, Relation.PARENT, Relation.SIBLING, Relation.CHILD)
# The summary names this many relatives per shared condition, then says how many more.
SUMMARY_NAMES = 5
FIRST_DEGREE = frozenset({Relation.PARENT, Relation.SIBLING, Relation.CHILD})


def _ordered(members: Iterable[FamilyMedicalHistory]) -> list[FamilyMedicalHistory]:
    rank: dict[str, int] = {
        relation: position for position, relation in enumerate(GENERATION_ORDER)
    }
    return sorted(members, key=lambda member: (rank.get(member.relation, 99), member.pk or 0))


def _is_patient(actor: Actor) -> bool:
    return isinstance(actor, User) and actor.is_active and actor.is_patient


def family_history_own(
    *, actor: Actor, request: HttpRequest | None = None
) -> list[FamilyMedicalHistory]:
    """The actor's own relatives, oldest generation first; the read is logged.

    FamilyMedicalHistory.DoesNotExist for anyone but a patient: the page is theirs alone.
    """
    if not _is_patient(actor):
        raise FamilyMedicalHistory.DoesNotExist
    assert isinstance(actor, User)  # noqa: S101 - narrowed by _is_patient
    members = _ordered(FamilyMedicalHistory.objects.filter(patient_id=actor.pk))
    phi_access_record(
        actor=actor, action=PhiAction.VIEW, resource_type=PhiResource.PATIENT_PROFILE,
        resource_id=actor.pk, patient=actor, request=request, reason=FAMILY_HISTORY_REASON,
    )
    return members


def family_member_get_own(
    *, actor: Actor, member_id: int, action: str | None = None,
    request: HttpRequest | None = None,
) -> FamilyMedicalHistory:
    """One of the actor's own relatives, for the edit form; DoesNotExist for any other.

    With `action` (VIEW for a GET; UPDATE or DELETE for a POST) the access is logged: the
    owner's VIEW of the relative (their changes are logged by the services), and anyone
    else's attempt on another patient's relative as a refused `action` in that patient's
    trail. An id that names no relative at all is not logged: there is no patient.
    """
    member = FamilyMedicalHistory.objects.filter(pk=member_id).first()
    if member is None:
        raise FamilyMedicalHistory.DoesNotExist
    own = _is_patient(actor) and member.patient_id == actor.pk
    if action is not None and isinstance(actor, User) and (
        not own or action == PhiAction.VIEW
    ):
        phi_access_record(
            actor=actor, action=action, resource_type=PhiResource.PATIENT_PROFILE,
            resource_id=member.patient_id, patient=member.patient_id, request=request,
            reason=FAMILY_HISTORY_REASON, refused=not own,
        )
    if not own:
        raise FamilyMedicalHistory.DoesNotExist
    return member


@dataclass(frozen=True)
class PatientFamilyHistory:
    patient: User
    members: list[FamilyMedicalHistory]


def family_history_for_doctor(
    *, actor: Actor, patient_id: int, request: HttpRequest | None = None
) -> PatientFamilyHistory:
    """A patient's family history for a doctor who treats them; every attempt is logged.

    Without a treatment relationship the attempt is logged as refused and the answer is
    FamilyMedicalHistory.DoesNotExist, the same as for a patient who does not exist.
    """
    if not isinstance(actor, User) or not actor.is_active:
        raise FamilyMedicalHistory.DoesNotExist
    patient = User.objects.filter(pk=patient_id, role=Role.PATIENT).first()
    if patient is None:
        raise FamilyMedicalHistory.DoesNotExist
    allowed = actor.role == Role.DOCTOR and doctor_has_treated(
        doctor_id=actor.pk, patient_id=patient.pk
    )
    phi_access_record(
        actor=actor, action=PhiAction.VIEW, resource_type=PhiResource.PATIENT_PROFILE,
        resource_id=patient.pk, patient=patient, request=request,
        reason=FAMILY_HISTORY_REASON, refused=not allowed,
    )
    if not allowed:
        raise FamilyMedicalHistory.DoesNotExist
    members = _ordered(FamilyMedicalHistory.objects.filter(patient_id=patient.pk))
    return PatientFamilyHistory(patient=patient, members=members)


# --- Summary ---------------------------------------------------------------------------


def condition_key(term: str) -> str:
    """What makes two spellings one condition: case and runs of whitespace do not count."""
    return " ".join(term.split()).casefold()


@dataclass(frozen=True)
class ConditionFlag:
    """A condition that two or more first-degree relatives have."""

    condition: str
    relatives: list[FamilyMedicalHistory]

    @property
    def count(self) -> int:
        return len(self.relatives)

    @property
    def shown(self) -> list[FamilyMedicalHistory]:
        """The relatives the summary names; the rest are counted ("and K more")."""
        return self.relatives[:SUMMARY_NAMES]

    @property
    def more(self) -> int:
        return max(0, self.count - SUMMARY_NAMES)


def member_terms(member: FamilyMedicalHistory) -> list[str]:
    """Every condition, chronic disease and genetic condition of a relative, in that order."""
    return [
        *(member.conditions or []), *(member.chronic_diseases or []),
        *(member.genetic_conditions or []),
    ]


def family_condition_flags(members: Iterable[FamilyMedicalHistory]) -> list[ConditionFlag]:
    """Conditions present in two or more parents, siblings or children (not grandparents).

    A relative counts once per condition, whichever of their three lists names it, however
    it is capitalised or spaced; the first spelling met is the one shown. Most shared first,
    then alphabetical, so the summary reads the same on every visit.
    """
    spelling: dict[str, str] = {}
    relatives: dict[str, list[FamilyMedicalHistory]] = {}
    for member in _ordered(members):
        if member.relation not in FIRST_DEGREE:
            continue
        for term in member_terms(member):
            key = condition_key(term)
            if not key:
                continue
            spelling.setdefault(key, " ".join(term.split()))
            having = relatives.setdefault(key, [])
            if member not in having:
                having.append(member)
    flags = [
        ConditionFlag(condition=spelling[key], relatives=having)
        for key, having in relatives.items()
        if len(having) >= 2
    ]
    return sorted(flags, key=lambda flag: (-flag.count, condition_key(flag.condition)))
