"""Data exports in admin: status only, read-only; the archives themselves are not reachable."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from apps.core.admin import HealthLinkModelAdmin, ReadOnlyAdminMixin, select_related_without_phi
from apps.exports.models import DataExport


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyAdminMixin, HealthLinkModelAdmin):
    list_display = ("id", "user", "status", "progress", "created_at", "finished_at",
                    "expires_at", "size_bytes")
    list_filter = ("status",)
    search_fields = ("=id", "user__email")
    ordering = ("-created_at", "-id")
    exclude = ("storage_key",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[DataExport]:
        return select_related_without_phi(super().get_queryset(request), "user")
