"""Forms for writing a prescription and acknowledging a warning: they parse; services decide."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.appointments.models import Appointment
from apps.core.pdf import undrawable_characters
from apps.core.text import has_bidi_controls, has_control_characters
from apps.prescriptions.services import (
    ACKNOWLEDGEMENT_REASON_MAX_LENGTH,
    DEFAULT_VALIDITY_DAYS,
    MAX_MEDICATIONS,
    MedicationInput,
)
from apps.prescriptions.signing import REJECTION_REASON_MAX_LENGTH
from apps.records.forms import AppointmentChoiceField

TEXT_MAX_LENGTH = 5000
FORMSET_PREFIX = "medications"
DATALIST_ID = "drug-suggestions"


def refuse_bidi_controls(value: str) -> None:
    """Direction overrides reorder what a reader sees; no free text here needs them."""
    if has_bidi_controls(value or ""):
        raise forms.ValidationError(
            _("Remove the invisible text-direction characters from this text."),
            code="bidi_controls",
        )


# Symbols a doctor may type that the PDF fonts cannot draw, with plain equivalents.
SYMBOL_EQUIVALENTS = {"\u2265": ">=", "\u2264": "<=", "\u2192": "->", "\u2190": "<-"}
_SYMBOLS = str.maketrans(SYMBOL_EQUIVALENTS)
def refuse_control_characters(value: str) -> None:
    # Tabs and line breaks are text; other control characters are invisible on the page
    # and dropped from the PDF, so the printout would differ.
    if has_control_characters(value or ""):
        raise forms.ValidationError(
            _("Remove the invisible control characters from this text."),
            code="control_characters",
        )


def refuse_unprintable(value: str) -> None:
    """Only text the prescription PDF can draw: a signed prescription must always print."""
    found = undrawable_characters(value or "")
    if found:
        raise forms.ValidationError(
            _("These characters cannot be printed on the prescription: %(chars)s. Use "
              "letters, digits and common punctuation (for example >= instead of ≥).")
            % {"chars": " ".join(found[:10])},
            code="unprintable",
        )


TEXT_VALIDATORS: list[Callable[[Any], None]] = [
    refuse_bidi_controls, refuse_control_characters, refuse_unprintable,
]


class PrintableCharField(forms.CharField):
    """Free text that ends up on the printed prescription."""

    default_validators = TEXT_VALIDATORS

    def to_python(self, value: Any) -> str | None:
        text = super().to_python(value)
        return text.translate(_SYMBOLS) if text else text


def default_valid_until(zone: zoneinfo.ZoneInfo) -> date:
    return timezone.localtime(timezone.now(), zone).date() + timedelta(days=DEFAULT_VALIDITY_DAYS)


class PrescriptionForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Valid until"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    appointment = AppointmentChoiceField(
        label=_("Appointment (optional)"), queryset=Appointment.objects.none(), required=False,
    )
    instructions = PrintableCharField(
        label=_("Instructions for the patient"), required=False, max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A one-time key per opened new-prescription form (see services.prescription_create).
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, appointments: QuerySet[Appointment],
                 zone: zoneinfo.ZoneInfo, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.zone = zone
        cast(forms.ModelChoiceField, self.fields["appointment"]).queryset = appointments
        self.fields["valid_until"].widget.attrs["min"] = (
            timezone.localtime(timezone.now(), zone).date().isoformat()
        )

    def valid_until_instant(self) -> datetime:
        """The end of the chosen day in the doctor's time zone."""
        day: date = self.cleaned_data["valid_until"]
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.zone)


class MedicationForm(forms.Form):
    """One row. Every field is optional here: a blank row is skipped, a partial one is not."""

    name = PrintableCharField(
        label=_("Medication"), required=False, max_length=255,
        widget=forms.TextInput(attrs={"list": DATALIST_ID, "autocomplete": "off",
                                      "class": "medication-name"}),
    )
    dosage = PrintableCharField(label=_("Dosage"), required=False, max_length=100)
    frequency = PrintableCharField(label=_("Frequency"), required=False, max_length=100)
    duration = PrintableCharField(label=_("Duration"), required=False, max_length=100)
    instructions = PrintableCharField(label=_("Notes"), required=False, max_length=1000)

    REQUIRED = ("name", "dosage", "frequency", "duration")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if any((data.get(field) or "").strip() for field in self.fields):
            for field in self.REQUIRED:
                # A field refused for its content already says why; it is not missing.
                if field not in self.errors and not (data.get(field) or "").strip():
                    self.add_error(field, _("Required for each medication listed."))
        return data

    def medication(self) -> MedicationInput | None:
        data = self.cleaned_data
        if not any((data.get(field) or "").strip() for field in self.fields):
            return None
        return MedicationInput(
            name=data["name"], dosage=data["dosage"], frequency=data["frequency"],
            duration=data["duration"], instructions=data.get("instructions") or "",
        )


class BaseMedicationFormSet(forms.BaseFormSet):
    def with_autocomplete(self) -> BaseMedicationFormSet:
        """Each name asks for suggestions; only that row's name is posted (hx-params)."""
        url = reverse("prescriptions:suggest")
        for form in self.forms:
            form.fields["name"].widget.attrs.update({
                "hx-post": url,
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{DATALIST_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                "hx-params": form.add_prefix("name"),
            })
        return self

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        if not self.medications():
            raise forms.ValidationError(_("Add at least one medication."))

    def medications(self) -> list[MedicationInput]:
        rows = [form.medication() for form in self.forms if hasattr(form, "cleaned_data")]
        return [row for row in rows if row is not None]


def medication_formset(data: Any = None, *, initial: list[dict[str, Any]] | None = None,
                       extra: int = 3) -> BaseMedicationFormSet:
    formset_class = forms.formset_factory(
        MedicationForm, formset=BaseMedicationFormSet, extra=extra, max_num=MAX_MEDICATIONS,
        validate_max=True, absolute_max=MAX_MEDICATIONS,
    )
    formset = cast(BaseMedicationFormSet,
                   formset_class(data, initial=initial, prefix=FORMSET_PREFIX))
    return formset.with_autocomplete()


class AcknowledgeForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this prescription still appropriate?"),
        max_length=ACKNOWLEDGEMENT_REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}),
        validators=[refuse_bidi_controls, refuse_control_characters],
        error_messages={"required": _("Give a reason to acknowledge the warning.")},
    )


class RejectForm(forms.Form):
    """The reason pharmacy staff or an admin gives for rejecting a signed prescription.

    CharField strips the text and refuses NUL characters (PostgreSQL cannot store them)."""

    reason = forms.CharField(
        label=_("Reason"), max_length=REJECTION_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[refuse_bidi_controls, refuse_control_characters],
        error_messages={"required": _("Give a reason for the rejection.")},
    )


def error_text(form: forms.Form) -> str:
    """All of a form's errors as one sentence-per-error message for the messages frame."""
    return " ".join(str(message) for errors in form.errors.values() for message in errors)
