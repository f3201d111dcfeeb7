"""Medical records (encrypted) and a patient's family medical history."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.fields import EncryptedTextField
from apps.core.models import CreatedAtModel, TimestampedModel, choices_check


class RecordType(models.TextChoices):
    CONSULTATION = "CONSULTATION", _("Consultation")
    LAB_RESULT = "LAB_RESULT", _("Lab result")
    PRESCRIPTION = "PRESCRIPTION", _("Prescription")
    IMAGING = "IMAGING", _("Imaging")


class MedicalRecord(TimestampedModel):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="medical_records",
        db_index=False,
    )
    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_records",
        db_index=False,
    )
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, null=True, blank=True,
        related_name="medical_records",
    )
    record_type = models.CharField(_("record type"), max_length=50, choices=RecordType.choices)
    diagnosis = EncryptedTextField(_("diagnosis"), null=True, blank=True)
    treatment = EncryptedTextField(_("treatment"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), null=True, blank=True)
    file_urls = ArrayField(models.TextField(), null=True, blank=True)
    record_date = models.DateTimeField(_("record date"))

    history = HistoricalRecords(table_name="medical_records_history")

    class Meta:
        db_table = "medical_records"
        verbose_name = _("medical record")
        verbose_name_plural = _("medical records")
        indexes = [
            models.Index(fields=["patient"], name="idx_medical_records_patient_id"),
            models.Index(fields=["doctor"], name="idx_medical_records_doctor_id"),
            models.Index(fields=["record_date"], name="idx_medical_records_record_date"),
            models.Index(fields=["record_type"], name="idx_medical_records_record_type"),
        ]
        constraints = [
            choices_check("record_type", RecordType.values, table="medical_records"),
        ]

    def __str__(self) -> str:
        return f"Medical record #{self.pk}"


class Relation(models.TextChoices):
    PARENT = "PARENT", _("Parent")
    SIBLING = "SIBLING", _("Sibling")
    GRANDPARENT = "GRANDPARENT", _("Grandparent")
    CHILD = "CHILD", _("Child")


class FamilyMedicalHistory(CreatedAtModel):
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="family_history",
        db_index=False,
    )
    relation = models.CharField(_("relation"), max_length=50, choices=Relation.choices)
    relation_name = models.CharField(_("name"), max_length=255, null=True, blank=True)
    age = models.IntegerField(_("age"), null=True, blank=True)
    is_deceased = models.BooleanField(_("deceased"), default=False, db_default=False)
    conditions = ArrayField(models.TextField(), null=True, blank=True)
    chronic_diseases = ArrayField(models.TextField(), null=True, blank=True)
    genetic_conditions = ArrayField(models.TextField(), null=True, blank=True)
    notes = models.TextField(_("notes"), null=True, blank=True)

    class Meta:
        db_table = "family_medical_history"
        verbose_name = _("family medical history entry")
        verbose_name_plural = _("family medical history")
        indexes = [
            models.Index(fields=["patient"], name="idx_family_medical_history_patient_id"),
        ]
        constraints = [
            choices_check("relation", Relation.values, table="family_medical_history"),
            models.CheckConstraint(condition=models.Q(age__gte=0) & models.Q(age__lte=150),
                                   name="ck_family_medical_history_age_range"),
        ]

    def __str__(self) -> str:
        return f"Family history #{self.pk}"


class BreakGlassGrant(CreatedAtModel):
    """A doctor with no treatment relationship opened a patient's records, reason stated.

    Valid until `expires_at`; every read under it is logged with break_glass=True and the
    reason, and the patient is told once per grant.
    """

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    reason = models.TextField(_("reason"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        db_table = "break_glass_grants"
        verbose_name = _("break-glass grant")
        verbose_name_plural = _("break-glass grants")
        indexes = [
            models.Index(fields=["doctor", "patient", "expires_at"],
                         name="idx_break_glass_grants_lookup"),
            models.Index(fields=["patient", "created_at"],
                         name="idx_break_glass_grants_patient"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")),
                                   name="ck_break_glass_grants_expiry_after_creation"),
        ]

    def __str__(self) -> str:
        return f"Break-glass grant #{self.pk}"


class BreakGlassLookup(CreatedAtModel):
    """One break-glass look-up by a doctor, whether it matched a patient or not.

    The durable trail of attempts (an administrator sees a doctor trying identifiers that
    match nobody) and what the hourly limit counts. The CNIC or email typed is never stored;
    a look-up that opened or reused a grant points at it (the grant holds the reason).
    """

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    matched = models.BooleanField(_("matched a patient"))
    grant = models.ForeignKey(
        BreakGlassGrant, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
        db_index=False,
    )

    class Meta:
        db_table = "break_glass_lookups"
        verbose_name = _("break-glass look-up")
        verbose_name_plural = _("break-glass look-ups")
        indexes = [
            models.Index(fields=["doctor", "created_at"],
                         name="idx_break_glass_lookups_doctor"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(grant__isnull=True) | models.Q(matched=True),
                                   name="ck_break_glass_lookups_grant_only_when_matched"),
        ]

    def __str__(self) -> str:
        return f"Break-glass look-up #{self.pk}"
