"""Notifications in admin: read-only, to follow up a delivery problem."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from apps.core.admin import HealthLinkModelAdmin, ReadOnlyAdminMixin, select_related_without_phi
from apps.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, HealthLinkModelAdmin):
    list_display = ("id", "created_at", "user", "type", "title", "is_read", "delivery_status")
    list_filter = ("type", "is_read", "delivery_status")
    date_hierarchy = "created_at"
    search_fields = ("=id", "user__email")
    ordering = ("-created_at", "-id")
    list_select_related = ("user",)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Notification]:
        return select_related_without_phi(super().get_queryset(request), "user")
