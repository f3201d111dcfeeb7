"""Medical records in admin: read-only, and every page that shows one is a logged PHI read."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.audit.admin import PhiAuditedAdminMixin, PhiAuditedHistoryMixin
from apps.audit.models import PhiResource
from apps.core.admin import HealthLinkModelAdmin, ReadOnlyAdminMixin, select_related_without_phi
from apps.records.models import (
    BreakGlassGrant,
    BreakGlassLookup,
    FamilyMedicalHistory,
    MedicalRecord,
)


@admin.register(MedicalRecord)
class MedicalRecordAdmin(
    PhiAuditedHistoryMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin, HealthLinkModelAdmin
):
    phi_resource = PhiResource.MEDICAL_RECORD

    # Diagnosis, treatment and notes are encrypted: never listed, never searched.
    list_display = ("id", "record_date", "record_type", "patient", "doctor", "appointment_id")
    list_filter = ("record_type",)
    date_hierarchy = "record_date"
    search_fields = ("=id", "patient__email", "doctor__email")
    ordering = ("-record_date", "-id")
    list_select_related = ("patient", "doctor")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[MedicalRecord]:
        return select_related_without_phi(super().get_queryset(request), "patient", "doctor")


@admin.register(FamilyMedicalHistory)
class FamilyMedicalHistoryAdmin(PhiAuditedAdminMixin, ReadOnlyAdminMixin, HealthLinkModelAdmin):
    """A patient's family history is part of their profile, and logged as such."""

    phi_resource = PhiResource.PATIENT_PROFILE

    list_display = ("id", "patient", "relation", "created_at")
    list_filter = ("relation",)
    search_fields = ("patient__email",)
    ordering = ("-created_at", "-id")
    list_select_related = ("patient",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[FamilyMedicalHistory]:
        return select_related_without_phi(super().get_queryset(request), "patient")

    def phi_resource_id(self, obj: Any) -> Any:
        return obj.patient_id


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(ReadOnlyAdminMixin, HealthLinkModelAdmin):
    """Emergency reads of records: who, for whom, why, until when. Written only by services."""

    list_display = ("id", "created_at", "expires_at", "doctor", "patient")
    date_hierarchy = "created_at"
    search_fields = ("=id", "doctor__email", "patient__email")
    ordering = ("-created_at", "-id")
    list_select_related = ("doctor", "patient")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[BreakGlassGrant]:
        return select_related_without_phi(super().get_queryset(request), "doctor", "patient")


@admin.register(BreakGlassLookup)
class BreakGlassLookupAdmin(ReadOnlyAdminMixin, HealthLinkModelAdmin):
    """Every break-glass look-up, matched or not: many misses by one doctor look like
    enumeration. The identifier typed is never stored."""

    list_display = ("id", "created_at", "doctor", "matched", "grant_id")
    list_filter = ("matched",)
    date_hierarchy = "created_at"
    search_fields = ("=id", "doctor__email")
    ordering = ("-created_at", "-id")
    list_select_related = ("doctor",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[BreakGlassLookup]:
        return select_related_without_phi(super().get_queryset(request), "doctor")
