"""Prescription pages: lists, a prescription, writing and editing one, live checks."""

from __future__ import annotations

import re
import uuid
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import User
from apps.appointments.selectors import user_zone
from apps.core.errors import form_add_rule_error
from apps.prescriptions import drugs, selectors, services
from apps.prescriptions.forms import (
    DATALIST_ID,
    FORMSET_PREFIX,
    AcknowledgeForm,
    BaseMedicationFormSet,
    PrescriptionForm,
    default_valid_until,
    error_text,
    medication_formset,
)
from apps.prescriptions.interactions import CheckResult
from apps.prescriptions.models import Prescription, Severity, WarningSource, WarningType
from apps.prescriptions.signing import party_values
from apps.prescriptions.views_sign import sign_panel_context
from apps.prescriptions.warning_text import with_display_messages
from apps.records.permissions import is_practising_doctor

_NAME_FIELD = re.compile(r"^medications-(\d+)-name$")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _live_context(result: CheckResult) -> dict[str, Any]:
    """The unsaved check, shaped like stored warning rows (labels in the active language)."""
    warnings = [
        {**warning.model_fields(),
         "severity_label": Severity(warning.severity).label,
         "type_label": WarningType(warning.warning_type).label}
        for warning in result.warnings
    ]
    return {"preview": result, "warnings": warnings, "unchecked": result.unknown,
            "unchecked_allergies": result.unchecked_allergies,
            "checked_any": bool(result.medications)}


@login_required
@never_cache
@require_GET
def prescription_list(request: HttpRequest) -> HttpResponse:
    """A patient's prescriptions, or the ones a doctor wrote."""
    actor = _user(request)
    if actor.is_patient:
        page = selectors.prescriptions_own(actor=actor, page=request.GET.get("page"))
    elif is_practising_doctor(actor):
        page = selectors.prescriptions_written(actor=actor, page=request.GET.get("page"))
    else:
        raise Http404
    return render(request, "prescriptions/list.html",
                  {"page": page, "as_doctor": not actor.is_patient})


def _detail_context(prescription: Prescription, actor: User) -> dict[str, Any]:
    medications = list(prescription.medications.all())
    names = [m.name for m in medications]
    stored = list(prescription.warnings.all())
    is_author = prescription.doctor_id == actor.pk
    return {
        "prescription": prescription,
        "medications": medications,
        "warnings": with_display_messages(
            [w for w in stored if w.source == WarningSource.OFFLINE]),
        "online_rows": with_display_messages(
            [w for w in stored if w.source == WarningSource.OPENFDA]),
        "unchecked": selectors.unchecked_names(names=names),
        "unchecked_allergies": selectors.unchecked_allergies(
            allergies=prescription.patient.allergies) if is_author else (),
        "online": selectors.online_check(names=names) if is_author else None,
        "is_author": is_author,
        "editable": is_author and prescription.e_sign_status == "PENDING",
        "critical": Severity.CRITICAL.value,
        "ack_form": AcknowledgeForm(),
        "expired": prescription.valid_until <= timezone.now(),
        "panel": sign_panel_context(actor=actor, prescription=prescription),
        # Only the author and the patient read this page (services.prescription_open).
        "rejected_by_role": selectors.rejecter_role_label(prescription),
        # Once signed, the name it was signed under (as on the PDF and the public page).
        "doctor_name": party_values(prescription).doctor_name,
    }


@login_required
@never_cache
@require_GET
def prescription_detail(request: HttpRequest, prescription_id: int) -> HttpResponse:
    actor = _user(request)
    try:
        prescription = services.prescription_open(
            actor=actor, prescription_id=prescription_id, request=request,
        )
    except services.PrescriptionNotFound:
        raise Http404 from None
    if services.warnings_refresh_if_stale(doctor=actor, prescription=prescription):
        # The patient's allergies changed since the last save: show the fresh warnings.
        prescription = selectors.prescription_get(prescription_id=prescription.pk)
        messages.warning(request, _("The checks were run again against the patient's "
                                    "current allergies, and the warnings changed."))
    return render(request, "prescriptions/detail.html", _detail_context(prescription, actor))


ADD_ROWS = "add_rows"
ROWS_PER_ADD = 3


def _saving(request: HttpRequest) -> bool:
    return request.method == "POST" and ADD_ROWS not in request.POST


def _rows_data(request: HttpRequest) -> Any:
    """The posted formset; with "More rows" pressed, the same rows plus empty ones."""
    if request.method != "POST":
        return None
    if ADD_ROWS not in request.POST:
        return request.POST
    data = request.POST.copy()
    key = f"{FORMSET_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(key, "0"))
    except ValueError:
        total = 0
    data[key] = str(max(0, min(total + ROWS_PER_ADD, services.MAX_MEDICATIONS)))
    return data


def _form_page(request: HttpRequest, *, form: PrescriptionForm,
               formset: BaseMedicationFormSet, patient: User,
               prescription: Prescription | None) -> HttpResponse:
    names = [form_.data.get(f"{form_.prefix}-name", "") if formset.is_bound
             else (form_.initial or {}).get("name", "") for form_ in formset.forms]
    names = [name for name in names if name and name.strip()]
    preview = services.offline_check(names=names, allergies=patient.allergies)
    context = {
        "form": form, "formset": formset, "patient": patient, "prescription": prescription,
        "datalist_id": DATALIST_ID, **_live_context(preview),
    }
    return render(request, "prescriptions/form.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def prescription_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    doctor = _user(request)
    try:
        patient = services.prescription_write_check(
            doctor=doctor, patient_id=patient_id, request=request,
            view=request.method == "GET",
        )
    except services.PrescriptionNotFound:
        raise Http404 from None
    zone = user_zone(doctor)
    appointments = selectors.appointments_for_prescription(doctor_id=doctor.pk,
                                                           patient_id=patient_id)
    form = PrescriptionForm(
        request.POST or None, appointments=appointments, zone=zone,
        initial={"valid_until": default_valid_until(zone),
                 "appointment": request.GET.get("appointment"),
                 "submission_key": uuid.uuid4()},
    )
    formset = medication_formset(_rows_data(request), extra=4)
    if _saving(request) and form.is_valid() & formset.is_valid():
        appointment = form.cleaned_data["appointment"]
        try:
            prescription = services.prescription_create(
                doctor=doctor, patient_id=patient_id,
                instructions=form.cleaned_data["instructions"],
                valid_until=form.valid_until_instant(),
                medications=formset.medications(),
                appointment_id=appointment.pk if appointment else None, request=request,
                submission_key=form.cleaned_data["submission_key"],
            )
        except services.PrescriptionNotFound:
            raise Http404 from None
        except services.DuplicateSubmission as exc:
            messages.info(request, _("This prescription was already saved."))
            return redirect("prescriptions:detail", prescription_id=exc.prescription_id)
        except services.PrescriptionError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The prescription is saved."))
            return redirect("prescriptions:detail", prescription_id=prescription.pk)
    return _form_page(request, form=form, formset=formset, patient=patient, prescription=None)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def prescription_edit(request: HttpRequest, prescription_id: int) -> HttpResponse:
    doctor = _user(request)
    try:
        prescription = services.prescription_edit_check(
            doctor=doctor, prescription_id=prescription_id, request=request,
            view=request.method == "GET",
        )
    except services.PrescriptionNotFound:
        raise Http404 from None
    except services.PrescriptionLocked as exc:
        messages.error(request, exc.message)
        return redirect("prescriptions:detail", prescription_id=prescription_id)
    zone = user_zone(doctor)
    appointments = selectors.appointments_for_prescription(
        doctor_id=doctor.pk, patient_id=prescription.patient_id)
    form = PrescriptionForm(
        request.POST or None, appointments=appointments, zone=zone,
        initial={
            "valid_until": timezone.localtime(prescription.valid_until, zone).date(),
            "appointment": prescription.appointment_id,
            "instructions": prescription.instructions or "",
        },
    )
    initial = [
        {"name": m.name, "dosage": m.dosage, "frequency": m.frequency,
         "duration": m.duration, "instructions": m.instructions or ""}
        for m in prescription.medications.all()
    ]
    formset = medication_formset(_rows_data(request),
                                 initial=None if request.method == "POST" else initial,
                                 extra=2)
    if _saving(request) and form.is_valid() & formset.is_valid():
        appointment = form.cleaned_data["appointment"]
        try:
            services.prescription_update(
                doctor=doctor, prescription_id=prescription.pk,
                instructions=form.cleaned_data["instructions"],
                valid_until=form.valid_until_instant(),
                medications=formset.medications(),
                appointment_id=appointment.pk if appointment else None, request=request,
            )
        except services.PrescriptionNotFound:
            raise Http404 from None
        except services.PrescriptionLocked as exc:
            messages.error(request, exc.message)
            return redirect("prescriptions:detail", prescription_id=prescription.pk)
        except services.PrescriptionError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The prescription is updated."))
            return redirect("prescriptions:detail", prescription_id=prescription.pk)
    return _form_page(request, form=form, formset=formset, patient=prescription.patient,
                      prescription=prescription)


@login_required
@never_cache
@require_POST
def warning_acknowledge(request: HttpRequest, prescription_id: int,
                        warning_id: int) -> HttpResponse:
    doctor = _user(request)
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return redirect("prescriptions:detail", prescription_id=prescription_id)
    try:
        services.warning_acknowledge(
            doctor=doctor, prescription_id=prescription_id, warning_id=warning_id,
            reason=form.cleaned_data["reason"], request=request,
        )
    except services.PrescriptionNotFound:
        raise Http404 from None
    except services.PrescriptionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The warning is acknowledged."))
    return redirect("prescriptions:detail", prescription_id=prescription_id)


def _posted_names(request: HttpRequest) -> list[str]:
    rows = []
    for key in request.POST:
        value = str(request.POST.get(key, ""))
        match = _NAME_FIELD.match(key)
        if match and value.strip():
            rows.append((int(match.group(1)), value.strip()[:255]))
    return [name for _index, name in sorted(rows)][: services.MAX_MEDICATIONS]


@login_required
@never_cache
@require_POST
def live_check(request: HttpRequest, patient_id: int) -> HttpResponse:
    """htmx: the offline check of the list being typed. Nothing is saved or logged here;
    the form page that drives it logged the doctor's view of the patient."""
    try:
        result = services.check_preview(doctor=_user(request), patient_id=patient_id,
                                        names=_posted_names(request))
    except services.PrescriptionNotFound:
        raise Http404 from None
    return render(request, "prescriptions/_live_check.html", _live_context(result))


@login_required
@never_cache
@require_POST
def drug_suggestions(request: HttpRequest) -> HttpResponse:
    """htmx: <option>s for the medication-name datalist; doctors only. POST keeps typed
    names out of URLs and access logs."""
    if not is_practising_doctor(_user(request)):
        raise Http404
    prefix = str(request.POST.get("q", ""))
    if not prefix:
        typed = [str(request.POST.get(key, "")) for key in request.POST if _NAME_FIELD.match(key)]
        prefix = typed[0] if len(typed) == 1 else ""
    options = drugs.suggestions(prefix[:100]) if len(prefix.strip()) >= 2 else []
    return render(request, "prescriptions/_suggestions.html", {"options": options})
