"""Forms for changing an appointment and for the waitlist: they parse; services decide."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from apps.appointments.validators import validate_calendar_day, validate_calendar_instant
from apps.payments.models import RefundDestination

REASON_MAX_LENGTH = 1000


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=REASON_MAX_LENGTH, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    refund_to = forms.ChoiceField(
        label=_("Refund to"), choices=RefundDestination.choices, widget=forms.RadioSelect,
        initial=RefundDestination.SOURCE,
    )

    def __init__(
        self, *args: Any, reason_required: bool = False, refund_choice: bool = False,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        if not refund_choice:  # only a patient who paid through JazzCash chooses
            del self.fields["refund_to"]
        field = self.fields["reason"]
        # Whether a reason is needed is the service's rule (it names the error); the form
        # only tells doctors and staff up front.
        if reason_required:
            field.help_text = _("Required. The patient will see this reason.")
            field.widget.attrs["required"] = True
        else:
            field.label = _("Reason for cancelling (optional)")


class SlotChoiceForm(forms.Form):
    """A new start time, posted as the ISO 8601 instant of a listed free slot."""

    slot = forms.CharField(label=_("New time"), max_length=40)

    def clean_slot(self) -> datetime:
        raw = self.cleaned_data["slot"]
        try:
            value = parse_datetime(raw)
        except ValueError:
            value = None
        if value is None or timezone.is_naive(value):
            raise forms.ValidationError(_("Choose one of the free times listed."))
        validate_calendar_instant(value)
        return value


class DayForm(forms.Form):
    """A day picked in a GET query (`?day=` or `?date=`), for navigation between days."""

    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}),
                          validators=[validate_calendar_day])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class WaitlistJoinForm(forms.Form):
    doctor = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}),
                          validators=[validate_calendar_day])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
