"""The patient's "Who accessed my data" page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.audit import selectors
from apps.audit.admin import ADMIN_REASON
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.exports.services import EXPORT_REASON
from apps.records.family_services import FAMILY_HISTORY_REASON

# One whole sentence per action and resource, so that each translates as a whole.
WHAT: dict[tuple[str, str], Promise] = {
    (PhiAction.VIEW, PhiResource.MEDICAL_RECORD): _("Viewed a medical record"),
    (PhiAction.UPDATE, PhiResource.MEDICAL_RECORD): _("Changed a medical record"),
    (PhiAction.DELETE, PhiResource.MEDICAL_RECORD): _("Deleted a medical record"),
    (PhiAction.EXPORT, PhiResource.MEDICAL_RECORD): _("Exported a medical record"),
    (PhiAction.VIEW, PhiResource.PRESCRIPTION): _("Viewed a prescription"),
    (PhiAction.UPDATE, PhiResource.PRESCRIPTION): _("Changed a prescription"),
    (PhiAction.DELETE, PhiResource.PRESCRIPTION): _("Deleted a prescription"),
    (PhiAction.EXPORT, PhiResource.PRESCRIPTION): _("Exported a prescription"),
    (PhiAction.VIEW, PhiResource.PATIENT_PROFILE): _("Viewed your profile"),
    (PhiAction.UPDATE, PhiResource.PATIENT_PROFILE): _("Changed your profile"),
    (PhiAction.DELETE, PhiResource.PATIENT_PROFILE): _("Deleted your profile data"),
    (PhiAction.EXPORT, PhiResource.PATIENT_PROFILE): _("Exported your data"),
}
# A refused attempt reads as one: nothing was seen or changed.
WHAT_REFUSED: dict[tuple[str, str], Promise] = {
    (PhiAction.VIEW, PhiResource.MEDICAL_RECORD): _("Tried to view a medical record, refused"),
    (PhiAction.UPDATE, PhiResource.MEDICAL_RECORD):
        _("Tried to change a medical record, refused"),
    (PhiAction.DELETE, PhiResource.MEDICAL_RECORD):
        _("Tried to delete a medical record, refused"),
    (PhiAction.EXPORT, PhiResource.MEDICAL_RECORD):
        _("Tried to export a medical record, refused"),
    (PhiAction.VIEW, PhiResource.PRESCRIPTION): _("Tried to view a prescription, refused"),
    (PhiAction.UPDATE, PhiResource.PRESCRIPTION): _("Tried to change a prescription, refused"),
    (PhiAction.DELETE, PhiResource.PRESCRIPTION): _("Tried to delete a prescription, refused"),
    (PhiAction.EXPORT, PhiResource.PRESCRIPTION): _("Tried to export a prescription, refused"),
    (PhiAction.VIEW, PhiResource.PATIENT_PROFILE): _("Tried to view your profile, refused"),
    (PhiAction.UPDATE, PhiResource.PATIENT_PROFILE): _("Tried to change your profile, refused"),
    (PhiAction.DELETE, PhiResource.PATIENT_PROFILE):
        _("Tried to delete your profile data, refused"),
    (PhiAction.EXPORT, PhiResource.PATIENT_PROFILE): _("Tried to export your data, refused"),
}
# Reasons the system itself stores are kept stable (English) in the log and translated
# here, when shown; a reason a person typed (break-glass, consultation) is shown as typed.
REASONS: dict[str, Promise] = {
    ADMIN_REASON: _("Platform administration"),
    FAMILY_HISTORY_REASON: _("Family medical history"),
    EXPORT_REASON: _("Your data export"),
}


@dataclass(frozen=True)
class AccessRow:
    entry: PhiAccessLog
    by_you: bool
    what: str
    why: str


def _row(entry: PhiAccessLog, patient: User) -> AccessRow:
    what = (WHAT_REFUSED if entry.refused else WHAT).get((entry.action, entry.resource_type))
    reason = entry.reason or ""
    return AccessRow(
        entry=entry,
        by_you=entry.actor_id == patient.pk,
        what=str(what) if what is not None else f"{entry.action} {entry.resource_type}",
        why=str(REASONS.get(reason, reason)),
    )


@login_required
@never_cache
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    patient = cast(User, request.user)
    page = selectors.phi_access_log_page(actor=patient, page=request.GET.get("page"))
    rows = [_row(entry, patient) for entry in page.object_list]
    return render(request, "audit/access_log.html", {"page": page, "rows": rows})
