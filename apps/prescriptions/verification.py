"""What the public verification page may say about a prescription, from its token.

Genuine means both checks pass: the token's HMAC and the prescription's Ed25519 signature
over its canonical form (see apps.prescriptions.signing). The page shows the doctor, the
medications and only the patient's initials and age. The doctor's name (version 3), PMDC
number, initials and age are the values at signing stored in e_sign_data (covered by the
signature); a signature made before they were stored falls back to the current values.
These reads are not written to the PHI access log: the page has no signed-in actor to log
and shows nothing that identifies the patient; the module log records the prescription id
and the outcome.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.utils import timezone

from apps.prescriptions import qr, signing
from apps.prescriptions.models import ESignStatus, Prescription, PrescriptionMedication

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class VerifiedMedication:
    name: str
    dosage: str
    frequency: str
    duration: str


@dataclass(frozen=True)
class Verification:
    genuine: bool
    prescription_id: int | None = None
    signed: bool = False
    rejected: bool = False
    expired: bool = False
    signed_at: datetime.datetime | None = None
    valid_until: datetime.datetime | None = None
    rejected_at: datetime.datetime | None = None
    doctor_name: str = ""
    doctor_pmdc: str = ""
    patient_initials: str = ""
    patient_age: int | None = None
    values_at_signing: bool = False
    key_fingerprint: str = ""
    medications: list[VerifiedMedication] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.genuine and self.signed and not self.rejected and not self.expired


NOT_GENUINE = Verification(genuine=False)


age_on = signing.age_on


def _load(prescription_id: int) -> Prescription | None:
    # Only the columns the page and the canonical form need: no encrypted patient column
    # is read, let alone decrypted.
    return (
        Prescription.objects.select_related("doctor", "patient", "signing_key")
        .only(
            "id", "doctor_id", "patient_id", "created_at", "valid_until", "instructions",
            "e_sign_status", "e_sign_data", "signed_at", "signing_key_id", "rejected_at",
            "doctor__name", "doctor__pmdc_license_number", "doctor__deleted_at",
            "patient__name", "patient__date_of_birth",
            "signing_key__public_key", "signing_key__doctor_id",
        )
        .filter(pk=prescription_id).first()
    )


def verify_token(token: str) -> Verification:
    """Check a token and the signature it leads to; NOT_GENUINE for anything amiss."""
    prescription_id = qr.prescription_id_from_token(token)
    if prescription_id is None:
        logger.info("prescription verification: bad token")
        return NOT_GENUINE
    prescription = _load(prescription_id)
    if prescription is None or prescription.e_sign_status == ESignStatus.PENDING:
        logger.info("prescription verification id=%s: not found or unsigned", prescription_id)
        return NOT_GENUINE
    medications: list[PrescriptionMedication] = list(
        PrescriptionMedication.objects.filter(prescription_id=prescription.pk).order_by("pk")
    )
    if not signing.signature_valid(prescription, medications):
        logger.warning("prescription verification id=%s: signature invalid", prescription.pk)
        return NOT_GENUINE

    now = timezone.now()
    values = signing.party_values(prescription)
    result = Verification(
        genuine=True,
        prescription_id=prescription.pk,
        signed=True,
        rejected=prescription.e_sign_status == ESignStatus.REJECTED,
        expired=prescription.valid_until <= now,
        signed_at=prescription.signed_at,
        valid_until=prescription.valid_until,
        rejected_at=prescription.rejected_at,
        doctor_name=values.doctor_name,
        doctor_pmdc=values.doctor_pmdc,
        patient_initials=values.patient_initials,
        patient_age=values.patient_age,
        values_at_signing=values.at_signing,
        key_fingerprint=signing.key_fingerprint(prescription.signing_key.public_key)
        if prescription.signing_key else "",
        medications=[
            VerifiedMedication(m.name, m.dosage, m.frequency, m.duration)
            for m in medications
        ],
    )
    logger.info("prescription verification id=%s genuine rejected=%s expired=%s",
                prescription.pk, result.rejected, result.expired)
    return result
