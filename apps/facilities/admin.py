"""Facilities in admin, with the doctors who practise at each."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Role, User
from apps.core.admin import HealthLinkModelAdmin, select_related_without_phi
from apps.facilities.models import DoctorFacility, Facility


class DoctorFacilityInline(admin.TabularInline):
    model = DoctorFacility
    extra = 0
    raw_id_fields = ("doctor",)
    verbose_name = _("doctor")
    verbose_name_plural = _("doctors practising here")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[DoctorFacility]:
        return select_related_without_phi(super().get_queryset(request), "doctor")

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "doctor":
            kwargs["queryset"] = User.objects.filter(role=Role.DOCTOR)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Facility)
class FacilityAdmin(HealthLinkModelAdmin):
    list_display = ("id", "name", "facility_type", "city", "province", "organization",
                    "created_at")
    list_filter = ("facility_type", "city", "province")
    search_fields = ("name", "city", "address")
    ordering = ("city", "name")
    list_select_related = ("organization",)
    inlines = (DoctorFacilityInline,)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Facility]:
        return select_related_without_phi(super().get_queryset(request), "organization")

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "organization":
            kwargs["queryset"] = User.objects.filter(role=Role.ORGANIZATION).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
