"""A printable prescription as a small PDF, written by hand (no PDF library needed).

The document uses the standard Helvetica fonts with WinAnsi encoding and embeds the QR code
as a grey-scale image.
# LIMITATION: no Unicode font is embedded, so only text that WinAnsi (cp1252) can encode is
# printable. A prescription with other text (Urdu script in a name, a dosage, the
# instructions …) is refused with a message naming the kinds of field, never printed with
# "?" in place of a dosage. The labels are printed in English for the same reason.
"""

from __future__ import annotations

import io
import logging
import textwrap
import zlib
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.prescriptions import qr, signing
from apps.prescriptions.models import ESignStatus, Prescription
from apps.prescriptions.verification import age_on

logger = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 50
QR_SIZE = 130
WRAP = 64  # keeps the text left of the QR code


PDF_ENCODING = "cp1252"  # what the standard fonts' WinAnsiEncoding can show

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


class UnprintableText(Exception):
    """Text the PDF fonts cannot show; ``kinds`` are FIELD_KINDS keys, never the text."""

    def __init__(self, kinds: list[str]) -> None:
        super().__init__(", ".join(kinds))
        self.kinds = kinds


@dataclass
class _Line:
    text: str
    size: int = 10
    bold: bool = False
    gap: int = 0  # extra space before the line
    kind: str = "other"


@dataclass
class _Document:
    lines: list[_Line] = field(default_factory=list)

    def add(self, text: str, *, size: int = 10, bold: bool = False, gap: int = 0,
            kind: str = "other") -> None:
        first = True
        for part in textwrap.wrap(text, WRAP) or [""]:
            self.lines.append(_Line(part, size, bold, gap if first else 0, kind))
            first = False

    def unprintable_kinds(self) -> list[str]:
        kinds = []
        for line in self.lines:
            try:
                line.text.encode(PDF_ENCODING)
            except UnicodeEncodeError:
                kinds.append(line.kind)
        return [kind for kind in FIELD_KINDS if kind in kinds]


def _escape(text: str) -> bytes:
    raw = text.encode(PDF_ENCODING)  # strict: unprintable text was refused before
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _when(value: object) -> str:
    if value is None:
        return "-"
    local = timezone.localtime(value)  # type: ignore[arg-type]
    return local.strftime("%d %b %Y, %H:%M %Z")


def _content(prescription: Prescription) -> _Document:
    doctor, patient = prescription.doctor, prescription.patient
    document = _Document()
    document.add(_("HealthLink prescription"), size=16, bold=True)
    document.add(_("Prescription #%(id)s") % {"id": prescription.pk}, size=11)
    document.add(_("Doctor"), bold=True, gap=14)
    document.add(doctor.display_name, kind="doctor")
    document.add(_("PMDC number: %(pmdc)s") % {"pmdc": doctor.pmdc_license_number or "-"})
    facility = prescription.appointment.facility if prescription.appointment else None
    if facility is not None:
        document.add(_("Facility: %(name)s, %(city)s") % {"name": facility.name,
                                                          "city": facility.city},
                     kind="facility")
    age = age_on(patient.date_of_birth, timezone.localdate())
    document.add(_("Patient"), bold=True, gap=10)
    document.add(_("Initials: %(initials)s") % {"initials": patient.initials},
                 kind="patient")
    document.add(_("Age: %(age)s") % {"age": age if age is not None else "-"})

    document.add(_("Medications"), bold=True, gap=10)
    for number, medication in enumerate(prescription.medications.order_by("pk"), start=1):
        document.add(f"{number}. {medication.name}", bold=True, gap=4, kind="medication")
        document.add(_("Dosage: %(dosage)s; frequency: %(frequency)s; duration: %(duration)s")
                     % {"dosage": medication.dosage, "frequency": medication.frequency,
                        "duration": medication.duration}, kind="dosage")
        if medication.instructions:
            document.add(medication.instructions, kind="notes")
    if prescription.instructions:
        document.add(_("Instructions"), bold=True, gap=10)
        for paragraph in prescription.instructions.splitlines():
            document.add(paragraph, kind="instructions")
    document.add(_("Valid until: %(when)s") % {"when": _when(prescription.valid_until)},
                 bold=True, gap=10)

    fingerprint = (signing.key_fingerprint(prescription.signing_key.public_key)
                   if prescription.signing_key else "-")
    document.add(_("Electronic signature"), bold=True, gap=14)
    document.add(_("Signed at: %(when)s") % {"when": _when(prescription.signed_at)})
    document.add(_("Algorithm: Ed25519; key fingerprint: %(fp)s") % {"fp": fingerprint})
    document.add(_("Check this prescription by scanning the QR code or opening:"))
    document.add(qr.verification_url(prescription.pk), size=8)
    return document


def _qr_image(prescription: Prescription) -> tuple[int, int, bytes]:
    image = Image.open(io.BytesIO(qr.qr_png(qr.verification_url(prescription.pk))))
    grey = image.convert("L")
    return grey.width, grey.height, zlib.compress(grey.tobytes())


def _pages(document: _Document) -> list[list[tuple[int, _Line]]]:
    pages: list[list[tuple[int, _Line]]] = [[]]
    y = PAGE_HEIGHT - MARGIN
    for line in document.lines:
        step = line.gap + int(line.size * 1.4)
        if y - step < MARGIN:
            pages.append([])
            y = PAGE_HEIGHT - MARGIN
            step = int(line.size * 1.4)
        y -= step
        pages[-1].append((y, line))
    return pages


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
    try:
        document = prescription_pdf(prescription)
    except UnprintableText as exc:
        logger.info("prescription pdf refused id=%s unprintable=%s", prescription.pk,
                    ",".join(exc.kinds))  # kinds of field only, never their text
        raise signing.SigningError(
            _("This prescription cannot be printed yet: the PDF cannot show the script used "
              "in %(fields)s (for example Urdu). Printing such text is not supported yet; "
              "the prescription itself is valid and can be checked online.")
            % {"fields": "; ".join(str(FIELD_KINDS[kind]) for kind in exc.kinds)}
        ) from None
    phi_access_record(
        actor=actor, action=PhiAction.EXPORT, resource_type=PhiResource.PRESCRIPTION,
        resource_id=prescription.pk, patient=prescription.patient_id, request=request,
    )
    return prescription, document


def prescription_pdf(prescription: Prescription) -> bytes:
    """The PDF of a signed prescription (the caller checks that it is signed).

    UnprintableText when some text cannot be shown by the fonts (see the LIMITATION above).
    """
    with translation.override("en"):
        document = _content(prescription)
    unprintable = document.unprintable_kinds()
    if unprintable:
        raise UnprintableText(unprintable)
    width, height, pixels = _qr_image(prescription)
    pages = _pages(document)

    objects: list[bytes] = []  # object n is objects[n - 1]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in once the page tree exists
    tree = add(b"")
    regular = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                  b"/Encoding /WinAnsiEncoding >>")
    bold = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
               b"/Encoding /WinAnsiEncoding >>")
    image = add(
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n"
        % (width, height, len(pixels)) + pixels + b"\nendstream"
    )
    page_ids = []
    for number, lines in enumerate(pages):
        stream = io.BytesIO()
        for y, line in lines:
            font = b"F2" if line.bold else b"F1"
            stream.write(b"BT /%s %d Tf %d %d Td (%s) Tj ET\n"
                         % (font, line.size, MARGIN, y, _escape(line.text)))
        if number == 0:
            x, y = PAGE_WIDTH - MARGIN - QR_SIZE, PAGE_HEIGHT - MARGIN - QR_SIZE
            stream.write(b"q %d 0 0 %d %d %d cm /QR Do Q\n" % (QR_SIZE, QR_SIZE, x, y))
        body = stream.getvalue()
        content = add(b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream")
        page_ids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> /XObject << /QR %d 0 R >> >> >>"
            % (tree, PAGE_WIDTH, PAGE_HEIGHT, content, regular, bold, image)
        ))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % tree
    kids = b" ".join(b"%d 0 R" % page for page in page_ids)
    objects[tree - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(page_ids))

    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, catalog, xref))
    return out.getvalue()
