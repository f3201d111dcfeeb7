"""Prescriptions in admin: read-only, with their medications and warnings; views are logged.

The one write is the "Reject" action, which goes through the signing service.
"""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.models import User
from apps.audit.admin import PhiAuditedHistoryMixin
from apps.audit.models import PhiResource
from apps.core.admin import (
    HealthLinkModelAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    select_related_without_phi,
)
from apps.prescriptions import signing
from apps.prescriptions.forms import refuse_bidi_controls, refuse_control_characters
from apps.prescriptions.models import Prescription, PrescriptionMedication, PrescriptionWarning


class RejectForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea,
                             max_length=signing.REJECTION_REASON_MAX_LENGTH,
                             validators=[refuse_bidi_controls, refuse_control_characters])


class MedicationInline(ReadOnlyTabularInline):
    model = PrescriptionMedication
    fields = ("name", "dosage", "frequency", "duration", "instructions")


class WarningInline(ReadOnlyTabularInline):
    model = PrescriptionWarning
    fields = ("source", "warning_type", "severity", "drug_a", "drug_b", "message")


@admin.register(Prescription)
class PrescriptionAdmin(
    PhiAuditedHistoryMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin, HealthLinkModelAdmin
):
    phi_resource = PhiResource.PRESCRIPTION

    list_display = ("id", "created_at", "valid_until", "e_sign_status", "patient", "doctor",
                    "appointment_id")
    list_filter = ("e_sign_status",)
    date_hierarchy = "created_at"
    search_fields = ("=id", "patient__email", "doctor__email")
    ordering = ("-created_at", "-id")
    list_select_related = ("patient", "doctor")
    # The signature blob and QR payload are long and of no use on screen.
    exclude = ("e_sign_data", "qr_code")
    inlines = (MedicationInline, WarningInline)
    actions = ("reject_prescriptions",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Prescription]:
        return select_related_without_phi(super().get_queryset(request), "patient", "doctor")

    @admin.action(description=gettext_lazy("Reject the selected signed prescriptions"))
    def reject_prescriptions(
        self, request: HttpRequest, queryset: models.QuerySet[Prescription]
    ) -> HttpResponse | None:
        """Ask for a reason, then reject each selected prescription through the service."""
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Reject prescriptions"),
                "form": form,
                "ids": list(queryset.values_list("pk", flat=True)),
                "opts": self.model._meta,
                "action": "reject_prescriptions",
            }
            return TemplateResponse(request, "prescriptions/admin_reject.html", context)
        rejected, refused = 0, 0
        for prescription_id in queryset.values_list("pk", flat=True):
            try:
                signing.prescription_reject(
                    actor=cast(User, request.user), prescription_id=prescription_id,
                    reason=form.cleaned_data["reason"], request=request,
                )
            except signing.SigningError:
                refused += 1
            else:
                rejected += 1
        self.message_user(request, _("%(count)d prescription(s) rejected.")
                          % {"count": rejected}, messages.SUCCESS)
        if refused:
            self.message_user(request, _("%(count)d not rejected: only signed prescriptions "
                                         "can be rejected.") % {"count": refused},
                              messages.WARNING)
        return None
