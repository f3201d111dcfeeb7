"""Template filters of the payment pages: texts stored in English, shown in the reader's
language."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone

from apps.payments.jazzcash import failure_reason_display
from apps.payments.money import format_money

register = template.Library()


@register.filter
def failure_meaning(stored: str | None) -> str:
    """A payment's `failure_reason` ("<code>: <English meaning>") as the meaning of the
    code in the active language; the stored English text is for staff and admin."""
    return failure_reason_display(stored)


@register.filter
def money(amount: Decimal | None) -> str:
    """An amount as "1000.00"."""
    return format_money(amount)


@register.filter
def age_in_days(moment: datetime | None) -> int:
    """Whole days since `moment` (0 on the day itself), for "waiting N days" in queues."""
    if moment is None:
        return 0
    return max((timezone.now() - moment).days, 0)
