"""Account forms: they parse and validate input; the services in services.py do the writes."""

from __future__ import annotations

import datetime
import re
import unicodedata
import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import BloodType, Gender, User, format_cnic, normalize_cnic
from apps.accounts.services import SPECIALTIES
from apps.core.text import (
    ascii_digits,
    has_bidi_controls,
    has_control_characters,
    has_visible_text,
)
from apps.payments.money import MoneyField

NAME_MAX_LENGTH = 255
EMAIL_MAX_LENGTH = 255
OLDEST_AGE_YEARS = 130

_PHONE_SEPARATORS = re.compile(r"[\s\-().]")
# Pakistani numbers in E.164: +92 and a 9- or 10-digit national number (mobiles 3XX…).
# re.ASCII: `\d` must mean 0-9 only; other scripts' digits are folded first (ascii_digits).
_PK_E164 = re.compile(r"^\+92[1-9]\d{8,9}$", re.ASCII)
_CNIC_FORMAT = re.compile(r"^(\d{5}-\d{7}-\d|\d{13})$", re.ASCII)
_PMDC_FORMAT = re.compile(r"^(\d{3,7})\s*-?\s*([A-Z])$", re.ASCII)

TIME_ZONE_CHOICES = [
    (name, name.replace("_", " "))
    for name in sorted(zoneinfo.available_timezones())
    if "/" in name and not name.startswith(("Etc/", "SystemV/", "posix", "right"))
]


def normalize_phone(value: str) -> str:
    """Return the number in E.164 (+92…); accepts 03001234567, 0092… and spaced forms."""
    compact = _PHONE_SEPARATORS.sub("", ascii_digits(value))
    if compact.startswith("0092"):
        compact = "+" + compact[2:]
    elif compact.startswith("92") and len(compact) in (11, 12):
        compact = "+" + compact
    elif compact.startswith("0"):
        compact = "+92" + compact[1:]
    if not _PK_E164.match(compact):
        raise ValidationError(
            _("Enter a Pakistani phone number in international format, e.g. +923001234567."),
            code="invalid_phone",
        )
    return compact


def normalize_pmdc(value: str) -> str:
    match = _PMDC_FORMAT.match(ascii_digits(value).strip().upper())
    if not match:
        raise ValidationError(
            _("Enter the PMDC registration number as it appears on your certificate, "
              "e.g. 12345-P."),
            code="invalid_pmdc",
        )
    return f"{match.group(1)}-{match.group(2)}"


def clean_cnic_value(value: str) -> str:
    value = ascii_digits(value).strip()
    if not _CNIC_FORMAT.match(value):
        raise ValidationError(
            _("Enter the CNIC as 12345-1234567-1 or as 13 digits."), code="invalid_cnic"
        )
    return format_cnic(normalize_cnic(value))


def check_date_of_birth(value: datetime.date) -> None:
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
    if value.year < today.year - OLDEST_AGE_YEARS:
        raise ValidationError(_("Please check the date of birth."), code="too_old")


def validate_person_name(value: str) -> None:
    if not has_visible_text(value) or has_bidi_controls(value) \
            or has_control_characters(value):
        raise ValidationError(_("Enter a name made of letters."), code="invalid_name")
    # Emoji and symbols: a name is printed on prescriptions and receipts, whose fonts
    # draw letters (Latin, Urdu), digits and punctuation only.
    symbols = [ch for ch in value if unicodedata.category(ch) in {"So", "Sk", "Sm", "Co", "Cn"}]
    if symbols:
        raise ValidationError(
            _("Names cannot contain emoji or symbols (%(chars)s): use letters only.")
            % {"chars": " ".join(dict.fromkeys(symbols))},
            code="invalid_name",
        )


class NameField(forms.CharField):
    default_validators = [validate_person_name]


class AccountForm(forms.Form):
    """Labels without a trailing colon: assistive tech and browser tests read them verbatim."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(AccountForm):
    email = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class _RegistrationForm(AccountForm):
    name = NameField(
        label=_("Full name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not only digits and not a common password."),
    )
    password2 = forms.CharField(
        label=_("Repeat password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", _("The two passwords do not match."))
        elif password1:
            candidate = User(email=cleaned.get("email") or "", name=cleaned.get("name") or "")
            try:
                password_validation.validate_password(password1, candidate)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class PatientRegistrationForm(_RegistrationForm):
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"},
                               format="%Y-%m-%d"),
        validators=[check_date_of_birth],
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        choices=[("", _("Choose…")), *Gender.choices],
    )
    phone = forms.CharField(
        label=_("Phone (optional)"),
        required=False,
        max_length=32,
        help_text=_("For example +923001234567."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    cnic = forms.CharField(
        label=_("CNIC (optional)"),
        required=False,
        max_length=20,
        help_text=_("For example 12345-1234567-1."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    field_order = ["name", "email", "password1", "password2", "date_of_birth", "gender",
                   "phone", "cnic"]

    def clean_phone(self) -> str | None:
        value = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(value) if value else None

    def clean_cnic(self) -> str | None:
        value = self.cleaned_data.get("cnic", "").strip()
        return clean_cnic_value(value) if value else None


class DoctorRegistrationForm(_RegistrationForm):
    pmdc_license_number = forms.CharField(
        label=_("PMDC license number"),
        max_length=20,
        help_text=_("As on your PMDC registration, e.g. 12345-P."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    specialty = forms.ChoiceField(
        label=_("Specialty"),
        choices=[("", _("Choose…")), *SPECIALTIES],
    )
    years_of_experience = forms.IntegerField(
        label=_("Years of experience"), min_value=0, max_value=70,
    )

    def clean_pmdc_license_number(self) -> str:
        return normalize_pmdc(self.cleaned_data["pmdc_license_number"])


class ProfileForm(AccountForm):
    name = NameField(
        label=_("Full name"),
        max_length=NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        required=False,
        max_length=32,
        help_text=_("For example +923001234567."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    address = forms.CharField(
        label=_("Address"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"},
                               format="%Y-%m-%d"),
        validators=[check_date_of_birth],
    )
    gender = forms.ChoiceField(
        label=_("Gender"),
        required=False,
        choices=[("", _("Not given")), *Gender.choices],
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        help_text=_("Appointment times are shown in this time zone."),
    )

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {name: getattr(user, name) for name in cls.base_fields}

    def clean_phone(self) -> str | None:
        value = self.cleaned_data.get("phone", "").strip()
        return normalize_phone(value) if value else None

    def clean_address(self) -> str | None:
        return self.cleaned_data.get("address", "").strip() or None

    def clean_gender(self) -> str | None:
        return self.cleaned_data.get("gender") or None


class PatientProfileForm(ProfileForm):
    cnic = forms.CharField(
        label=_("CNIC"),
        required=False,
        max_length=20,
        help_text=_("For example 12345-1234567-1."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    blood_type = forms.ChoiceField(
        label=_("Blood type"),
        required=False,
        choices=[("", _("Not known")), *BloodType.choices],
    )
    allergies = forms.CharField(
        label=_("Allergies"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    emergency_contact = forms.CharField(
        label=_("Emergency contact"),
        required=False,
        max_length=255,
        help_text=_("Name and phone number of someone we may call in an emergency."),
    )

    def clean_cnic(self) -> str | None:
        value = self.cleaned_data.get("cnic", "").strip()
        return clean_cnic_value(value) if value else None

    def clean_blood_type(self) -> str | None:
        return self.cleaned_data.get("blood_type") or None

    def clean_allergies(self) -> str | None:
        return self.cleaned_data.get("allergies", "").strip() or None

    def clean_emergency_contact(self) -> str | None:
        return self.cleaned_data.get("emergency_contact", "").strip() or None


class DoctorProfileForm(ProfileForm):
    # Plain digits only (apps.payments.money): "1e3" is refused, as in every money input.
    consultation_fee = MoneyField(
        label=_("Consultation fee (PKR)"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000000"),
        help_text=_("What a patient pays when booking you. Leave empty or 0 for free "
                    "consultations."),
    )


def profile_form_class(user: User) -> type[ProfileForm]:
    if user.is_patient:
        return PatientProfileForm
    return DoctorProfileForm if user.is_doctor else ProfileForm


# --- Passwords ----------------------------------------------------------------------------


class PasswordResetRequestForm(AccountForm):
    # Not Django's PasswordResetForm: it looks users up by an is_active column this schema
    # lacks and sends the email itself, inside the request's transaction.
    email = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        help_text=_("The address you registered with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"])


def _new_password_fields() -> tuple[forms.CharField, forms.CharField]:
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not only digits and not a common password."),
    )
    new_password2 = forms.CharField(
        label=_("Repeat new password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    return new_password1, new_password2


class SetNewPasswordForm(auth_forms.SetPasswordForm):
    """New password twice, checked by AUTH_PASSWORD_VALIDATORS against the user."""

    error_messages = {"password_mismatch": _("The two passwords do not match.")}
    new_password1, new_password2 = _new_password_fields()

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(user, *args, **kwargs)


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Current password, then the new one twice. `locked` refuses without checking it."""

    error_messages = {
        "password_mismatch": _("The two passwords do not match."),
        "password_incorrect": _("Your current password is not correct."),
        "locked": _("Too many failed attempts. Please wait 15 minutes and try again."),
        "unchanged": _("Choose a password different from your current one."),
    }
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    new_password1, new_password2 = _new_password_fields()

    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, user: User, *args: Any, locked: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        self.locked = locked
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        if self.locked:
            # No guess is weighed while locked, or the lock would stop nothing.
            raise ValidationError(self.error_messages["locked"], code="locked")
        return super().clean_old_password()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        old, new = cleaned.get("old_password"), cleaned.get("new_password1")
        if old and new and old == new and not self.has_error("new_password2"):
            self.add_error("new_password1", ValidationError(self.error_messages["unchanged"],
                                                            code="unchanged"))
        return cleaned
