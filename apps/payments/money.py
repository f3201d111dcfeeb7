"""Money as the payment pages take and show it: plain PKR amounts with two decimals.

Every money input goes through MoneyField, which accepts only plain digits with at most
two decimal places ("1000", "1000.5", "1000.50"), never exponent notation ("1e3"), signs,
spaces inside or thousands separators; every amount in a message is format_money's
"1000.00".
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
PLAIN_AMOUNT = re.compile(r"[0-9]{1,8}(\.[0-9]{1,2})?")


def format_money(amount: Decimal | int | None) -> str:
    """'1000.00': two decimals, no exponent, no grouping (for messages and notifications)."""
    value = Decimal(amount or 0).quantize(CENT)
    return f"{value:.2f}"


def parse_money(raw: str) -> Decimal:
    """A plain positive amount with at most two decimals; ValidationError otherwise."""
    text = (raw or "").strip()
    if not PLAIN_AMOUNT.fullmatch(text):
        raise ValidationError(
            _("Enter an amount in plain digits with at most two decimal places, "
              "e.g. 1500 or 1500.50."),
            code="money_format",
        )
    return Decimal(text).quantize(CENT)


class MoneyField(forms.Field):
    """A PKR amount typed by a person: plain digits, at most two decimals, at least
    `min_value` (0.01 unless told) and at most `max_value` (if given)."""

    widget = forms.TextInput

    def __init__(self, *, min_value: Decimal = CENT, max_value: Decimal | None = None,
                 **kwargs: Any) -> None:
        self.min_value = min_value
        self.max_value = max_value
        super().__init__(**kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.update({"inputmode": "decimal", "maxlength": "12"})
        return attrs

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            value = str(value)
        if not isinstance(value, str):
            raise ValidationError(_("Enter an amount in plain digits."), code="money_format")
        amount = parse_money(value)
        if amount < self.min_value:
            raise ValidationError(
                _("Enter an amount of at least %(minimum)s.")
                % {"minimum": format_money(self.min_value)},
                code="min_value",
            )
        if self.max_value is not None and amount > self.max_value:
            raise ValidationError(
                _("Enter an amount of at most %(maximum)s.")
                % {"maximum": format_money(self.max_value)},
                code="max_value",
            )
        return amount
