"""Who may write and read which prescription."""

from __future__ import annotations

from apps.accounts.models import Role, User
from apps.appointments.selectors import doctor_has_treated
from apps.prescriptions.models import ESignStatus, Prescription
from apps.records.permissions import Actor, is_practising_doctor


def can_prescribe_for(actor: Actor, patient_id: int) -> bool:
    """A verified doctor prescribes only for a patient they have treated."""
    return isinstance(actor, User) and is_practising_doctor(actor) and doctor_has_treated(
        doctor_id=actor.pk, patient_id=patient_id
    )


def can_read(actor: Actor, prescription: Prescription) -> bool:
    """The patient it is for once it is signed (a PENDING draft may still change), and the
    doctor who wrote it; nobody else on these pages."""
    if not isinstance(actor, User) or not actor.is_active:
        return False
    if actor.role == Role.PATIENT:
        return (prescription.patient_id == actor.pk
                and prescription.e_sign_status != ESignStatus.PENDING)
    return is_practising_doctor(actor) and prescription.doctor_id == actor.pk


def can_edit(actor: Actor, prescription: Prescription) -> bool:
    """Its author, while the treatment relationship holds (the state is the service's)."""
    return (isinstance(actor, User) and is_practising_doctor(actor)
            and prescription.doctor_id == actor.pk)
