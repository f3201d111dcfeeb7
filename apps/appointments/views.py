"""Booking an appointment and reading one."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.models import User
from apps.appointments import errors, selectors, services
from apps.appointments.forms import BookingForm
from apps.appointments.models import Appointment
from apps.appointments.permissions import can_see_chief_complaint
from apps.facilities.selectors import doctor_facilities, doctor_get


@login_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, doctor_id: int) -> HttpResponse:
    patient = cast(User, request.user)
    try:
        doctor = doctor_get(actor=patient, doctor_id=doctor_id)
    except User.DoesNotExist:
        raise Http404 from None

    form = BookingForm(
        request.POST or None,
        facilities=doctor_facilities(doctor=doctor),
        zone=selectors.user_zone(patient),
    )
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_book(
                patient=patient,
                doctor=doctor,
                scheduled_at=form.scheduled_at,
                consultation_type=form.cleaned_data["consultation_type"],
                facility=form.cleaned_data["facility"],
                chief_complaint=form.cleaned_data["chief_complaint"],
            )
        except errors.BookingError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, str(exc.message))
        else:
            messages.success(request, _("Your appointment is booked."))
            return redirect("appointments:detail", appointment_id=appointment.pk)

    context = {"doctor": doctor, "form": form}
    return render(request, "appointments/book.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    try:
        appointment = selectors.appointment_get_for_actor(
            actor=request.user, appointment_id=appointment_id
        )
    except Appointment.DoesNotExist:
        raise Http404 from None

    context = {
        "appointment": appointment,
        "show_chief_complaint": can_see_chief_complaint(request.user, appointment),
    }
    return render(request, "appointments/detail.html", context)
