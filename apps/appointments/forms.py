"""Booking and working-hours forms: they parse input; the services decide what stands."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from apps.appointments.availability import MAX_SLOT_MINUTES, MAX_WEEKS_AHEAD, MIN_SLOT_MINUTES
from apps.appointments.models import ConsultationType, ExceptionKind, Weekday
from apps.appointments.validators import validate_calendar_day, validate_calendar_instant
from apps.facilities.models import Facility


def _narrow(field: forms.Field) -> forms.ModelChoiceField[Facility]:
    assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - narrows the type
    return field


class VisitKindForm(forms.Form):
    """Which free times to list: the kind of visit, where, and which week (a GET query)."""

    # No initial choice: left open, the booking page lists where the doctor has free times.
    consultation_type = forms.ChoiceField(
        label=_("Consultation type"), choices=ConsultationType.choices,
        widget=forms.RadioSelect, required=False,
    )
    facility = forms.ModelChoiceField(
        label=_("Facility (in-person visits only)"), queryset=Facility.objects.none(),
        required=False, empty_label=_("No facility (video or phone)"),
    )
    week = forms.IntegerField(
        min_value=0, max_value=MAX_WEEKS_AHEAD, required=False, widget=forms.HiddenInput
    )

    def __init__(
        self, *args: Any, facilities: QuerySet[Facility], zone: zoneinfo.ZoneInfo | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.zone = zone
        _narrow(self.fields["facility"]).queryset = facilities


class BookingForm(VisitKindForm):
    """One listed free time, the kind of visit and place it was listed for, and the reason."""

    slot = forms.CharField(
        label=_("Time"), max_length=40,
        error_messages={"required": _("Choose one of the free times listed."),
                        "max_length": _("Choose one of the free times listed.")},
    )
    chief_complaint = forms.CharField(
        label=_("Reason for the visit"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consultation_type"].required = True

    def clean_slot(self) -> datetime:
        raw = self.cleaned_data["slot"]
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is None or timezone.is_naive(value):
            raise forms.ValidationError(_("Choose one of the free times listed."))
        validate_calendar_instant(value)
        return value.astimezone(UTC)

    @property
    def scheduled_at(self) -> datetime:
        value: datetime = self.cleaned_data["slot"]
        return value


class MinuteTimeField(forms.TimeField):
    """A wall-clock time to the minute: seconds would put slots off the visible grid."""

    def clean(self, value: Any) -> Any:
        cleaned = super().clean(value)
        return cleaned.replace(second=0, microsecond=0) if cleaned else cleaned


class WeeklyHoursForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"), choices=Weekday.choices, coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one weekday.")},
    )
    facility = forms.ModelChoiceField(
        label=_("Where"), queryset=Facility.objects.none(), required=False,
        empty_label=_("Video and phone (remote)"),
    )
    start_time = MinuteTimeField(label=_("From"),
                                 widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = MinuteTimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    slot_minutes = forms.IntegerField(
        label=_("Slot length (minutes)"), initial=30, min_value=MIN_SLOT_MINUTES,
        max_value=MAX_SLOT_MINUTES,
    )

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "weekly")
        super().__init__(*args, **kwargs)
        _narrow(self.fields["facility"]).queryset = facilities


class AvailabilityExceptionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ExceptionKind.choices,
                             widget=forms.RadioSelect, initial=ExceptionKind.DAY_OFF)
    start_date = forms.DateField(label=_("From date"),
                                 widget=forms.DateInput(attrs={"type": "date"}),
                                 validators=[validate_calendar_day])
    end_date = forms.DateField(
        label=_("Until date"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_calendar_day],
        help_text=_("Leave empty for a single day."),
    )
    start_time = MinuteTimeField(
        label=_("From"), required=False, widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Leave both times empty for whole days off."),
    )
    end_time = MinuteTimeField(label=_("Until"), required=False,
                               widget=forms.TimeInput(attrs={"type": "time"}))
    facility = forms.ModelChoiceField(
        label=_("Where"), queryset=Facility.objects.none(), required=False,
        empty_label=_("Everywhere (days off) / video and phone (extra hours)"),
    )
    slot_minutes = forms.IntegerField(
        label=_("Slot length for extra hours (minutes)"), initial=30,
        min_value=MIN_SLOT_MINUTES, max_value=MAX_SLOT_MINUTES,
    )
    reason = forms.CharField(label=_("Note (optional)"), max_length=255, required=False)

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", "exception")
        super().__init__(*args, **kwargs)
        _narrow(self.fields["facility"]).queryset = facilities
