"""Forms for writing a record and for break-glass access: they parse; services decide."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.appointments.models import Appointment
from apps.appointments.validators import validate_calendar_instant
from apps.core.uploads import UploadsField
from apps.records import attachments
from apps.records.family_forms import refuse_bidi_controls
from apps.records.models import RecordType
from apps.records.services import BREAK_GLASS_REASON_MIN_LENGTH, break_glass_reason_error

TEXT_MAX_LENGTH = 20_000
REASON_MAX_LENGTH = 1000


class AttachmentsField(UploadsField):
    """Several files in one input; each is checked from its content (apps.core.uploads)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, max_count=attachments.MAX_ATTACHMENTS,
                         max_bytes=attachments.max_bytes, **kwargs)


class AppointmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Appointment) -> str:
        when = timezone.localtime(obj.scheduled_at).strftime("%Y-%m-%d %H:%M")
        return f"{when} · {obj.get_status_display()}"


class RecordForm(forms.Form):
    record_type = forms.ChoiceField(label=_("Type"), choices=RecordType.choices)
    record_date = forms.DateTimeField(
        label=_("Date"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    appointment = AppointmentChoiceField(
        label=_("Appointment (optional)"), queryset=Appointment.objects.none(), required=False,
    )
    diagnosis = forms.CharField(label=_("Diagnosis"), required=False, max_length=TEXT_MAX_LENGTH,
                                widget=forms.Textarea(attrs={"rows": 3}))
    treatment = forms.CharField(label=_("Treatment"), required=False, max_length=TEXT_MAX_LENGTH,
                                widget=forms.Textarea(attrs={"rows": 3}))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=TEXT_MAX_LENGTH,
                            widget=forms.Textarea(attrs={"rows": 4}))
    attachments = AttachmentsField(
        label=_("Attachments (PDF, PNG or JPEG)"), required=False,
    )

    def __init__(self, *args: Any, appointments: QuerySet[Appointment],
                 zone: zoneinfo.ZoneInfo, existing_attachments: int = 0,
                 **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.zone = zone
        # Files the record already holds (when editing): they count as its content.
        self.existing_attachments = existing_attachments
        cast(forms.ModelChoiceField, self.fields["appointment"]).queryset = appointments
        limit_mb = round(attachments.max_bytes() / (1024 * 1024), 1)
        self.fields["attachments"].help_text = _(
            "Up to %(count)s files, %(limit)s MB each."
        ) % {"count": attachments.MAX_ATTACHMENTS, "limit": limit_mb}

    def clean_record_date(self) -> datetime:
        value: datetime = self.cleaned_data["record_date"]
        if timezone.is_naive(value):
            value = value.replace(tzinfo=self.zone)
        validate_calendar_instant(value)
        if value > timezone.now() + timedelta(days=1):
            raise forms.ValidationError(_("A record cannot be dated in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        content = ("diagnosis", "treatment", "notes", "attachments")
        if not self.existing_attachments and not any(cleaned.get(name) for name in content):
            raise forms.ValidationError(
                _("Write a diagnosis, treatment or notes, or attach a file.")
            )
        return cleaned


class BreakGlassForm(forms.Form):
    identifier = forms.CharField(
        label=_("Patient's CNIC or email"), max_length=254,
        help_text=_("The exact CNIC (#####-#######-#) or email address; there is no search."),
    )
    reason = forms.CharField(
        label=_("Why do you need these records now?"), max_length=REASON_MAX_LENGTH,
        min_length=BREAK_GLASS_REASON_MIN_LENGTH, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the patient's access log; the patient is told."),
        error_messages={"min_length": _(
            "Explain why you need these records (at least %(limit_value)d characters)."
        )},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean_reason(self) -> str:
        reason: str = self.cleaned_data["reason"].strip()
        refuse_bidi_controls(reason)  # it is shown to the patient in their access log
        problem = break_glass_reason_error(reason)  # "abcdeabcdeabcdeabcde" says nothing
        if problem is not None:
            raise forms.ValidationError(problem)
        return reason
