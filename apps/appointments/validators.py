"""Bounds for dates and times typed into scheduling forms and URLs.

Anything outside them is a typo or a probe; refusing it early keeps date arithmetic (a day
plus one, a slot plus its length, a conversion between zones) from overflowing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)


def validate_calendar_day(value: date) -> None:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValidationError(_("Choose a date between 2000 and 2100."), code="out_of_range")


def validate_calendar_instant(value: datetime) -> None:
    # The local date is checked first: converting 0001-01-01 +05:00 to UTC itself overflows.
    validate_calendar_day(value.date())
    validate_calendar_day(value.astimezone(UTC).date())
