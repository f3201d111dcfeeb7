"""A patient's request for an archive of all their data, and where the built archive lies."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import CreatedAtModel, choices_check


class ExportStatus(models.TextChoices):
    PENDING = "PENDING", _("Waiting to start")
    RUNNING = "RUNNING", _("Being prepared")
    READY = "READY", _("Ready to download")
    FAILED = "FAILED", _("Failed")
    EXPIRED = "EXPIRED", _("Expired")


ACTIVE_STATUSES = (ExportStatus.PENDING, ExportStatus.RUNNING)


class DataExport(CreatedAtModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_exports",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ExportStatus.choices,
        default=ExportStatus.PENDING, db_default=ExportStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0, db_default=0)
    # Set only once the whole archive is stored: a failed build never leaves a key behind.
    # Keys are random (exports/<uuid>.zip) and carry no user text.
    storage_key = models.CharField(max_length=255, null=True, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    # What went wrong, as an error class name for operators; the page shows a fixed message.
    failure_reason = models.CharField(max_length=100, null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "data_exports"
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        indexes = [
            models.Index(fields=["user", "created_at"], name="idx_data_exports_user_created"),
            models.Index(fields=["status", "expires_at"], name="idx_data_exports_status_exp"),
        ]
        constraints = [
            choices_check("status", ExportStatus.values, table="data_exports"),
            models.CheckConstraint(condition=models.Q(progress__lte=100),
                                   name="ck_data_exports_progress_range"),
            # One export in the works per user: a second request while one runs is refused.
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status__in=ACTIVE_STATUSES),
                name="uniq_data_exports_user_active",
            ),
        ]

    def __str__(self) -> str:
        return f"Data export #{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES
