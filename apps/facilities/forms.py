"""The doctor directory's search form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DoctorSearchForm(forms.Form):
    specialty = forms.CharField(
        label=_("Specialty"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"list": "specialty-options", "autocomplete": "off",
                                      "placeholder": _("e.g. Cardiologist")}),
    )
    city = forms.CharField(
        label=_("City"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"list": "city-options", "autocomplete": "off",
                                      "placeholder": _("e.g. Lahore")}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
