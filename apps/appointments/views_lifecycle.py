"""Pages for an appointment after booking: detail and its actions, calendars, waitlist."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import Role, User
from apps.appointments import availability, errors, ics, lifecycle, selectors
from apps.appointments.forms_lifecycle import CancelForm, DayForm, SlotChoiceForm, WaitlistJoinForm
from apps.appointments.models import Appointment, ConsultationType, WaitlistEntry
from apps.appointments.permissions import can_see_chief_complaint
from apps.core.errors import RuleError, form_add_rule_error
from apps.facilities.selectors import doctor_get
from apps.payments import refunds
from apps.video import selectors as video_selectors

WEEK_DAYS = 7


def _appointment_or_404(request: HttpRequest, appointment_id: int) -> Appointment:
    try:
        return selectors.appointment_get_for_actor(
            actor=request.user, appointment_id=appointment_id
        )
    except Appointment.DoesNotExist:
        raise Http404 from None


def _cancel_form(
    actor: User, appointment: Appointment, data: QueryDict | None = None
) -> tuple[lifecycle.AppointmentActions, CancelForm]:
    """What the actor may do, and the cancel form for it (bound to `data` when posted)."""
    actions = lifecycle.appointment_actions(actor=actor, appointment=appointment)
    refund_choice = actions.can_cancel and refunds.refund_choice_offered(
        actor=actor, appointment_id=appointment.pk, patient_id=appointment.patient_id
    )
    form = CancelForm(data, reason_required=actions.reason_required, refund_choice=refund_choice)
    return actions, form


def _render_detail(
    request: HttpRequest, appointment: Appointment,
    *, posted: tuple[lifecycle.AppointmentActions, CancelForm] | None = None,
) -> HttpResponse:
    actor = cast(User, request.user)
    actions, cancel_form = posted or _cancel_form(actor, appointment)
    context = {
        "appointment": appointment,
        "actions": actions,
        "cancel_form": cancel_form,
        "show_chief_complaint": can_see_chief_complaint(actor, appointment),
        # Video consultations: the call page link and, for the doctor, the summary.
        "video_call_role": video_selectors.participant_role(actor, appointment),
        "video_summary": video_selectors.call_summary(actor=actor, appointment=appointment),
    }
    return render(request, "appointments/detail.html", context)


@login_required
@require_GET
def detail(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _render_detail(request, _appointment_or_404(request, appointment_id))


@login_required
@require_POST
def cancel(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    appointment = _appointment_or_404(request, appointment_id)
    actions, form = _cancel_form(actor, appointment, request.POST)
    if form.is_valid():
        try:
            lifecycle.appointment_cancel(
                actor=actor, appointment_id=appointment.pk, reason=form.cleaned_data["reason"],
                refund_destination=form.cleaned_data.get("refund_to"),
            )
        except Appointment.DoesNotExist:
            raise Http404 from None
        except RuleError as exc:  # a booking rule, or a refund the payment rules refuse
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The appointment is cancelled."))
            return redirect("appointments:detail", appointment_id=appointment.pk)
    return _render_detail(request, appointment, posted=(actions, form))


@login_required
@require_POST
def complete(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _record_outcome(request, appointment_id, lifecycle.appointment_complete,
                           _("The appointment is marked completed."))


@login_required
@require_POST
def no_show(request: HttpRequest, appointment_id: int) -> HttpResponse:
    return _record_outcome(request, appointment_id, lifecycle.appointment_mark_no_show,
                           _("The appointment is marked as a no-show."))


def _record_outcome(
    request: HttpRequest, appointment_id: int, service: Callable[..., Appointment], done: str
) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    try:
        service(actor=request.user, appointment_id=appointment.pk)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except errors.AppointmentChangeError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, done)
    return redirect("appointments:detail", appointment_id=appointment.pk)


# --- Reschedule -------------------------------------------------------------------------


def _free_slots(
    appointment: Appointment, day: date, zone: zoneinfo.ZoneInfo
) -> list[availability.Slot]:
    """Free slots on `day` (the viewer's calendar) that suit this appointment's kind."""
    start, end = selectors.zone_day_bounds(day, zone)
    now = timezone.now()
    if end <= now:
        return []
    facility = (
        appointment.facility
        if appointment.consultation_type == ConsultationType.IN_PERSON else None
    )
    slots = availability.free_slots(
        doctor=appointment.doctor, start=max(start, now), end=end,
        consultation_type=appointment.consultation_type, facility=facility,
    )
    return [slot for slot in slots if slot.start > now]


def _chosen_day(request: HttpRequest, default: date) -> tuple[date, DayForm]:
    form = DayForm({"day": request.GET["day"]} if "day" in request.GET else None,
                   initial={"day": default})
    if form.is_bound and form.is_valid():
        return form.cleaned_data["day"], form
    return default, form


@login_required
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    appointment = _appointment_or_404(request, appointment_id)
    actions = lifecycle.appointment_actions(actor=actor, appointment=appointment)
    zone = selectors.user_zone(actor)
    today = timezone.localdate(timezone=zone)
    current_day = timezone.localtime(appointment.scheduled_at, zone).date()
    day, day_form = _chosen_day(request, max(current_day, today))

    form = SlotChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start: datetime = form.cleaned_data["slot"]
        day = timezone.localtime(start, zone).date()
        slot = next((s for s in _free_slots(appointment, day, zone) if s.start == start), None)
        if slot is None:
            form.add_error("slot", str(errors.SlotUnavailable.default_message))
        else:
            try:
                lifecycle.appointment_reschedule(
                    actor=actor, appointment_id=appointment.pk, scheduled_at=slot.start,
                    facility=appointment.facility,
                    duration_minutes=int((slot.end - slot.start).total_seconds() // 60),
                )
            except Appointment.DoesNotExist:
                raise Http404 from None
            except errors.BookingError as exc:
                form.add_error("slot" if exc.field else None, str(exc.message))
            else:
                messages.success(request, _("The appointment is moved to the new time."))
                return redirect("appointments:detail", appointment_id=appointment.pk)

    slots = _free_slots(appointment, day, zone) if actions.can_reschedule else []
    context = {
        "appointment": appointment,
        "actions": actions,
        "form": form,
        "day_form": day_form,
        "day": day,
        "previous_day": day - timedelta(days=1) if day > today else None,
        "next_day": day + timedelta(days=1),
        "slots": slots,
        "zone": zone,
    }
    return render(request, "appointments/reschedule.html", context)


# --- Calendar file ----------------------------------------------------------------------


@login_required
@require_GET
def calendar_file(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = _appointment_or_404(request, appointment_id)
    url = request.build_absolute_uri(reverse("appointments:detail", args=[appointment.pk]))
    body = ics.appointment_ics(
        appointment=appointment, viewer=cast(User, request.user), url=url,
        sequence=selectors.appointment_revision(appointment=appointment),
    )
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Lists and calendars ----------------------------------------------------------------


@login_required
@require_GET
def upcoming(request: HttpRequest) -> HttpResponse:
    page = selectors.appointments_upcoming(actor=request.user, page=request.GET.get("page"))
    return render(request, "appointments/list.html", _list_context(request, page, "upcoming"))


@login_required
@require_GET
def past(request: HttpRequest) -> HttpResponse:
    page = selectors.appointments_past(actor=request.user, page=request.GET.get("page"))
    return render(request, "appointments/list.html", _list_context(request, page, "past"))


def _list_context(request: HttpRequest, page: Page[Appointment], showing: str) -> dict[str, Any]:
    role = cast(User, request.user).role
    return {
        "page": page, "showing": showing,
        "show_doctor": role != Role.DOCTOR, "show_patient": role != Role.PATIENT,
    }


def _doctor_or_404(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if user.role != Role.DOCTOR:
        raise Http404
    return user


def _calendar_start(request: HttpRequest, today: date) -> tuple[date, DayForm]:
    data = {"day": request.GET["date"]} if "date" in request.GET else None
    form = DayForm(data, initial={"day": today})
    if form.is_bound and form.is_valid():
        return form.cleaned_data["day"], form
    return today, form


@login_required
@require_GET
def doctor_day(request: HttpRequest) -> HttpResponse:
    doctor = _doctor_or_404(request)
    today = timezone.localdate(timezone=selectors.user_zone(doctor))
    day, form = _calendar_start(request, today)
    calendar = selectors.doctor_calendar(actor=doctor, start=day, days=1)
    context = {"calendar": calendar, "form": form, "today": today, "view": "day"}
    return render(request, "appointments/doctor_day.html", context)


@login_required
@require_GET
def doctor_week(request: HttpRequest) -> HttpResponse:
    doctor = _doctor_or_404(request)
    today = timezone.localdate(timezone=selectors.user_zone(doctor))
    day, form = _calendar_start(request, today)
    calendar = selectors.doctor_calendar(
        actor=doctor, start=selectors.week_start(day), days=WEEK_DAYS
    )
    context = {"calendar": calendar, "form": form, "today": today, "view": "week"}
    return render(request, "appointments/doctor_week.html", context)


# --- Waitlist ---------------------------------------------------------------------------


def _patient_or_404(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if user.role != Role.PATIENT:
        raise Http404
    return user


def _listed_doctor_or_404(actor: User, raw_id: object) -> User:
    try:
        return doctor_get(actor=actor, doctor_id=int(str(raw_id)))
    except (User.DoesNotExist, ValueError):
        raise Http404 from None


@login_required
@require_GET
def waitlist(request: HttpRequest) -> HttpResponse:
    patient = _patient_or_404(request)
    entries = selectors.waitlist_for_patient(actor=patient)
    return render(request, "appointments/waitlist.html", {"entries": entries})


@login_required
@require_http_methods(["GET", "POST"])
def waitlist_join(request: HttpRequest) -> HttpResponse:
    patient = _patient_or_404(request)
    source = request.POST if request.method == "POST" else request.GET
    doctor = _listed_doctor_or_404(patient, source.get("doctor", ""))
    zone = selectors.user_zone(doctor)
    initial = {"doctor": doctor.pk, "day": source.get("day") or timezone.localdate(timezone=zone)}
    form = WaitlistJoinForm(request.POST or None, initial=initial)

    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.waitlist_join(patient=patient, doctor=doctor, day=form.cleaned_data["day"])
        except errors.BookingError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("You are on the waitlist. We will tell you when a "
                                        "time frees up."))
            return redirect("appointments:waitlist")

    context = {"doctor": doctor, "form": form, "zone": zone}
    return render(request, "appointments/waitlist_join.html", context)


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    patient = _patient_or_404(request)
    try:
        lifecycle.waitlist_leave(patient=patient, entry_id=entry_id)
    except WaitlistEntry.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("You have left the waitlist."))
    return redirect("appointments:waitlist")
