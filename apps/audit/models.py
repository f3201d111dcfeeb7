"""The PHI access trail: who read, changed, deleted or exported protected data, and why."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import CreatedAtModel, choices_check


class PhiAction(models.TextChoices):
    VIEW = "VIEW", _("View")
    UPDATE = "UPDATE", _("Update")
    DELETE = "DELETE", _("Delete")
    EXPORT = "EXPORT", _("Export")


class PhiResource(models.TextChoices):
    MEDICAL_RECORD = "MEDICAL_RECORD", _("Medical record")
    PRESCRIPTION = "PRESCRIPTION", _("Prescription")
    PATIENT_PROFILE = "PATIENT_PROFILE", _("Patient profile")


class PhiAccessLog(CreatedAtModel):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    action = models.CharField(_("action"), max_length=100, choices=PhiAction.choices)
    resource_type = models.CharField(_("resource"), max_length=100, choices=PhiResource.choices)
    resource_id = models.BigIntegerField()
    reason = models.TextField(_("reason"), null=True, blank=True)
    ip_address = models.CharField(max_length=50, null=True, blank=True)
    user_agent = models.TextField(null=True, blank=True)
    # Beyond the documented columns: whose PHI it was (the "who accessed my data" page reads
    # by it), and how the access went. A refused attempt is logged as well as a granted one;
    # break_glass marks a read by a doctor with no treatment relationship, reason stated.
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True,
        blank=True, db_index=False,
    )
    refused = models.BooleanField(_("refused"), default=False, db_default=False)
    break_glass = models.BooleanField(_("break-glass"), default=False, db_default=False)

    class Meta:
        db_table = "phi_access_logs"
        verbose_name = _("PHI access log entry")
        verbose_name_plural = _("PHI access log")
        indexes = [
            models.Index(fields=["actor"], name="idx_phi_access_logs_actor_id"),
            models.Index(fields=["resource_type", "resource_id"],
                         name="idx_phi_access_logs_resource"),
            models.Index(fields=["created_at"], name="idx_phi_access_logs_created_at"),
            models.Index(fields=["patient", "created_at"],
                         name="idx_phi_access_logs_patient"),
        ]
        constraints = [
            choices_check("action", PhiAction.values, table="phi_access_logs"),
            choices_check("resource_type", PhiResource.values, table="phi_access_logs"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.resource_type} #{self.resource_id}"
