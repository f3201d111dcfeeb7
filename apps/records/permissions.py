"""Who may read and write which patient's medical records."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.appointments.selectors import doctor_has_treated
from apps.records.models import BreakGlassGrant

Actor = User | AnonymousUser


@dataclass(frozen=True)
class RecordAccess:
    """How `actor` may read a patient's records: as the patient, as a treating doctor, or
    under a break-glass grant (`grant` set). `allowed` False means not at all."""

    allowed: bool
    grant: BreakGlassGrant | None = None

    @property
    def break_glass(self) -> bool:
        return self.grant is not None


NO_ACCESS = RecordAccess(allowed=False)


def is_practising_doctor(actor: Actor) -> bool:
    return (isinstance(actor, User) and actor.is_active and actor.role == Role.DOCTOR
            and bool(actor.pmdc_verified))


def can_write_for(actor: Actor, patient_id: int) -> bool:
    """A verified doctor writes records only for a patient they have treated."""
    return isinstance(actor, User) and is_practising_doctor(actor) and doctor_has_treated(
        doctor_id=actor.pk, patient_id=patient_id
    )


def active_grant(*, doctor_id: int, patient_id: int) -> BreakGlassGrant | None:
    return (
        BreakGlassGrant.objects.filter(
            doctor_id=doctor_id, patient_id=patient_id, expires_at__gt=timezone.now()
        )
        .order_by("-expires_at", "-pk")
        .first()
    )


def records_access(actor: Actor, patient_id: int) -> RecordAccess:
    """Whether `actor` may read the records of patient `patient_id`, and on what ground.

    Admins and platform owners read records in Django admin (logged there), not here.
    """
    if not isinstance(actor, User) or not actor.is_active:
        return NO_ACCESS
    if actor.role == Role.PATIENT:
        return RecordAccess(allowed=actor.pk == patient_id)
    if not is_practising_doctor(actor):
        return NO_ACCESS
    if doctor_has_treated(doctor_id=actor.pk, patient_id=patient_id):
        return RecordAccess(allowed=True)
    grant = active_grant(doctor_id=actor.pk, patient_id=patient_id)
    if grant is not None:
        return RecordAccess(allowed=True, grant=grant)
    return NO_ACCESS
