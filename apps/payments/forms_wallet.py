"""Forms for the wallet pages and the refund choice on the cancel form: they parse only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.payments.models import RefundDestination


class RefundDestinationForm(forms.Form):
    destination = forms.ChoiceField(
        label=_("Refund to"), choices=RefundDestination.choices,
        widget=forms.RadioSelect, initial=RefundDestination.WALLET,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
