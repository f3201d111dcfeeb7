"""Appointments in admin: a read-only view; bookings change only through their services."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.appointments.models import Appointment
from apps.core.admin import HealthLinkModelAdmin, ReadOnlyAdminMixin, select_related_without_phi


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin, HealthLinkModelAdmin):
    list_display = ("id", "scheduled_at", "duration_minutes", "status", "consultation_type",
                    "patient", "doctor", "facility")
    list_filter = ("status", "consultation_type")
    date_hierarchy = "scheduled_at"
    search_fields = ("=id", "patient__email", "doctor__email")
    ordering = ("-scheduled_at", "-id")
    list_select_related = ("patient", "doctor", "facility")
    raw_id_fields = ("patient", "doctor", "staff", "cancelled_by", "facility", "payment")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Appointment]:
        return select_related_without_phi(super().get_queryset(request), "patient", "doctor")
