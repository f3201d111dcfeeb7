"""Why a booking was refused, in words a patient can act on."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class BookingError(Exception):
    """A booking the rules refuse. `message` is safe to show; `field` names the form field."""

    default_message: str | Promise = _("This appointment cannot be booked.")
    field: str | None = None

    def __init__(self, message: str | Promise | None = None) -> None:
        self.message = message if message is not None else self.default_message
        super().__init__(str(self.message))


class NotAPatient(BookingError):
    default_message = _("Only patients can book appointments.")


class PatientEmailUnverified(BookingError):
    default_message = _("Verify your email address before booking an appointment.")


class DoctorUnavailable(BookingError):
    default_message = _("This doctor is not available for booking.")


class SlotInPast(BookingError):
    default_message = _("Choose a time in the future.")
    field = "time"


class InvalidDuration(BookingError):
    default_message = _("An appointment lasts at least one minute.")


class InvalidConsultationType(BookingError):
    default_message = _("Choose video call, phone or in person.")
    field = "consultation_type"


class FacilityRequired(BookingError):
    default_message = _("Choose one of this doctor's facilities for an in-person visit.")
    field = "facility"


class FacilityNotAllowed(BookingError):
    default_message = _("Video and phone consultations do not take place at a facility.")
    field = "facility"


class PatientOverlap(BookingError):
    default_message = _("You already have an appointment at this time.")


class SlotUnavailable(BookingError):
    default_message = _("This time is no longer available.")
