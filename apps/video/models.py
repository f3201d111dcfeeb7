"""Video call sessions hosted on Janus Gateway."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import CreatedAtModel


class VideoCall(CreatedAtModel):
    appointment = models.OneToOneField(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="video_call",
        db_index=False,
    )
    room_id = models.CharField(max_length=255, unique=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.IntegerField(null=True, blank=True)
    participants = models.JSONField(null=True, blank=True)
    quality_metrics = models.JSONField(null=True, blank=True)
    recording_url = models.CharField(max_length=500, null=True, blank=True)
    # Beyond the schema document: when the Janus room was destroyed (NULL while it is open).
    room_closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "video_calls"
        verbose_name = _("video call")
        verbose_name_plural = _("video calls")
        indexes = [
            models.Index(fields=["appointment"], name="idx_video_calls_appointment_id"),
            models.Index(fields=["room_id"], name="idx_video_calls_room_id"),
        ]

    def __str__(self) -> str:
        return f"Video call #{self.pk}"

    @property
    def room_number(self) -> int:
        return int(self.room_id)
