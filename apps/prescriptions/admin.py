"""Prescriptions in admin: read-only, with their medications and warnings; views are logged."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.audit.admin import PhiAuditedHistoryMixin
from apps.audit.models import PhiResource
from apps.core.admin import (
    HealthLinkModelAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    select_related_without_phi,
)
from apps.prescriptions.models import Prescription, PrescriptionMedication, PrescriptionWarning


class MedicationInline(ReadOnlyTabularInline):
    model = PrescriptionMedication
    fields = ("name", "dosage", "frequency", "duration", "instructions")


class WarningInline(ReadOnlyTabularInline):
    model = PrescriptionWarning
    fields = ("warning_type", "severity", "drug_a", "drug_b", "message")


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

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Prescription]:
        return select_related_without_phi(super().get_queryset(request), "patient", "doctor")
