"""Signing prescriptions with the doctor's Ed25519 key, rejecting them, keeping them immutable.

Canonical form (what the signature covers), version 1: UTF-8 JSON with sorted keys, no
spaces, non-ASCII kept as is, holding

    v                1
    prescription_id  the prescription's id
    doctor_id        the doctor's user id
    doctor_pmdc      the doctor's PMDC licence number (null when missing)
    patient_id       the patient's user id
    created_at       UTC ISO 8601 with microseconds, e.g. 2026-12-04T18:43:13.123456+00:00
    valid_until      the same format
    instructions     the prescription's instructions (null when empty)
    medications      a list in id order, each {name, dosage, frequency, duration,
                     instructions}

Version 2 holds the same keys plus

    patient_initials the patient's initials at signing
    patient_age      the patient's age in whole years at signing (null when unknown)

Version 3 (every signature made now) holds the version 2 keys plus

    doctor_name      the doctor's name at signing (what the printout and the verification
                     page show, whatever the profile says later)

and takes ``doctor_pmdc`` and these from ``e_sign_data["signed_values"]`` rather than
from the current rows: they may legitimately change later (an admin corrects a PMDC
number, a patient's name or birth date is fixed), and that must not turn every signed
prescription into "not genuine". The stored values are covered by the signature, so
tampering with them does show as "not genuine"; the verification page shows them as the
values at signing.

`e_sign_data` stores JSON: {"v", "alg": "Ed25519", "key_id", "fingerprint", "signature"
(base64), "canonical_sha256", and from version 2 "signed_values": {"doctor_pmdc",
"patient_initials", "patient_age"} (version 3: and "doctor_name")}. Verification rebuilds
the canonical form of the version recorded (version 1: from the current rows, as before)
and checks the signature with the public half of the key that signed it, so any later
change of the prescription, its medications or the signature itself shows as "not
genuine".
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from django.db import IntegrityError, models, transaction
from django.db.models.signals import pre_delete, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import ADMIN_ROLES, User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.core.i18n import in_language_of
from apps.core.text import has_bidi_controls, has_control_characters
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.prescriptions import qr
from apps.prescriptions.models import (
    DoctorSigningKey,
    ESignStatus,
    Prescription,
    PrescriptionMedication,
)
from apps.prescriptions.selectors import unacknowledged_critical_count
from apps.prescriptions.services import warnings_refresh

logger = logging.getLogger(__name__)

ALGORITHM = "Ed25519"
CANONICAL_VERSION = 3
LEGACY_CANONICAL_VERSION = 1
# The values stored at signing, by canonical version (version 1 stores none).
SIGNED_VALUE_KEYS_BY_VERSION = {
    2: ("doctor_pmdc", "patient_initials", "patient_age"),
    3: ("doctor_pmdc", "patient_initials", "patient_age", "doctor_name"),
}
SIGNED_VALUE_KEYS = SIGNED_VALUE_KEYS_BY_VERSION[CANONICAL_VERSION]
REJECTION_REASON_MAX_LENGTH = 2000


class SigningError(Exception):
    """A signing or rejection that the rules refuse; the message is for the user."""


class PrescriptionNotFound(SigningError):
    """Not there, or not the actor's: the views answer 404 either way."""


class PrescriptionImmutable(SigningError):
    """A change to a signed or rejected prescription."""


# --- Canonical form -----------------------------------------------------------------------


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def age_on(born: datetime.date | None, day: datetime.date) -> int | None:
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def signed_values_now(prescription: Prescription) -> dict[str, Any]:
    """The values that may change after signing, as they are now (stored at signing)."""
    patient = prescription.patient
    return {
        "doctor_pmdc": prescription.doctor.pmdc_license_number or None,
        "patient_initials": patient.initials,
        "patient_age": age_on(patient.date_of_birth, timezone.localdate()),
        "doctor_name": prescription.doctor.display_name,
    }


def stored_signed_values(prescription: Prescription) -> dict[str, Any] | None:
    """The values stored at signing (version 2 or 3), or None for a version 1 signature."""
    try:
        data = json.loads(prescription.e_sign_data or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    keys = SIGNED_VALUE_KEYS_BY_VERSION.get(data.get("v"))  # type: ignore[arg-type]
    values = data.get("signed_values")
    if keys is None or not isinstance(values, dict) or set(values) != set(keys):
        return None
    return values


@dataclass(frozen=True)
class PartyValues:
    """What a printout or the verification page shows of the doctor's PMDC number and the
    patient: the values stored at signing, or (version 1 signatures) the current ones."""

    doctor_pmdc: str
    patient_initials: str
    patient_age: int | None
    at_signing: bool
    doctor_name: str = ""  # at signing (version 3), else the current display name


def party_values(prescription: Prescription) -> PartyValues:
    stored = stored_signed_values(prescription)
    if stored is not None:
        age = stored["patient_age"]
        return PartyValues(
            doctor_pmdc=str(stored["doctor_pmdc"] or ""),
            patient_initials=str(stored["patient_initials"] or ""),
            patient_age=age if isinstance(age, int) and not isinstance(age, bool) else None,
            at_signing=True,
            doctor_name=str(stored.get("doctor_name") or prescription.doctor.display_name),
        )
    patient = prescription.patient
    return PartyValues(
        doctor_pmdc=prescription.doctor.pmdc_license_number or "",
        patient_initials=patient.initials,
        patient_age=age_on(patient.date_of_birth, timezone.localdate()),
        at_signing=False,
        doctor_name=prescription.doctor.display_name,
    )


def canonical_bytes(prescription: Prescription,
                    medications: list[PrescriptionMedication] | None = None,
                    signed_values: dict[str, Any] | None = None) -> bytes:
    """The deterministic bytes the signature covers (see the module docstring).

    With ``signed_values`` the version 2 form, or 3 when they hold the doctor's name, built
    from them; without, version 1 from the current rows (how signatures made before
    version 2 are checked).
    """
    if medications is None:
        medications = list(prescription.medications.order_by("pk"))
    else:
        medications = sorted(medications, key=lambda medication: medication.pk)
    extra: dict[str, Any] = {}
    if signed_values is None:
        version = LEGACY_CANONICAL_VERSION
        pmdc = prescription.doctor.pmdc_license_number or None
    else:
        version = 3 if "doctor_name" in signed_values else 2
        pmdc = signed_values["doctor_pmdc"]
        extra = {key: signed_values[key] for key in SIGNED_VALUE_KEYS_BY_VERSION[version]
                 if key != "doctor_pmdc"}
    document = {
        **extra,
        "v": version,
        "prescription_id": prescription.pk,
        "doctor_id": prescription.doctor_id,
        "doctor_pmdc": pmdc,
        "patient_id": prescription.patient_id,
        "created_at": _utc(prescription.created_at),
        "valid_until": _utc(prescription.valid_until),
        "instructions": prescription.instructions or None,
        "medications": [
            {"name": m.name, "dosage": m.dosage, "frequency": m.frequency,
             "duration": m.duration, "instructions": m.instructions or None}
            for m in medications
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def signed_canonical_bytes(prescription: Prescription,
                           medications: list[PrescriptionMedication] | None = None) -> bytes:
    """The canonical form of the version its e_sign_data records, from the stored values."""
    return canonical_bytes(prescription, medications, stored_signed_values(prescription))


# --- Keys ---------------------------------------------------------------------------------


def key_fingerprint(public_key_b64: str) -> str:
    """SHA-256 of the raw public key, first 16 hex digits in groups of four."""
    digest = hashlib.sha256(base64.b64decode(public_key_b64)).hexdigest()[:16].upper()
    return " ".join(digest[i:i + 4] for i in range(0, 16, 4))


def _new_key(doctor: User) -> DoctorSigningKey:
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    private_raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return DoctorSigningKey.objects.create(
        doctor=doctor,
        public_key=base64.b64encode(public_raw).decode(),
        private_key=base64.b64encode(private_raw).decode(),
    )


def signing_key_for(doctor: User) -> DoctorSigningKey:
    """The doctor's active key, made on first use."""
    key = DoctorSigningKey.objects.filter(doctor=doctor, retired_at=None).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            key = _new_key(doctor)
    except IntegrityError:  # a concurrent first signing made it: use that one
        return DoctorSigningKey.objects.get(doctor=doctor, retired_at=None)
    logger.info("signing key created key=%s doctor=%s", key.pk, doctor.pk)
    return key


def _private_key(key: DoctorSigningKey) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(str(key.private_key)))


def signature_valid(prescription: Prescription,
                    medications: list[PrescriptionMedication] | None = None) -> bool:
    """Whether e_sign_data holds a valid Ed25519 signature of the current canonical form."""
    key = prescription.signing_key
    if key is None or not prescription.e_sign_data:
        return False
    try:
        data = json.loads(prescription.e_sign_data)
        if data.get("alg") != ALGORITHM or data.get("key_id") != key.pk:
            return False
        signature = base64.b64decode(data["signature"], validate=True)
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key.public_key))
        public.verify(signature, signed_canonical_bytes(prescription, medications))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        return False
    return True


# --- Reads ---------------------------------------------------------------------------------


def prescription_of_party(*, actor: User, prescription_id: int) -> Prescription:
    """The prescription if the actor is its doctor, or its patient once it is signed;
    PrescriptionNotFound else (a patient never sees an unsigned draft).

    Loaded with what the signing panel and the PDF need; the patient's encrypted columns
    are left unread.
    """
    if not actor.is_authenticated or not actor.is_active:
        raise PrescriptionNotFound(_("Prescription not found."))
    prescription = (
        Prescription.objects.select_related(
            "doctor", "patient", "signing_key", "appointment__facility",
        )
        .only(
            "id", "doctor_id", "patient_id", "appointment_id", "created_at", "valid_until",
            "instructions", "e_sign_status", "e_sign_data", "qr_code", "signed_at",
            "signing_key_id", "rejected_at",
            "doctor__name", "doctor__pmdc_license_number", "doctor__deleted_at",
            "patient__name", "patient__date_of_birth", "signing_key__public_key",
            "appointment__facility_id", "appointment__facility__name",
            "appointment__facility__city",
        )
        .filter(pk=prescription_id)
        .filter((models.Q(patient_id=actor.pk) & ~models.Q(e_sign_status=ESignStatus.PENDING))
                | models.Q(doctor_id=actor.pk))
        .first()
    )
    if prescription is None:
        raise PrescriptionNotFound(_("Prescription not found."))
    return prescription


def prescription_page_path(prescription_id: int) -> str:
    """The prescription's page: the writing pages' detail view once it exists, else the
    signing panel page."""
    try:
        return reverse("prescriptions:detail", kwargs={"prescription_id": prescription_id})
    except NoReverseMatch:
        return reverse("prescriptions_sign:panel", kwargs={"prescription_id": prescription_id})


# --- Services -----------------------------------------------------------------------------


def prescription_sign(*, doctor: User, prescription_id: int,
                      request: HttpRequest | None = None) -> Prescription:
    """Sign a pending prescription of this doctor's; refused with a message otherwise."""
    with transaction.atomic():
        prescription = (
            Prescription.objects.select_for_update(of=("self",))
            .select_related("doctor", "patient")
            .filter(pk=prescription_id, doctor_id=doctor.pk).first()
        )
        if prescription is None or not doctor.is_doctor or not doctor.is_active:
            raise PrescriptionNotFound(_("Prescription not found."))
        if prescription.e_sign_status != ESignStatus.PENDING:
            raise SigningError(_("This prescription is already signed."))
        if not doctor.pmdc_verified:
            raise SigningError(_(
                "Your PMDC registration must be verified before you can sign prescriptions."
            ))
        if prescription.valid_until <= timezone.now():
            raise SigningError(_(
                "The prescription's validity date has passed: write a new prescription."
            ))
        # The patient's allergies may have changed since the prescription was saved.
        refreshed = warnings_refresh(prescription=prescription)
        critical = unacknowledged_critical_count(prescription.pk)
        if critical and refreshed:
            raise SigningError(_(
                "The checks were run again against the patient's current allergies and "
                "found a new critical warning: acknowledge it with a reason before signing."
            ))
        if critical:
            raise SigningError(_(
                "Acknowledge every critical warning with a reason before signing."
            ))
        medications = list(prescription.medications.order_by("pk"))
        if not medications:
            raise SigningError(_("A prescription needs at least one medication."))

        from apps.prescriptions.pdf import printable  # pdf.py builds on this module

        if not printable(prescription, medications):
            # Written before the forms checked the fonts: once signed it could never print.
            raise SigningError(_(
                "Some of this prescription's text cannot be printed (such as emoji or "
                "symbols like ≥): edit it before signing."
            ))

        key = signing_key_for(doctor)
        signed_values = signed_values_now(prescription)
        canonical = canonical_bytes(prescription, medications, signed_values=signed_values)
        signature = _private_key(key).sign(canonical)
        prescription.e_sign_data = json.dumps({
            "v": CANONICAL_VERSION, "alg": ALGORITHM, "key_id": key.pk,
            "signed_values": signed_values,
            "fingerprint": key_fingerprint(key.public_key),
            "signature": base64.b64encode(signature).decode(),
            "canonical_sha256": hashlib.sha256(canonical).hexdigest(),
        }, sort_keys=True)
        prescription.e_sign_status = ESignStatus.SIGNED
        prescription.signed_at = timezone.now()
        prescription.signing_key = key
        prescription.qr_code = qr.qr_png_base64(qr.verification_url(prescription.pk))
        prescription.save(update_fields=[
            "e_sign_data", "e_sign_status", "signed_at", "signing_key", "qr_code",
            "updated_at",
        ])

        with in_language_of(prescription.patient):
            notification_create(
                user=prescription.patient,
                event=NotificationEvent.PRESCRIPTION_READY,
                title=_("Your prescription is ready"),
                # Printable: checked above, before the signature was made.
                message=_("Your doctor has signed a prescription. "
                          "You can download it as a PDF."),
                action_url=prescription_page_path(prescription.pk),
            )
        phi_access_record(
            actor=doctor, action=PhiAction.UPDATE, resource_type=PhiResource.PRESCRIPTION,
            resource_id=prescription.pk, patient=prescription.patient_id, request=request,
        )
    logger.info("prescription signed id=%s doctor=%s key=%s", prescription.pk, doctor.pk,
                key.pk)
    return prescription


def can_reject(actor: User) -> bool:
    """Pharmacy staff (facility STAFF users) and admins may reject a signed prescription."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    return (actor.is_facility_staff and actor.facility_id is not None) or \
        actor.role in ADMIN_ROLES


def prescription_reject(*, actor: User, prescription_id: int, reason: str,
                        request: HttpRequest | None = None) -> Prescription:
    """Mark a signed prescription REJECTED with a reason; the patient and doctor are told."""
    reason = (reason or "").strip()
    if not can_reject(actor):
        raise PrescriptionNotFound(_("Prescription not found."))
    if not reason:
        raise SigningError(_("Give a reason for the rejection."))
    if len(reason) > REJECTION_REASON_MAX_LENGTH:
        raise SigningError(_("Keep the reason under %(count)s characters.")
                           % {"count": REJECTION_REASON_MAX_LENGTH})
    if has_control_characters(reason) or has_bidi_controls(reason):
        raise SigningError(_("The reason contains characters that cannot be saved."))
    with transaction.atomic():
        prescription = (
            Prescription.objects.select_for_update(of=("self",))
            .select_related("patient", "doctor").filter(pk=prescription_id).first()
        )
        if prescription is None:
            raise PrescriptionNotFound(_("Prescription not found."))
        if prescription.e_sign_status != ESignStatus.SIGNED:
            raise SigningError(_("Only a signed prescription can be rejected."))
        prescription.e_sign_status = ESignStatus.REJECTED
        prescription.rejected_at = timezone.now()
        prescription.rejected_by = actor
        prescription.rejection_reason = reason
        prescription.save(update_fields=[
            "e_sign_status", "rejected_at", "rejected_by", "rejection_reason", "updated_at",
        ])

        # The reason may hold PHI: the notifications only say that it happened.
        for user in (prescription.patient, prescription.doctor):
            with in_language_of(user):
                notification_create(
                    user=user,
                    event=NotificationEvent.GENERAL,
                    title=_("A prescription was rejected"),
                    message=_("A pharmacist or administrator rejected prescription #%(id)s.")
                    % {"id": prescription.pk},
                )
        phi_access_record(
            actor=actor, action=PhiAction.UPDATE, resource_type=PhiResource.PRESCRIPTION,
            resource_id=prescription.pk, patient=prescription.patient_id, request=request,
            reason="prescription rejected",
        )
    logger.info("prescription rejected id=%s actor=%s", prescription.pk, actor.pk)
    return prescription


# --- Immutability -------------------------------------------------------------------------

# What a signed prescription may still change: its rejection, once.
_REJECTION_FIELDS = {"e_sign_status", "rejected_at", "rejected_by_id", "rejection_reason"}
_IGNORED_FIELDS = {"updated_at"}


@dataclass(frozen=True)
class _Change:
    field: str
    before: Any
    after: Any


def _changes(stored: Prescription, new: Prescription) -> list[_Change]:
    changes = []
    for field in Prescription._meta.concrete_fields:
        name = field.attname
        if name in _IGNORED_FIELDS:
            continue
        before, after = getattr(stored, name), getattr(new, name)
        if before != after:
            changes.append(_Change(name, before, after))
    return changes


@receiver(pre_save, sender=Prescription, dispatch_uid="prescription_immutable_save")
def _refuse_changing_signed(sender: type[Prescription], instance: Prescription,
                            raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    stored = Prescription.objects.filter(pk=instance.pk).first()
    if stored is None or stored.e_sign_status == ESignStatus.PENDING:
        return
    changes = _changes(stored, instance)
    if not changes:
        return
    rejecting = (
        stored.e_sign_status == ESignStatus.SIGNED
        and instance.e_sign_status == ESignStatus.REJECTED
        and all(change.field in _REJECTION_FIELDS for change in changes)
    )
    if not rejecting:
        raise PrescriptionImmutable(_(
            "A signed prescription cannot be changed: write a new prescription instead."
        ))


@receiver(pre_delete, sender=Prescription, dispatch_uid="prescription_immutable_delete")
def _refuse_deleting_signed(sender: type[Prescription], instance: Prescription,
                            **kwargs: Any) -> None:
    if Prescription.objects.filter(pk=instance.pk).exclude(
        e_sign_status=ESignStatus.PENDING
    ).exists():
        raise PrescriptionImmutable(_("A signed prescription cannot be deleted."))


@receiver(pre_save, sender=PrescriptionMedication, dispatch_uid="medication_immutable_save")
@receiver(pre_delete, sender=PrescriptionMedication,
          dispatch_uid="medication_immutable_delete")
def _refuse_changing_signed_medications(sender: type[PrescriptionMedication],
                                        instance: PrescriptionMedication,
                                        raw: bool = False, **kwargs: Any) -> None:
    if raw:
        return
    if Prescription.objects.filter(pk=instance.prescription_id).exclude(
        e_sign_status=ESignStatus.PENDING
    ).exists():
        raise PrescriptionImmutable(_(
            "A signed prescription cannot be changed: write a new prescription instead."
        ))
