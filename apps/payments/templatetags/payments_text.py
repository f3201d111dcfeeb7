"""Template filters of the payment pages: texts stored in English, shown in the reader's
language."""

from __future__ import annotations

from decimal import Decimal

from django import template

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
