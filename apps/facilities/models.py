"""Facilities (hospitals, clinics, diagnostic centres) and the doctors who practise there."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import CreatedAtModel, choices_check


class FacilityType(models.TextChoices):
    HOSPITAL = "HOSPITAL", _("Hospital")
    CLINIC = "CLINIC", _("Clinic")
    DIAGNOSTIC_CENTER = "DIAGNOSTIC_CENTER", _("Diagnostic centre")


class Facility(CreatedAtModel):
    name = models.CharField(_("name"), max_length=255)
    organization = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="facilities", db_index=False,
    )
    facility_type = models.CharField(_("type"), max_length=50, choices=FacilityType.choices)
    address = models.TextField(_("address"))
    city = models.CharField(_("city"), max_length=100)
    province = models.CharField(_("province"), max_length=100)
    phone = models.CharField(_("phone"), max_length=50, null=True, blank=True)
    email = models.EmailField(_("email"), max_length=255, null=True, blank=True)
    latitude = models.DecimalField(max_digits=10, decimal_places=8, null=True, blank=True)
    longitude = models.DecimalField(max_digits=11, decimal_places=8, null=True, blank=True)
    # {"monday": "09:00-17:00", ...}; a day that is absent is a closed day.
    operating_hours = models.JSONField(_("operating hours"), null=True, blank=True)

    class Meta:
        db_table = "facilities"
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        indexes = [
            models.Index(fields=["city"], name="idx_facilities_city"),
            models.Index(fields=["organization"], name="idx_facilities_organization_id"),
            models.Index(fields=["latitude", "longitude"], name="idx_facilities_location"),
        ]
        constraints = [
            choices_check("facility_type", FacilityType.values, table="facilities"),
        ]

    def __str__(self) -> str:
        return self.name


class DoctorFacility(models.Model):
    """Where a doctor sees patients in person. Not in the schema document; booking needs it."""

    doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practice_links"
    )
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="doctor_links"
    )

    class Meta:
        db_table = "doctor_facilities"
        verbose_name = _("doctor at facility")
        verbose_name_plural = _("doctors at facilities")
        constraints = [
            models.UniqueConstraint(fields=["doctor", "facility"], name="uniq_doctor_facility"),
        ]

    def __str__(self) -> str:
        return f"Doctor #{self.doctor_id} at facility #{self.facility_id}"
