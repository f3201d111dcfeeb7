"""Reads of account data that depend on who is asking."""

from __future__ import annotations

from django.http import HttpRequest

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record


def user_profile_get(*, actor: User, request: HttpRequest | None = None) -> User:
    """The actor's own profile, and only theirs: there is no way to name another user here.

    The row holds encrypted PHI (phone, CNIC, allergies, emergency contact), so the read
    is written to the PHI access trail.
    """
    phi_access_record(
        actor=actor,
        action=PhiAction.VIEW,
        resource_type=PhiResource.PATIENT_PROFILE,
        resource_id=actor.pk,
        patient=actor,
        request=request,
    )
    return actor
