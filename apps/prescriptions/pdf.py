"""A printable prescription as PDF, through the shared document helper (apps.core.pdf).

Labels are in the reader's language (English or Urdu); names, dosages and instructions
print as written, in Latin or Urdu script. The doctor's name and PMDC number and the patient's
initials and age are the values stored at signing (covered by the signature), as on the
verification page. Names (doctor, facility, initials) print a glyph the fonts lack as
U+FFFD; clinical text neither embedded font can draw (emoji, Chinese …) is refused with a
message naming the kinds of field, never printed with a gap where a dosage was. The forms
refuse such clinical text before it is saved, and signing refuses an older draft with it.
"""

from __future__ import annotations

import datetime
import logging

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.core.pdf import Document, UnprintableText
from apps.prescriptions import qr, signing
from apps.prescriptions.models import ESignStatus, Prescription, PrescriptionMedication

logger = logging.getLogger(__name__)

# The kinds of field a PDF line carries, named for the refusal message (no values in it).
FIELD_KINDS = {
    "doctor": gettext_lazy("the doctor's name"),
    "facility": gettext_lazy("the facility's name or city"),
    "patient": gettext_lazy("the patient's initials"),
    "medication": gettext_lazy("a medication name"),
    "dosage": gettext_lazy("a dosage, frequency or duration"),
    "notes": gettext_lazy("a medication's notes"),
    "instructions": gettext_lazy("the instructions"),
    "other": gettext_lazy("other text"),
}


def _when(value: datetime.datetime | None) -> str:
    if value is None:
        return "-"
    return timezone.localtime(value).strftime("%d %b %Y, %H:%M %Z")


def _content(prescription: Prescription,
             medications: list[PrescriptionMedication]) -> Document:
    values = signing.party_values(prescription)
    document = Document(
        title=_("Prescription #%(id)s") % {"id": prescription.pk},
        language=translation.get_language() or "en", rtl=translation.get_language_bidi(),
        corner_image=qr.qr_png(qr.verification_url(prescription.pk)),
    )
    document.add(_("HealthLink prescription"), size=16, bold=True)
    document.add(_("Prescription #%(id)s"), {"id": prescription.pk}, size=11)

    document.heading(_("Doctor"), gap=14)
    # Names print as stored at signing; a glyph the fonts lack prints as U+FFFD.
    document.add(values.doctor_name, kind="doctor", mark_missing=True)
    document.add(_("PMDC number: %(pmdc)s"), {"pmdc": values.doctor_pmdc or "-"})
    facility = prescription.appointment.facility if prescription.appointment else None
    if facility is not None:
        document.add(_("Facility: %(name)s, %(city)s"),
                     {"name": facility.name, "city": facility.city}, kind="facility",
                     mark_missing=True)

    document.heading(_("Patient"))
    document.add(_("Initials: %(initials)s"), {"initials": values.patient_initials},
                 kind="patient", mark_missing=True)
    age = values.patient_age if values.patient_age is not None else "-"
    document.add(_("Age at signing: %(age)s") if values.at_signing else _("Age: %(age)s"),
                 {"age": age})

    document.heading(_("Medications"))
    for number, medication in enumerate(medications, start=1):
        document.add(f"{number}. {medication.name}", bold=True, gap=4, kind="medication")
        document.add(_("Dosage: %(dosage)s; frequency: %(frequency)s; duration: %(duration)s"),
                     {"dosage": medication.dosage, "frequency": medication.frequency,
                      "duration": medication.duration}, kind="dosage")
        if medication.instructions:
            document.add(medication.instructions, kind="notes")
    if prescription.instructions:
        document.heading(_("Instructions"))
        document.add(prescription.instructions, kind="instructions")
    document.add(_("Valid until: %(when)s"), {"when": _when(prescription.valid_until)},
                 bold=True, gap=10)

    fingerprint = (signing.key_fingerprint(prescription.signing_key.public_key)
                   if prescription.signing_key else "-")
    document.heading(_("Electronic signature"), gap=14)
    document.add(_("Signed at: %(when)s"), {"when": _when(prescription.signed_at)})
    document.add(_("Algorithm: Ed25519; key fingerprint: %(fp)s"), {"fp": fingerprint})
    document.add(_("Check this prescription by scanning the QR code or opening:"))
    document.add(qr.verification_url(prescription.pk), size=8, keep_ltr=True)
    return document


def prescription_pdf_export(*, actor: User, prescription_id: int,
                            request: HttpRequest | None = None) -> tuple[Prescription, bytes]:
    """The PDF for the prescription's patient or doctor, logged as an EXPORT of PHI.

    PrescriptionNotFound for anyone else; SigningError for a prescription not (or no
    longer) signed: only a signed, unrejected one is printed.
    """
    prescription = signing.prescription_of_party(actor=actor, prescription_id=prescription_id)
    if prescription.e_sign_status == ESignStatus.PENDING:
        raise signing.SigningError(_("This prescription is not signed yet, so it cannot be "
                                     "printed."))
    if prescription.e_sign_status == ESignStatus.REJECTED:
        raise signing.SigningError(_("This prescription was rejected, so it cannot be "
                                     "printed."))
    medications = list(prescription.medications.order_by("pk"))
    if not signing.signature_valid(prescription, medications):
        logger.warning("prescription pdf refused id=%s: signature invalid", prescription.pk)
        raise signing.SigningError(_("This prescription's signature does not verify, so it "
                                     "cannot be printed."))
    try:
        document = prescription_pdf(prescription, medications)
    except UnprintableText as exc:
        logger.info("prescription pdf refused id=%s unprintable=%s", prescription.pk,
                    ",".join(exc.kinds))  # kinds of field only, never their text
        raise signing.SigningError(
            _("This prescription cannot be printed: %(fields)s holds characters the PDF "
              "fonts cannot show (such as emoji, or a script other than Latin and Urdu). "
              "The prescription itself is valid and can be checked online.")
            % {"fields": "; ".join(str(FIELD_KINDS[kind]) for kind in exc.kinds)}
        ) from None
    phi_access_record(
        actor=actor, action=PhiAction.EXPORT, resource_type=PhiResource.PRESCRIPTION,
        resource_id=prescription.pk, patient=prescription.patient_id, request=request,
    )
    return prescription, document


def printable(prescription: Prescription,
              medications: list[PrescriptionMedication] | None = None) -> bool:
    """Whether the embedded fonts can draw every text of this prescription's PDF."""
    if medications is None:
        medications = list(prescription.medications.order_by("pk"))
    return not _content(prescription, medications).unprintable_kinds()


def prescription_pdf(prescription: Prescription,
                     medications: list[PrescriptionMedication] | None = None) -> bytes:
    """The PDF of a signed prescription (the caller checks that it is signed and genuine).

    UnprintableText when some text cannot be drawn by the embedded fonts.
    """
    if medications is None:
        medications = list(prescription.medications.order_by("pk"))
    return _content(prescription, medications).render()
