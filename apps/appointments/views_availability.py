"""A doctor's own working hours: weekly blocks and exceptions (list, add, delete).

Only the doctor sees or changes their hours; anyone else gets a 404. The routes are in
`urlpatterns` below, included by apps/appointments/urls.py.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import Role, User
from apps.appointments import availability, errors
from apps.appointments.forms import AvailabilityExceptionForm, WeeklyHoursForm
from apps.appointments.models import AvailabilityException, DoctorAvailability
from apps.core.errors import form_add_rule_error
from apps.facilities.selectors import doctor_facilities


def _doctor(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or user.role != Role.DOCTOR or not user.is_active:
        raise Http404
    return user


def _page(
    request: HttpRequest, doctor: User, *, weekly_form: WeeklyHoursForm | None = None,
    exception_form: AvailabilityExceptionForm | None = None,
) -> HttpResponse:
    facilities = doctor_facilities(doctor=doctor)
    context: dict[str, Any] = {
        "weekly": list(availability.weekly_hours_for(actor=doctor)),
        "exceptions": list(availability.exceptions_upcoming_for(actor=doctor)),
        "weekly_form": weekly_form or WeeklyHoursForm(facilities=facilities),
        "exception_form": exception_form or AvailabilityExceptionForm(facilities=facilities),
        "zone": availability.zone_named(doctor.time_zone),
    }
    return render(request, "appointments/availability.html", context)


@login_required
@require_GET
def availability_page(request: HttpRequest) -> HttpResponse:
    return _page(request, _doctor(request))


@login_required
@require_POST
def weekly_add(request: HttpRequest) -> HttpResponse:
    doctor = _doctor(request)
    form = WeeklyHoursForm(request.POST, facilities=doctor_facilities(doctor=doctor))
    if form.is_valid():
        try:
            availability.weekly_hours_add(
                doctor=doctor,
                weekdays=form.cleaned_data["weekdays"],
                start_time=form.cleaned_data["start_time"],
                end_time=form.cleaned_data["end_time"],
                facility=form.cleaned_data["facility"],
                slot_minutes=form.cleaned_data["slot_minutes"],
            )
        except errors.AvailabilityError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("Working hours added."))
            return redirect("appointments:availability")
    return _page(request, doctor, weekly_form=form)


@login_required
@require_POST
def weekly_delete(request: HttpRequest, availability_id: int) -> HttpResponse:
    doctor = _doctor(request)
    try:
        availability.weekly_hours_delete(doctor=doctor, availability_id=availability_id)
    except DoctorAvailability.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Working hours removed."))
    return redirect("appointments:availability")


@login_required
@require_POST
def exception_add(request: HttpRequest) -> HttpResponse:
    doctor = _doctor(request)
    form = AvailabilityExceptionForm(request.POST, facilities=doctor_facilities(doctor=doctor))
    if form.is_valid():
        data = form.cleaned_data
        try:
            availability.availability_exception_add(
                doctor=doctor, kind=data["kind"], start_date=data["start_date"],
                end_date=data["end_date"], start_time=data["start_time"],
                end_time=data["end_time"], facility=data["facility"],
                slot_minutes=data["slot_minutes"], reason=data["reason"],
            )
        except errors.AvailabilityError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("Exception added."))
            return redirect("appointments:availability")
    return _page(request, doctor, exception_form=form)


@login_required
@require_POST
def exception_delete(request: HttpRequest, exception_id: int) -> HttpResponse:
    doctor = _doctor(request)
    try:
        availability.availability_exception_delete(doctor=doctor, exception_id=exception_id)
    except AvailabilityException.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Exception removed."))
    return redirect("appointments:availability")


urlpatterns = [
    path("availability/", availability_page, name="availability"),
    path("availability/weekly/", weekly_add, name="availability_weekly_add"),
    path("availability/weekly/<int:availability_id>/delete/", weekly_delete,
         name="availability_weekly_delete"),
    path("availability/exceptions/", exception_add, name="availability_exception_add"),
    path("availability/exceptions/<int:exception_id>/delete/", exception_delete,
         name="availability_exception_delete"),
]
