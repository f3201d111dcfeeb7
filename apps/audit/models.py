"""The PHI access trail: who read, changed, deleted or exported protected data, and why."""

from __future__ import annotations

from typing import Any

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
    # The keyed hash chain (apps.audit.chain): the row's place in it, the previous row's
    # hash and this row's HMAC over its content and that previous hash. Written once, by
    # save() on insert; the database refuses any UPDATE.
    chain_seq = models.BigIntegerField(unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    row_hash = models.CharField(max_length=64, editable=False)

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

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only, and always as the next link of the chain."""
        if not self._state.adding:
            raise ValueError("PHI access log entries are append-only.")
        from apps.audit import chain  # the chain module imports this one

        kwargs["force_insert"] = True
        chain.link(self, lambda: super(PhiAccessLog, self).save(*args, **kwargs))


class PhiAccessChainHead(models.Model):
    """One row: the last link of the chain. Writers lock it, so links are made one at a time.

    It also lets the verifier notice rows cut off the end of the chain.
    """

    id = models.SmallIntegerField(primary_key=True, default=1)
    chain_seq = models.BigIntegerField()
    row_hash = models.CharField(max_length=64)
    # HMAC of (chain_seq, row_hash) under AUDIT_CHAIN_KEY: a head moved back over rows cut
    # off the end cannot be re-sealed without the key.
    seal = models.CharField(max_length=64, default="", db_default="", blank=True)

    class Meta:
        db_table = "phi_access_chain_head"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="ck_phi_access_chain_head_one"),
        ]

    def __str__(self) -> str:
        return f"chain head at {self.chain_seq}"


class PhiAccessChainAnchor(CreatedAtModel):
    """Where the chain starts after retention purged its oldest rows: the last purged link.

    Append-only; `anchor_hash` is an HMAC over the link, so an anchor cannot be forged to
    hide rows removed by hand.
    """

    chain_seq = models.BigIntegerField(unique=True)
    row_hash = models.CharField(max_length=64)
    anchor_hash = models.CharField(max_length=64)
    purged_rows = models.IntegerField()

    class Meta:
        db_table = "phi_access_chain_anchors"


class AdminAuditAction(models.TextChoices):
    USER_CREATE = "USER_CREATE", _("Account created")
    USER_CHANGE = "USER_CHANGE", _("Account changed")
    PMDC_VERIFY = "PMDC_VERIFY", _("PMDC license verified")
    SOFT_DELETE = "SOFT_DELETE", _("Account deleted")
    RESTORE = "RESTORE", _("Account restored")
    LOGOUT_EVERYWHERE = "LOGOUT_EVERYWHERE", _("Logged out everywhere")


class AdminAuditEvent(CreatedAtModel):
    """An admin's change to an account's role, verification or deletion state. Append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    action = models.CharField(_("action"), max_length=50, choices=AdminAuditAction.choices)
    field = models.CharField(_("field"), max_length=50)
    old_value = models.JSONField(_("old value"), null=True, blank=True)
    new_value = models.JSONField(_("new value"), null=True, blank=True)

    class Meta:
        db_table = "admin_audit_events"
        verbose_name = _("admin audit event")
        verbose_name_plural = _("admin audit events")
        indexes = [
            models.Index(fields=["target", "created_at"], name="idx_admin_audit_events_target"),
            models.Index(fields=["created_at"], name="idx_admin_audit_events_created"),
        ]
        constraints = [
            choices_check("action", AdminAuditAction.values, table="admin_audit_events"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.field} user #{self.target_id}"
