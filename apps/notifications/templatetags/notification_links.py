"""`{{ url|safe_action_url }}`: the link if it stays on this site, empty otherwise."""

from __future__ import annotations

from django import template

from apps.notifications.links import safe_action_url as _safe_action_url

register = template.Library()


@register.filter
def safe_action_url(url: str | None) -> str:
    return _safe_action_url(url) or ""
