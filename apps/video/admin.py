"""Video calls in admin: a read-only record of the Janus sessions."""

from __future__ import annotations

from django.contrib import admin

from apps.core.admin import HealthLinkModelAdmin, ReadOnlyAdminMixin
from apps.video.models import VideoCall


@admin.register(VideoCall)
class VideoCallAdmin(ReadOnlyAdminMixin, HealthLinkModelAdmin):
    list_display = ("id", "appointment", "room_id", "started_at", "ended_at",
                    "duration_seconds", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("=id", "room_id", "=appointment__id")
    ordering = ("-created_at", "-id")
    list_select_related = ("appointment",)
