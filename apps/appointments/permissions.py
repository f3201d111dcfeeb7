"""Who may see which appointment, and which of its details."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from apps.accounts.models import Role, User
from apps.appointments.models import Appointment

Actor = User | AnonymousUser


def appointment_scope(actor: Actor) -> Q | None:
    """The appointments `actor` may open in the portal, or None for none at all.

    Admins and platform owners read appointments in Django admin, not here.
    """
    if not isinstance(actor, User) or not actor.is_active:
        return None
    if actor.role == Role.PATIENT:
        return Q(patient_id=actor.pk)
    if actor.role == Role.DOCTOR:
        return Q(doctor_id=actor.pk)
    if actor.role == Role.STAFF:
        scope = Q(staff_id=actor.pk)
        if actor.facility_id is not None:
            scope |= Q(facility_id=actor.facility_id)
        return scope
    if actor.role == Role.ORGANIZATION:
        return Q(facility__organization_id=actor.pk)
    return None


def can_see_chief_complaint(actor: Actor, appointment: Appointment) -> bool:
    """The complaint is clinical: only the two people in the consultation read it."""
    if not isinstance(actor, User):
        return False
    return actor.pk in (appointment.patient_id, appointment.doctor_id)
