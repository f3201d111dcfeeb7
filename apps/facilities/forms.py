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


class FacilitySearchForm(forms.Form):
    """City, or a point (typed, or filled in by the browser's location), or both."""

    RADIUS_CHOICES = [
        ("", _("Any distance")),
        ("5", _("Within 5 km")),
        ("10", _("Within 10 km")),
        ("25", _("Within 25 km")),
        ("50", _("Within 50 km")),
        ("100", _("Within 100 km")),
        ("500", _("Within 500 km")),
    ]

    city = forms.CharField(
        label=_("City"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"list": "facility-city-options", "autocomplete": "off",
                                      "placeholder": _("e.g. Lahore")}),
    )
    latitude = forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal",
                                        "placeholder": _("e.g. 31.5204")}),
    )
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal",
                                        "placeholder": _("e.g. 74.3587")}),
    )
    radius_km = forms.TypedChoiceField(
        label=_("Distance"), choices=RADIUS_CHOICES, required=False, coerce=float,
        empty_value=None,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if "latitude" in self.errors or "longitude" in self.errors:
            return cleaned
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            self.add_error(missing, _("Enter both latitude and longitude, or neither."))
        elif latitude is None and cleaned.get("radius_km") is not None:
            self.add_error("radius_km", _("A distance needs a point: use your location or "
                                          "enter latitude and longitude."))
        return cleaned

    @property
    def has_point(self) -> bool:
        return self.is_valid() and self.cleaned_data.get("latitude") is not None
