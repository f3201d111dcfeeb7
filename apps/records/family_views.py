"""Family medical history pages: the patient's own (editable) and a treating doctor's view."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.models import User
from apps.audit.models import PhiAction
from apps.records import family_selectors, family_services
from apps.records.family_forms import FamilyMemberForm
from apps.records.family_tree import family_tree_svg
from apps.records.models import FamilyMedicalHistory, Relation


def _page_context(members: list[FamilyMedicalHistory], *, patient_label: str) -> dict[str, Any]:
    groups = [
        (Relation(relation).label, [member for member in members if member.relation == relation])
        for relation in family_selectors.GENERATION_ORDER
    ]
    return {
        "members": members,
        "member_groups": [(label, group) for label, group in groups if group],
        "flags": family_selectors.family_condition_flags(members),
        "tree_svg": family_tree_svg(members, patient_label=patient_label),
    }


@login_required
@never_cache
@require_GET
def family_history(request: HttpRequest) -> HttpResponse:
    try:
        members = family_selectors.family_history_own(actor=request.user, request=request)
    except FamilyMedicalHistory.DoesNotExist:
        raise Http404 from None
    context = _page_context(members, patient_label=_("You"))
    return render(request, "records/family_history.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def member_add(request: HttpRequest) -> HttpResponse:
    actor = cast(User, request.user)
    if not actor.is_patient:
        raise Http404
    form = FamilyMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            family_services.family_member_add(actor=actor, request=request, **form.cleaned_data)
        except ValidationError as exc:  # a cap on relatives: said on the form
            form.add_error(None, exc)
        else:
            messages.success(request, _("The relative is added to your family history."))
            return redirect("family:mine")
    return render(request, "records/family_form.html", {"form": form, "member": None})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    try:
        member = family_selectors.family_member_get_own(
            actor=actor, member_id=member_id, request=request,
            action=PhiAction.UPDATE if request.method == "POST" else PhiAction.VIEW,
        )
    except FamilyMedicalHistory.DoesNotExist:
        raise Http404 from None
    initial = {name: getattr(member, name) for name in family_services.MEMBER_FIELDS}
    form = FamilyMemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            family_services.family_member_update(
                actor=actor, member_id=member.pk, request=request, **form.cleaned_data
            )
        except FamilyMedicalHistory.DoesNotExist:
            raise Http404 from None
        except ValidationError as exc:  # a cap on relatives: said on the form
            form.add_error(None, exc)
        else:
            messages.success(request, _("The relative's details are saved."))
            return redirect("family:mine")
    return render(request, "records/family_form.html", {"form": form, "member": member})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def member_delete(request: HttpRequest, member_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    try:
        member = family_selectors.family_member_get_own(
            actor=actor, member_id=member_id, request=request,
            action=PhiAction.DELETE if request.method == "POST" else PhiAction.VIEW,
        )
    except FamilyMedicalHistory.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        try:
            family_services.family_member_delete(
                actor=actor, member_id=member.pk, request=request
            )
        except FamilyMedicalHistory.DoesNotExist:
            raise Http404 from None
        messages.success(request, _("The relative is removed from your family history."))
        return redirect("family:mine")
    return render(request, "records/family_confirm_delete.html", {"member": member})


@login_required
@never_cache
@require_GET
def patient_family_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Read-only, for a doctor who treats the patient; the read (or refusal) is logged."""
    try:
        history = family_selectors.family_history_for_doctor(
            actor=request.user, patient_id=patient_id, request=request
        )
    except FamilyMedicalHistory.DoesNotExist:
        raise Http404 from None
    context = _page_context(history.members, patient_label=history.patient.name)
    context["patient"] = history.patient
    return render(request, "records/family_patient.html", context)
