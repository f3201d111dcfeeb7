"""An appointment as an iCalendar (RFC 5545) file for the viewer's own calendar app.

Calendar files end up in third-party calendars, so they carry only what identifies the
meeting: who the doctor is, when, where, and a link back to the portal. Never the chief
complaint, the cancellation reason or the patient's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType

PRODID = "-//HealthLink//Appointments//EN"
UID_DOMAIN = "appointments.healthlink.pk"
MAX_LINE_OCTETS = 75
CRLF = "\r\n"


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Split a content line into lines of at most 75 octets (RFC 5545 §3.1).

    Continuation lines start with one space, which counts towards their 75 octets; a
    multi-byte UTF-8 character is never cut in two.
    """
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_LINE_OCTETS
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_LINE_OCTETS - 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _summary(appointment: Appointment, viewer: User) -> str:
    if viewer.pk == appointment.doctor_id:
        return _("HealthLink consultation (%(type)s)") % {
            "type": appointment.get_consultation_type_display().lower()
        }
    return _("Appointment with %(doctor)s") % {"doctor": appointment.doctor.display_name}


def _location(appointment: Appointment) -> str:
    facility = appointment.facility
    if facility is not None:
        return ", ".join(part for part in (facility.name, facility.address, facility.city) if part)
    if appointment.consultation_type == ConsultationType.PHONE:
        return _("Phone consultation")
    return _("Video call on HealthLink")


def appointment_ics(
    *,
    appointment: Appointment,
    viewer: User,
    url: str,
    sequence: int,
    now: datetime | None = None,
) -> str:
    """The VCALENDAR text, CRLF line ends and folded lines included.

    UID is stable for the appointment, so importing the file again updates the event;
    SEQUENCE (the number of changes to time, place or status) tells the client which
    version is newer, and a cancelled appointment says STATUS:CANCELLED.
    """
    now = now or timezone.now()
    cancelled = appointment.status == AppointmentStatus.CANCELLED
    description = _("%(type)s with %(doctor)s. Details: %(url)s") % {
        "type": appointment.get_consultation_type_display(),
        "doctor": appointment.doctor.display_name,
        "url": url,
    }
    lines: list[str] = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:appointment-{appointment.pk}@{UID_DOMAIN}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(appointment.scheduled_at)}",
        f"DTEND:{_utc(appointment.ends_at)}",
        f"SEQUENCE:{sequence}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        f"SUMMARY:{escape_text(_summary(appointment, viewer))}",
        f"LOCATION:{escape_text(_location(appointment))}",
        f"DESCRIPTION:{escape_text(description)}",
        f"URL:{url}",
        "TRANSP:OPAQUE",
    ]
    if appointment.created_at is not None:
        lines.append(f"CREATED:{_utc(appointment.created_at)}")
    if appointment.updated_at is not None:
        lines.append(f"LAST-MODIFIED:{_utc(appointment.updated_at)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return _join(lines)


def _join(lines: Iterable[str]) -> str:
    return "".join(fold(line) + CRLF for line in lines)
