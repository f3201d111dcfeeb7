"""Booking an appointment: the doctor's free times for a week, and the booking itself."""

from __future__ import annotations

import zoneinfo
from datetime import UTC
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.accounts.models import User
from apps.appointments import availability, errors, selectors, services
from apps.appointments.forms import MAX_WEEKS_AHEAD, BookingForm, VisitKindForm
from apps.appointments.validators import validate_calendar_instant
from apps.facilities.selectors import doctor_facilities

# Errors about fields the booking step shows; the others (type, place) are page-level.
_SHOWN_FIELDS = ("slot", "chief_complaint")


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, doctor_id: int) -> HttpResponse:
    viewer = cast(User, request.user)
    try:
        # The listed doctor's row only: their facilities are read below if a page is shown.
        doctor = availability.bookable_doctor_get(doctor_id=doctor_id)
    except User.DoesNotExist:
        raise Http404 from None

    facility_choices = doctor_facilities(doctor=doctor)
    zone = selectors.user_zone(viewer)
    params = request.POST if request.method == "POST" else request.GET
    form = BookingForm(request.POST or None, facilities=facility_choices, zone=zone)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_book(
                patient=viewer,
                doctor=doctor,
                scheduled_at=form.scheduled_at,
                consultation_type=form.cleaned_data["consultation_type"],
                facility=form.cleaned_data["facility"],
                chief_complaint=form.cleaned_data["chief_complaint"],
            )
        except errors.BookingError as exc:
            field = exc.field if exc.field in _SHOWN_FIELDS else None
            form.add_error(field, str(exc.message))
        else:
            messages.success(request, _("Your appointment is booked."))
            return redirect("appointments:detail", appointment_id=appointment.pk)

    week, kind_form = None, None
    offered = _offered_slot(request, zone)  # a waitlist offer's link names one free time
    if viewer.is_patient:
        # Filters that do not parse are dropped: the page falls back to its defaults.
        kind = VisitKindForm(params, facilities=facility_choices)
        kind.is_valid()
        week = availability.booking_week(
            doctor=doctor,
            facilities=list(facility_choices),
            zone=zone,
            week=kind.cleaned_data.get("week") or (offered[1] if offered else 0),
            consultation_type=kind.cleaned_data.get("consultation_type") or None,
            facility=kind.cleaned_data.get("facility"),
        )
        kind_form = VisitKindForm(
            initial={"consultation_type": week.consultation_type, "facility": week.facility},
            facilities=facility_choices,
        )
    context = {"doctor": doctor, "form": form, "kind_form": kind_form, "booking_week": week,
               "offered_slot": offered[0] if offered else None}
    return render(request, "appointments/book.html", context)


def _offered_slot(request: HttpRequest, zone: zoneinfo.ZoneInfo) -> tuple[str, int] | None:
    """The `?slot=` of a waitlist offer: its key, and which week of the page shows it."""
    if request.method != "GET" or "slot" not in request.GET:
        return None
    try:
        start = parse_datetime(request.GET["slot"])
        if start is None or timezone.is_naive(start):
            return None
        validate_calendar_instant(start)
    except (ValueError, ValidationError):
        return None
    days_ahead = (timezone.localtime(start, zone).date() - timezone.localdate(timezone=zone)).days
    if days_ahead < 0:
        return None
    return start.astimezone(UTC).isoformat(), min(days_ahead // 7, MAX_WEEKS_AHEAD)
