"""Template filters for user text shown inside the records pages."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def isolate(value: object) -> SafeString:
    """User text in its own bidirectional island (<bdi>, escaped): a right-to-left override
    or an Urdu name inside it cannot reorder the words around it."""
    return format_html("<bdi>{}</bdi>", value)
