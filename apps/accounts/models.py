"""The `users` table: one row per person, whatever their role, as the schema lays it out."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core import crypto
from apps.core.fields import EncryptedTextField
from apps.core.models import TimestampedModel, choices_check
from apps.core.text import ascii_digits


class Role(models.TextChoices):
    PATIENT = "PATIENT", _("Patient")
    DOCTOR = "DOCTOR", _("Doctor")
    STAFF = "STAFF", _("Staff")
    ORGANIZATION = "ORGANIZATION", _("Organization")
    ADMIN = "ADMIN", _("Admin")
    PLATFORM_OWNER = "PLATFORM_OWNER", _("Platform owner")


class Gender(models.TextChoices):
    MALE = "MALE", _("Male")
    FEMALE = "FEMALE", _("Female")
    OTHER = "OTHER", _("Other")


class BloodType(models.TextChoices):
    A_POS = "A+", "A+"
    A_NEG = "A-", "A-"
    B_POS = "B+", "B+"
    B_NEG = "B-", "B-"
    AB_POS = "AB+", "AB+"
    AB_NEG = "AB-", "AB-"
    O_POS = "O+", "O+"
    O_NEG = "O-", "O-"


class OrgType(models.TextChoices):
    HOSPITAL_GROUP = "HOSPITAL_GROUP", _("Hospital group")
    CLINIC_CHAIN = "CLINIC_CHAIN", _("Clinic chain")
    DIAGNOSTICS = "DIAGNOSTICS", _("Diagnostics")
    NGO = "NGO", _("Non-profit")
    GOVERNMENT = "GOVERNMENT", _("Government")


ADMIN_ROLES = frozenset({Role.ADMIN, Role.PLATFORM_OWNER})

CNIC_DIGITS = 13
_NON_DIGITS = re.compile(r"[^0-9]")


def normalize_cnic(value: str) -> str:
    """`35202-1234567-1`, `3520212345671` and the same in Urdu digits are one CNIC."""
    digits = _NON_DIGITS.sub("", ascii_digits(value))
    if len(digits) != CNIC_DIGITS:
        raise ValueError("A CNIC has 13 digits.")
    return digits


def format_cnic(digits: str) -> str:
    return f"{digits[:5]}-{digits[5:12]}-{digits[12]}"


def cnic_blind_index(value: str) -> str:
    return crypto.blind_index(normalize_cnic(value), purpose="users.cnic")


class UserQuerySet(models.QuerySet["User"]):
    def alive(self) -> UserQuerySet:
        return self.filter(deleted_at__isnull=True)

    def with_cnic(self, value: str) -> UserQuerySet:
        return self.filter(cnic_blind_index=cnic_blind_index(value))


class UserManager(BaseUserManager["User"]):
    """Every list starts from here, so soft-deleted users are gone unless asked for."""

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db).alive()

    def create_user(
        self, email: str, password: str | None = None, **fields: Any
    ) -> User:
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("role", Role.PLATFORM_OWNER)
        fields.setdefault("is_verified", True)
        return self.create_user(email, password, **fields)

    def with_cnic(self, value: str) -> UserQuerySet:
        return self.get_queryset().with_cnic(value)

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=self.normalize_email(username))


class AllUsersManager(UserManager):
    """Includes soft-deleted users: for admin restore and the erasure job only."""

    def get_queryset(self) -> UserQuerySet:
        return UserQuerySet(self.model, using=self._db)


class User(AbstractBaseUser, TimestampedModel):
    # The schema keeps the bcrypt hash in `password_hash`; Django's field is renamed onto it.
    password = models.CharField(_("password"), max_length=255, db_column="password_hash")
    email = models.EmailField(_("email"), max_length=255, unique=True)
    role = models.CharField(_("role"), max_length=50, choices=Role.choices)
    name = models.CharField(_("name"), max_length=255)
    phone = EncryptedTextField(_("phone"), null=True, blank=True)
    # UNIQUE lives on cnic_blind_index: a constraint on random ciphertext would enforce nothing.
    cnic = EncryptedTextField(_("CNIC"), null=True, blank=True)
    cnic_blind_index = models.CharField(max_length=64, null=True, blank=True, unique=True,
                                        editable=False)
    address = models.TextField(_("address"), null=True, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices,
                              null=True, blank=True)
    is_verified = models.BooleanField(_("email verified"), default=False, db_default=False)
    tokens_revoked_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Not in the schema document: when the erasure job pseudonymised this soft-deleted
    # account, so that it runs once per user (see apps.accounts.erasure).
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Karachi")
    # Not in the schema document: the language notifications, reminders and emails are
    # written in for this user: their last choice in the language switcher, else the one
    # they registered in; NULL (never chosen) means the site's default.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                null=True, blank=True)

    # Patient
    blood_type = models.CharField(_("blood type"), max_length=10, choices=BloodType.choices,
                                  null=True, blank=True)
    allergies = EncryptedTextField(_("allergies"), null=True, blank=True)
    emergency_contact = EncryptedTextField(_("emergency contact"), null=True, blank=True)

    # Doctor
    license_number = models.CharField(_("license number"), max_length=100, null=True,
                                      blank=True)
    specialty = models.CharField(_("specialty"), max_length=100, null=True, blank=True)
    pmdc_verified = models.BooleanField(_("PMDC verified"), default=False, db_default=False)
    pmdc_license_number = models.CharField(_("PMDC license number"), max_length=100,
                                           null=True, blank=True, unique=True)
    years_of_experience = models.IntegerField(_("years of experience"), null=True, blank=True)
    # Not in the seed schema: PKR per consultation; NULL or 0 means free.
    consultation_fee = models.DecimalField(
        _("consultation fee (PKR)"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    # Staff
    position = models.CharField(_("position"), max_length=100, null=True, blank=True)
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, null=True, blank=True,
        related_name="staff_members",
    )

    # Organization
    org_number = models.CharField(_("organization number"), max_length=100, null=True,
                                  blank=True)
    org_type = models.CharField(_("organization type"), max_length=50, choices=OrgType.choices,
                                null=True, blank=True)
    tax_id = models.CharField(_("tax ID"), max_length=100, null=True, blank=True)

    objects: ClassVar[UserManager] = UserManager()
    all_objects: ClassVar[AllUsersManager] = AllUsersManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        db_table = "users"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        base_manager_name = "all_objects"
        indexes = [
            models.Index(fields=["email"], name="idx_users_email"),
            models.Index(fields=["role"], name="idx_users_role"),
            models.Index(fields=["deleted_at"], name="idx_users_deleted_at"),
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="uniq_users_email_ci"),
            choices_check("role", Role.values, table="users"),
            choices_check("gender", Gender.values, table="users"),
            choices_check("blood_type", BloodType.values, table="users"),
            choices_check("org_type", OrgType.values, table="users"),
            models.CheckConstraint(
                condition=models.Q(consultation_fee__isnull=True)
                | models.Q(consultation_fee__gte=0),
                name="ck_users_consultation_fee_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = UserManager.normalize_email(self.email)
        if self.cnic:
            digits = normalize_cnic(self.cnic)
            self.cnic = format_cnic(digits)
            self.cnic_blind_index = crypto.blind_index(digits, purpose="users.cnic")
        else:
            self.cnic = None
            self.cnic_blind_index = None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "cnic" in update_fields:
            kwargs["update_fields"] = {*update_fields, "cnic_blind_index"}
        super().save(*args, **kwargs)

    # Django's auth machinery asks these; they derive from the schema's own columns.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.deleted_at is None

    @property
    def is_staff(self) -> bool:
        """Django admin is for admins and platform owners only."""
        return self.role in ADMIN_ROLES and self.is_active

    @property
    def is_superuser(self) -> bool:
        return self.role == Role.PLATFORM_OWNER and self.is_active

    def has_perm(self, perm: str, obj: object | None = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: object | None = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_doctor(self) -> bool:
        return self.role == Role.DOCTOR

    @property
    def is_facility_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_organization(self) -> bool:
        return self.role == Role.ORGANIZATION

    def soft_delete(self) -> None:
        self.deleted_at = timezone.now()

    @property
    def specialty_label(self) -> str:
        """The specialty in the reader's language (stored in English, shown translated)."""
        from apps.accounts.services import SPECIALTIES  # services imports this module

        labels = dict(SPECIALTIES)
        return str(labels.get(self.specialty, self.specialty or "")) if self.specialty else ""

    @property
    def display_name(self) -> str:
        """The name other people see: a deleted account shows no one's name."""
        if self.deleted_at is not None:
            return str(_("Deleted account"))
        return self.name

    @property
    def initials(self) -> str:
        return "".join(part[0].upper() for part in self.name.split() if part)[:3]


class RoleManager(UserManager):
    role: str = ""

    def get_queryset(self) -> UserQuerySet:
        return super().get_queryset().filter(role=self.role)


def _role_manager(role: str) -> RoleManager:
    manager = RoleManager()
    manager.role = role
    return manager


class Patient(User):
    objects: ClassVar[RoleManager] = _role_manager(Role.PATIENT)

    class Meta:
        proxy = True
        verbose_name = _("patient")
        verbose_name_plural = _("patients")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.role = Role.PATIENT
        super().save(*args, **kwargs)


class Doctor(User):
    objects: ClassVar[RoleManager] = _role_manager(Role.DOCTOR)

    class Meta:
        proxy = True
        verbose_name = _("doctor")
        verbose_name_plural = _("doctors")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.role = Role.DOCTOR
        super().save(*args, **kwargs)


class Staff(User):
    objects: ClassVar[RoleManager] = _role_manager(Role.STAFF)

    class Meta:
        proxy = True
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.role = Role.STAFF
        super().save(*args, **kwargs)


class Organization(User):
    objects: ClassVar[RoleManager] = _role_manager(Role.ORGANIZATION)

    class Meta:
        proxy = True
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.role = Role.ORGANIZATION
        super().save(*args, **kwargs)


class Admin(User):
    objects: ClassVar[RoleManager] = _role_manager(Role.ADMIN)

    class Meta:
        proxy = True
        verbose_name = _("admin")
        verbose_name_plural = _("admins")


class PlatformOwner(User):
    objects: ClassVar[RoleManager] = _role_manager(Role.PLATFORM_OWNER)

    class Meta:
        proxy = True
        verbose_name = _("platform owner")
        verbose_name_plural = _("platform owners")
