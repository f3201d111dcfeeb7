"""Who may see which payment and dispute, in the portal and in the staff back office."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from apps.accounts.models import Role, User
from apps.facilities.models import DoctorFacility
from apps.payments.selectors import Actor

BACKOFFICE_ROLES = (Role.STAFF, Role.ADMIN, Role.PLATFORM_OWNER)


def _user(actor: Actor) -> User | None:
    if not isinstance(actor, User) or not actor.is_active:
        return None
    return actor


def can_use_backoffice(actor: Actor) -> bool:
    user = _user(actor)
    if user is None or user.role not in BACKOFFICE_ROLES:
        return False
    return user.role != Role.STAFF or user.facility_id is not None


def backoffice_payment_scope(actor: Actor, prefix: str = "") -> Q | None:
    """Payments the back office shows `actor`, as a filter on Payment (or on a model whose
    `prefix` leads to one, e.g. "payment__"); None for no back office at all.

    Staff: payments whose appointment is at their facility, or, for a remote consultation
    (no facility), whose doctor practises at their facility. Admins and platform owners: all.
    """
    user = _user(actor)
    if user is None or not can_use_backoffice(user):
        return None
    if user.role in (Role.ADMIN, Role.PLATFORM_OWNER):
        return Q()
    facility_id = user.facility_id
    if facility_id is None:
        return None
    doctor_there = DoctorFacility.objects.filter(
        doctor_id=OuterRef(f"{prefix}appointment__doctor_id"), facility_id=facility_id
    )
    at_facility = Q(**{f"{prefix}appointment__facility_id": facility_id})
    remote = Q(**{f"{prefix}appointment__facility__isnull": True}) & Q(Exists(doctor_there))
    return at_facility | remote
