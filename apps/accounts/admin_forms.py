"""Admin forms for the custom user: email instead of username, PHI validated before saving."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AdminPasswordChangeForm, BaseUserCreationForm
from django.contrib.auth.forms import UserChangeForm as DjangoUserChangeForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User, UserManager, cnic_blind_index, format_cnic, normalize_cnic
from apps.core.text import ascii_digits

E164 = re.compile(r"^\+[1-9]\d{7,14}$", re.ASCII)
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")


def _clean_unique_email(form: forms.ModelForm[User]) -> str:
    email = UserManager.normalize_email(form.cleaned_data.get("email"))
    # Soft-deleted users still hold their address, so look beyond the default manager.
    taken = User.all_objects.filter(email__iexact=email)
    if form.instance.pk is not None:
        taken = taken.exclude(pk=form.instance.pk)
    if taken.exists():
        raise forms.ValidationError(
            _("An account with this email address already exists."), code="unique"
        )
    return email


class UserCreationForm(BaseUserCreationForm):
    """Email, name, role and the password twice; the password is stored hashed."""

    class Meta:
        model = User
        fields = ("email", "name", "role")

    def clean_email(self) -> str:
        return _clean_unique_email(self)


class UserChangeForm(DjangoUserChangeForm):
    """Every editable column; the password only through the admin's set-password page."""

    class Meta:
        model = User
        fields = "__all__"
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "off"}),
            "cnic": forms.TextInput(attrs={"autocomplete": "off",
                                           "placeholder": "#####-#######-#"}),
            "emergency_contact": forms.TextInput(attrs={"autocomplete": "off"}),
            "allergies": forms.Textarea(attrs={"rows": 3}),
            "address": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_email(self) -> str:
        return _clean_unique_email(self)

    def clean_phone(self) -> str | None:
        phone = _PHONE_SEPARATORS.sub("", ascii_digits(self.cleaned_data.get("phone") or ""))
        if not phone:
            return None
        if not E164.match(phone):
            raise forms.ValidationError(
                _("Enter the number in international form, e.g. +923001234567."),
                code="invalid",
            )
        return phone

    def clean_cnic(self) -> str | None:
        cnic = (self.cleaned_data.get("cnic") or "").strip()
        if not cnic:
            return None
        try:
            digits = normalize_cnic(cnic)
        except ValueError as exc:
            raise forms.ValidationError(
                _("A CNIC has 13 digits, written #####-#######-#."), code="invalid"
            ) from exc
        # The encrypted column cannot be compared; its blind index can.
        taken = User.all_objects.filter(cnic_blind_index=cnic_blind_index(digits))
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("An account with this CNIC already exists."), code="unique"
            )
        return format_cnic(digits)

    def clean_pmdc_license_number(self) -> str | None:
        number = ascii_digits(self.cleaned_data.get("pmdc_license_number") or "").strip().upper()
        if not number:
            return None
        taken = User.all_objects.filter(pmdc_license_number__iexact=number)
        if self.instance.pk is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("A doctor with this PMDC license number is already registered."),
                code="unique",
            )
        return number

    def validate_unique(self) -> None:
        # The clean_* methods above check these across soft-deleted users too; Django's own
        # check queries alive users only, and for the CNIC compares fresh ciphertext.
        exclude = {"email", "cnic", "pmdc_license_number", *self.errors}
        exclude |= {field.name for field in User._meta.fields if field.name not in self.fields}
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as error:
            self.add_error(None, error)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        facility = self.fields.get("facility")
        if isinstance(facility, forms.ModelChoiceField):
            facility.queryset = facility.queryset.order_by("city", "name")  # type: ignore[union-attr]


class AdminPasswordSetForm(AdminPasswordChangeForm):
    """An admin setting a password ends the user's API tokens and sessions, as a change does.

    Web sessions end anyway (their auth hash no longer matches); tokens_revoked_at is what
    ends the JWTs of the mobile app.
    """

    def save(self, commit: bool = True) -> Any:
        self.user.tokens_revoked_at = timezone.now()
        return super().save(commit=commit)
