"""Medical record pages: lists, a record, its attachments, writing records, break-glass."""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.models import User
from apps.appointments.selectors import user_zone
from apps.core.errors import form_add_rule_error
from apps.core.uploads import private_file_response
from apps.records import attachments, selectors, services
from apps.records.forms import BreakGlassForm, RecordForm
from apps.records.permissions import is_practising_doctor


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@never_cache
@require_GET
def record_list(request: HttpRequest) -> HttpResponse:
    """A patient's own records; a doctor is sent to their patients."""
    actor = _user(request)
    if actor.is_doctor:
        return redirect("records:patients")
    if not actor.is_patient:
        raise Http404
    page = selectors.records_own(actor=actor, page=request.GET.get("page"))
    return render(request, "records/list.html", {"page": page})


@login_required
@never_cache
@require_GET
def record_detail(request: HttpRequest, record_id: int) -> HttpResponse:
    actor = _user(request)
    try:
        opened = services.record_open(actor=actor, record_id=record_id, request=request)
    except services.RecordNotFound:
        raise Http404 from None
    record = opened.record
    context = {
        "record": record,
        "access": opened.access,
        "attachment_numbers": range(1, len(record.file_urls or []) + 1),
        "can_edit": record.doctor_id == actor.pk and not opened.access.break_glass,
    }
    return render(request, "records/detail.html", context)


@login_required
@never_cache
@require_GET
def attachment_download(request: HttpRequest, record_id: int, number: int) -> HttpResponseBase:
    """One attachment, for whoever may read the record: streamed from the private directory,
    or a redirect to a short-lived signed URL on S3. Logged as a VIEW of the record."""
    try:
        handle = services.attachment_open(
            actor=_user(request), record_id=record_id, index=number - 1, request=request
        )
    except services.RecordNotFound:
        raise Http404 from None
    return private_file_response(storage=attachments.attachment_storage(), key=handle.key,
                                 filename=handle.filename)


@login_required
@never_cache
@require_GET
def patient_list(request: HttpRequest) -> HttpResponse:
    """The doctor's patients (a treatment relationship), each leading to their records."""
    actor = _user(request)
    if not is_practising_doctor(actor):
        raise Http404
    patients = list(selectors.patients_of_doctor(actor=actor)[:500])
    return render(request, "records/patients.html", {"patients": patients})


@login_required
@never_cache
@require_GET
def patient_records(request: HttpRequest, patient_id: int) -> HttpResponse:
    """A doctor's page of one patient's records: treating, or under a break-glass grant."""
    actor = _user(request)
    try:
        access = services.patient_records_open(
            actor=actor, patient_id=patient_id, request=request
        )
        patient = selectors.patient_get(patient_id=patient_id)
    except (services.RecordNotFound, User.DoesNotExist):
        raise Http404 from None
    page = selectors.records_of_patient(patient_id=patient_id, page=request.GET.get("page"))
    context = {
        "patient": patient, "page": page, "access": access,
        "can_write": not access.break_glass,
    }
    return render(request, "records/patient.html", context)


def _record_form(request: HttpRequest, *, doctor: User, patient_id: int,
                 **kwargs: Any) -> RecordForm:
    return RecordForm(
        request.POST or None, request.FILES or None,
        appointments=selectors.appointments_for_record(doctor_id=doctor.pk,
                                                       patient_id=patient_id),
        zone=user_zone(doctor), **kwargs,
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def record_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    try:
        doctor = services.record_write_check(doctor=_user(request), patient_id=patient_id,
                                             request=request, view=request.method == "GET")
        patient = selectors.patient_get(patient_id=patient_id)
    except (services.RecordNotFound, User.DoesNotExist):
        raise Http404 from None
    form = _record_form(request, doctor=doctor, patient_id=patient_id,
                        initial={"appointment": request.GET.get("appointment")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record = services.record_create(
                doctor=doctor, patient_id=patient_id, record_type=data["record_type"],
                record_date=data["record_date"], diagnosis=data["diagnosis"],
                treatment=data["treatment"], notes=data["notes"],
                appointment=data["appointment"], uploads=data["attachments"], request=request,
            )
        except services.RecordNotFound:
            raise Http404 from None
        except services.RecordError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The record is saved."))
            return redirect("records:detail", record_id=record.pk)
    return render(request, "records/form.html", {"form": form, "patient": patient,
                                                 "record": None})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def record_edit(request: HttpRequest, record_id: int) -> HttpResponse:
    doctor = _user(request)
    try:
        record = services.record_edit_check(doctor=doctor, record_id=record_id,
                                            request=request, view=request.method == "GET")
    except services.RecordNotFound:
        raise Http404 from None
    initial = {
        "record_type": record.record_type, "record_date": record.record_date,
        "appointment": record.appointment_id, "diagnosis": record.diagnosis or "",
        "treatment": record.treatment or "", "notes": record.notes or "",
    } if request.method == "GET" else None
    form = _record_form(request, doctor=doctor, patient_id=record.patient_id, initial=initial,
                        existing_attachments=len(record.file_urls or []))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.record_update(
                doctor=doctor, record_id=record.pk, record_type=data["record_type"],
                record_date=data["record_date"], diagnosis=data["diagnosis"],
                treatment=data["treatment"], notes=data["notes"],
                appointment=data["appointment"], uploads=data["attachments"], request=request,
            )
        except services.RecordNotFound:
            raise Http404 from None
        except services.RecordError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The record is updated."))
            return redirect("records:detail", record_id=record.pk)
    return render(request, "records/form.html", {"form": form, "patient": record.patient,
                                                 "record": record})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def break_glass(request: HttpRequest) -> HttpResponse:
    """Emergency access: the exact CNIC or email and a reason; never a search of patients."""
    doctor = _user(request)
    if not is_practising_doctor(doctor):
        raise Http404
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            patient_id = services.break_glass_open(
                doctor=doctor, identifier=form.cleaned_data["identifier"],
                reason=form.cleaned_data["reason"],
            )
        except services.RecordError as exc:
            form.add_error("reason" if exc.field == "reason" else None, exc.message)
        else:
            if patient_id is not None:
                return redirect("records:patient", patient_id=patient_id)
            # The same answer for an unknown CNIC or email and for a non-patient account.
            form.add_error("identifier", _("No patient matches these details."))
    minutes = int(getattr(settings, "RECORD_BREAK_GLASS_MINUTES", 60))
    return render(request, "records/break_glass.html", {"form": form, "minutes": minutes})

