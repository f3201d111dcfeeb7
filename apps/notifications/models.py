"""In-app notifications and their delivery over push, email and SMS."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import CreatedAtModel, choices_check


class NotificationType(models.TextChoices):
    APPOINTMENT_REMINDER = "APPOINTMENT_REMINDER", _("Appointment reminder")
    PAYMENT_RECEIVED = "PAYMENT_RECEIVED", _("Payment received")
    PRESCRIPTION_READY = "PRESCRIPTION_READY", _("Prescription ready")


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SENT = "SENT", _("Sent")
    FAILED = "FAILED", _("Failed")


class Channel(models.TextChoices):
    PUSH = "PUSH", _("Push")
    EMAIL = "EMAIL", _("Email")
    SMS = "SMS", _("SMS")


class NotificationEvent(models.TextChoices):
    """What happened, finer than the schema's `type` (whose values are fixed by the spec)."""

    APPOINTMENT_BOOKED = "APPOINTMENT_BOOKED", _("Appointment booked")
    APPOINTMENT_CANCELLED = "APPOINTMENT_CANCELLED", _("Appointment cancelled")
    APPOINTMENT_RESCHEDULED = "APPOINTMENT_RESCHEDULED", _("Appointment rescheduled")
    APPOINTMENT_REMINDER = "APPOINTMENT_REMINDER", _("Appointment reminder")
    WAITLIST_SLOT_FREE = "WAITLIST_SLOT_FREE", _("A waitlisted slot is free")
    PAYMENT_RECEIVED = "PAYMENT_RECEIVED", _("Payment received")
    PRESCRIPTION_READY = "PRESCRIPTION_READY", _("Prescription ready")
    RECORDS_BREAK_GLASS = "RECORDS_BREAK_GLASS", _("Records opened in an emergency")
    DATA_EXPORT_READY = "DATA_EXPORT_READY", _("Data export ready")
    PAYMENT_DISPUTE_UPDATED = "PAYMENT_DISPUTE_UPDATED", _("Payment dispute updated")
    GENERAL = "GENERAL", _("General")


class Notification(CreatedAtModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications",
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=50, choices=NotificationType.choices)
    title = models.CharField(_("title"), max_length=255)
    message = models.TextField(_("message"))
    action_url = models.CharField(max_length=500, null=True, blank=True)
    is_read = models.BooleanField(default=False, db_default=False)
    read_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(
        max_length=50, choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING, db_default=DeliveryStatus.PENDING,
    )
    delivery_channels = ArrayField(
        models.CharField(max_length=100, choices=Channel.choices), null=True, blank=True
    )
    # Not in the schema document: delivery bookkeeping for retries.
    event = models.CharField(
        max_length=50, choices=NotificationEvent.choices, default=NotificationEvent.GENERAL
    )
    delivery_attempts = models.IntegerField(default=0, db_default=0)
    last_delivery_error = models.CharField(max_length=255, null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "notifications"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user"], name="idx_notifications_user_id"),
            models.Index(fields=["is_read"], name="idx_notifications_is_read"),
            models.Index(fields=["created_at"], name="idx_notifications_created_at"),
            models.Index(fields=["user", "is_read", "created_at"],
                         name="idx_notifications_user_read_created"),
            # The re-queue job scans only undelivered rows; they are few among many.
            models.Index(fields=["created_at"], name="idx_notifications_pending",
                         condition=models.Q(delivery_status="PENDING")),
        ]
        constraints = [
            choices_check("type", NotificationType.values, table="notifications"),
            choices_check("delivery_status", DeliveryStatus.values, table="notifications"),
            choices_check("event", NotificationEvent.values, table="notifications"),
            models.CheckConstraint(
                condition=models.Q(delivery_channels__contained_by=Channel.values)
                | models.Q(delivery_channels__isnull=True),
                name="ck_notifications_delivery_channels_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification #{self.pk}"
