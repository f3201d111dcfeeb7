"""The booking form: it parses input; appointment_book decides whether the booking stands."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.appointments.models import ConsultationType
from apps.facilities.models import Facility


class BookingForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
    consultation_type = forms.ChoiceField(
        label=_("Consultation type"), choices=ConsultationType.choices,
        initial=ConsultationType.VIDEO_CALL, widget=forms.RadioSelect,
    )
    facility = forms.ModelChoiceField(
        label=_("Facility (in-person visits only)"), queryset=Facility.objects.none(),
        required=False, empty_label=_("No facility (video or phone)"),
    )
    chief_complaint = forms.CharField(
        label=_("Reason for the visit"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self, *args: Any, facilities: QuerySet[Facility], zone: zoneinfo.ZoneInfo,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.zone = zone
        facility_field = self.fields["facility"]
        assert isinstance(facility_field, forms.ModelChoiceField)  # noqa: S101 - narrows type
        facility_field.queryset = facilities
        date_field = self.fields["date"]
        date_field.widget.attrs["min"] = timezone.localdate(timezone=zone).isoformat()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, moment = cleaned.get("date"), cleaned.get("time")
        if day is not None and moment is not None:
            # The patient typed a wall-clock time in their own zone; store the instant.
            cleaned["scheduled_at"] = datetime.combine(day, moment, tzinfo=self.zone)
        return cleaned

    @property
    def scheduled_at(self) -> datetime:
        value: datetime = self.cleaned_data["scheduled_at"]
        return value
