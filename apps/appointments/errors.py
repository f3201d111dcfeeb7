"""Why a booking was refused, in words a patient can act on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.errors import RuleError


class BookingError(RuleError):
    """A booking the rules refuse."""

    default_message = _("This appointment cannot be booked.")


class NotAPatient(BookingError):
    default_message = _("Only patients can book appointments.")


class PatientEmailUnverified(BookingError):
    default_message = _("Verify your email address before booking an appointment.")


class DoctorUnavailable(BookingError):
    default_message = _("This doctor is not available for booking.")


class SlotInPast(BookingError):
    default_message = _("Choose a time in the future.")
    field = "time"


class TooFarAhead(BookingError):
    default_message = _("Appointments can be booked up to a year ahead; choose an earlier date.")
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


class CalendarBusy(BookingError):
    """The write kept losing to other changes of the same calendars at the same moment."""

    default_message = _(
        "Other changes to this calendar were being saved at the same moment. Please try again."
    )


class NotInAvailability(BookingError):
    default_message = _(
        "The doctor does not offer this time for this kind of visit. Choose one of the free "
        "times listed."
    )
    field = "slot"


class StaffNotAllowed(BookingError):
    default_message = _("Only staff of the appointment's facility can join it.")
    field = "staff"


# --- Setting weekly hours and exceptions ------------------------------------------------


class AvailabilityError(RuleError):
    """Working hours the rules refuse."""

    default_message = _("These working hours cannot be saved.")


class NotADoctor(AvailabilityError):
    default_message = _("Only doctors set working hours.")


class HoursOrder(AvailabilityError):
    default_message = _("The end time must be after the start time.")
    field = "end_time"


class SlotLength(AvailabilityError):
    default_message = _(
        "A slot lasts 5 to 240 minutes and must fit between the start and end times."
    )
    field = "slot_minutes"


class FacilityNotYours(AvailabilityError):
    default_message = _("Choose one of the facilities where you practise.")
    field = "facility"


class OutsideOperatingHours(AvailabilityError):
    field = "start_time"


class HoursOverlap(AvailabilityError):
    field = "start_time"


class ExceptionDates(AvailabilityError):
    field = "end_date"


class ExceptionTimes(AvailabilityError):
    field = "start_time"


# --- Changes to an existing appointment (cancel, reschedule, outcome) and the waitlist ---


class AppointmentChangeError(BookingError):
    """A change to an existing appointment that the rules refuse."""

    default_message = _("This appointment cannot be changed.")


class AppointmentNotScheduled(AppointmentChangeError):
    default_message = _("Only a scheduled appointment can be changed.")


class ChangeNotAllowed(AppointmentChangeError):
    default_message = _("You cannot make this change to the appointment.")


class TooLateToChange(AppointmentChangeError):
    default_message = _(
        "Appointments can be cancelled or rescheduled online up to 2 hours before they "
        "start. Please contact the clinic or the doctor."
    )


class CancellationReasonRequired(AppointmentChangeError):
    default_message = _("Give a reason for the cancellation; the patient will see it.")
    field = "reason"


class NotStartedYet(AppointmentChangeError):
    default_message = _(
        "An appointment can be marked completed or as a no-show only after it has started."
    )


class SameTime(AppointmentChangeError):
    default_message = _("Choose a time different from the current one.")
    field = "slot"


class WaitlistError(BookingError):
    """A waitlist request the rules refuse."""

    default_message = _("You cannot join the waitlist for this day.")


class WaitlistDayInPast(WaitlistError):
    default_message = _("Choose today or a later day.")
    field = "day"


class WaitlistDayTooFar(WaitlistError):
    default_message = _("The waitlist is open for the next 90 days only.")
    field = "day"


class WaitlistSlotsFree(WaitlistError):
    default_message = _("This doctor still has free times on that day: book one instead.")
    field = "day"


class WaitlistDuplicate(WaitlistError):
    default_message = _("You are already on the waitlist for this doctor on that day.")
    field = "day"


class WaitlistNoHours(WaitlistError):
    default_message = _("This doctor has no working hours left on that day; choose another day.")
    field = "day"
