"""Prescriptions, their medications and the warnings raised while writing them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.fields import EncryptedTextField
from apps.core.models import CreatedAtModel, TimestampedModel, choices_check


class ESignStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SIGNED = "SIGNED", _("Signed")
    REJECTED = "REJECTED", _("Rejected")


class Prescription(TimestampedModel):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="prescriptions",
        db_index=False,
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
        related_name="written_prescriptions", db_index=False,
    )
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, null=True, blank=True,
        related_name="prescriptions",
    )
    instructions = models.TextField(_("instructions"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"))
    qr_code = models.TextField(null=True, blank=True)
    e_sign_status = models.CharField(
        _("signature status"), max_length=50, choices=ESignStatus.choices,
        default=ESignStatus.PENDING, db_default=ESignStatus.PENDING,
    )
    e_sign_data = models.TextField(null=True, blank=True)
    # Beyond the documented columns: when and with which key it was signed, and who
    # rejected it (a pharmacist or an admin) and why.
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signing_key = models.ForeignKey(
        "prescriptions.DoctorSigningKey", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    rejection_reason = models.TextField(_("rejection reason"), null=True, blank=True)
    # The new-prescription form's one-time key: a second submit of the same form finds
    # the first prescription instead of writing a duplicate.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    history = HistoricalRecords(table_name="prescriptions_history")

    class Meta:
        db_table = "prescriptions"
        verbose_name = _("prescription")
        verbose_name_plural = _("prescriptions")
        indexes = [
            models.Index(fields=["patient"], name="idx_prescriptions_patient_id"),
            models.Index(fields=["doctor"], name="idx_prescriptions_doctor_id"),
            models.Index(fields=["valid_until"], name="idx_prescriptions_valid_until"),
        ]
        constraints = [
            choices_check("e_sign_status", ESignStatus.values, table="prescriptions"),
        ]

    def __str__(self) -> str:
        return f"Prescription #{self.pk}"


class PrescriptionMedication(models.Model):
    prescription = models.ForeignKey(
        Prescription, on_delete=models.CASCADE, related_name="medications"
    )
    name = models.CharField(_("drug name"), max_length=255)
    dosage = models.CharField(_("dosage"), max_length=100)
    frequency = models.CharField(_("frequency"), max_length=100)
    duration = models.CharField(_("duration"), max_length=100)
    instructions = models.TextField(_("instructions"), null=True, blank=True)

    class Meta:
        db_table = "prescription_medications"
        verbose_name = _("prescribed medication")
        verbose_name_plural = _("prescribed medications")

    def __str__(self) -> str:
        return self.name


class WarningType(models.TextChoices):
    INTERACTION = "INTERACTION", _("Interaction")
    ALLERGY = "ALLERGY", _("Allergy")
    CONTRAINDICATION = "CONTRAINDICATION", _("Contraindication")


class Severity(models.TextChoices):
    LOW = "LOW", _("Low")
    MEDIUM = "MEDIUM", _("Medium")
    HIGH = "HIGH", _("High")
    CRITICAL = "CRITICAL", _("Critical")


class WarningSource(models.TextChoices):
    OFFLINE = "OFFLINE", _("Bundled interaction and allergy tables")
    OPENFDA = "OPENFDA", _("openFDA drug labels")


class PrescriptionWarning(models.Model):
    prescription = models.ForeignKey(
        Prescription, on_delete=models.CASCADE, related_name="warnings"
    )
    warning_type = models.CharField(_("type"), max_length=50, choices=WarningType.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    message = models.TextField(_("message"))
    drug_a = models.CharField(max_length=255, null=True, blank=True)
    drug_b = models.CharField(max_length=255, null=True, blank=True)
    # Beyond the documented columns: a CRITICAL warning is acknowledged, with a reason,
    # before the prescription can be signed.
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledgement_reason = models.TextField(_("acknowledgement reason"), null=True,
                                              blank=True)
    # Beyond the documented columns: which check raised it. The offline recompute replaces
    # only OFFLINE rows, the openFDA task only OPENFDA rows.
    source = models.CharField(
        _("source"), max_length=20, choices=WarningSource.choices,
        default=WarningSource.OFFLINE, db_default=WarningSource.OFFLINE,
    )

    class Meta:
        db_table = "prescription_warnings"
        verbose_name = _("prescription warning")
        verbose_name_plural = _("prescription warnings")
        constraints = [
            choices_check("warning_type", WarningType.values, table="prescription_warnings"),
            choices_check("severity", Severity.values, table="prescription_warnings"),
            choices_check("source", WarningSource.values, table="prescription_warnings"),
        ]

    def __str__(self) -> str:
        return f"{self.warning_type} {self.severity}"


class DoctorSigningKey(CreatedAtModel):
    """A doctor's Ed25519 key pair; the private half encrypted like PHI. One active per doctor.

    A retired key stays: prescriptions it signed are still verified with its public half.
    """

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signing_keys",
    )
    public_key = models.TextField(_("public key"))  # raw 32 bytes, base64
    private_key = EncryptedTextField(_("private key"))  # raw 32 bytes, base64, encrypted
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        db_table = "doctor_signing_keys"
        verbose_name = _("doctor signing key")
        verbose_name_plural = _("doctor signing keys")
        constraints = [
            models.UniqueConstraint(fields=["doctor"], condition=models.Q(retired_at=None),
                                    name="uq_doctor_signing_keys_one_active"),
        ]

    def __str__(self) -> str:
        return f"Signing key #{self.pk}"
