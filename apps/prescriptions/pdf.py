"""A printable prescription as a small PDF, written by hand (no PDF library needed).

The document uses the standard Helvetica fonts with WinAnsi encoding and embeds the QR code
as a grey-scale image.
# LIMITATION: text outside Latin-1 (Urdu) prints as "?" — matters once names or medications
# are written in Urdu script; the labels are printed in English for that reason.
"""

from __future__ import annotations

import io
import textwrap
import zlib
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from PIL import Image

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.prescriptions import qr, signing
from apps.prescriptions.models import ESignStatus, Prescription
from apps.prescriptions.verification import age_on

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 50
QR_SIZE = 130
WRAP = 64  # keeps the text left of the QR code


@dataclass
class _Line:
    text: str
    size: int = 10
    bold: bool = False
    gap: int = 0  # extra space before the line


@dataclass
class _Document:
    lines: list[_Line] = field(default_factory=list)

    def add(self, text: str, *, size: int = 10, bold: bool = False, gap: int = 0) -> None:
        first = True
        for part in textwrap.wrap(text, WRAP) or [""]:
            self.lines.append(_Line(part, size, bold, gap if first else 0))
            first = False


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
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
    document.add(doctor.display_name)
    document.add(_("PMDC number: %(pmdc)s") % {"pmdc": doctor.pmdc_license_number or "-"})
    facility = prescription.appointment.facility if prescription.appointment else None
    if facility is not None:
        document.add(_("Facility: %(name)s, %(city)s") % {"name": facility.name,
                                                          "city": facility.city})
    age = age_on(patient.date_of_birth, timezone.localdate())
    document.add(_("Patient"), bold=True, gap=10)
    document.add(_("Initials: %(initials)s") % {"initials": patient.initials})
    document.add(_("Age: %(age)s") % {"age": age if age is not None else "-"})

    document.add(_("Medications"), bold=True, gap=10)
    for number, medication in enumerate(prescription.medications.order_by("pk"), start=1):
        document.add(f"{number}. {medication.name}", bold=True, gap=4)
        document.add(_("Dosage: %(dosage)s; frequency: %(frequency)s; duration: %(duration)s")
                     % {"dosage": medication.dosage, "frequency": medication.frequency,
                        "duration": medication.duration})
        if medication.instructions:
            document.add(medication.instructions)
    if prescription.instructions:
        document.add(_("Instructions"), bold=True, gap=10)
        for paragraph in prescription.instructions.splitlines():
            document.add(paragraph)
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
    document = prescription_pdf(prescription)
    phi_access_record(
        actor=actor, action=PhiAction.EXPORT, resource_type=PhiResource.PRESCRIPTION,
        resource_id=prescription.pk, patient=prescription.patient_id, request=request,
    )
    return prescription, document


def prescription_pdf(prescription: Prescription) -> bytes:
    """The PDF of a signed prescription (the caller checks that it is signed)."""
    with translation.override("en"):
        document = _content(prescription)
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
