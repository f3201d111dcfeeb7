"""Deep links in notifications: only paths on this site are ever followed."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme

MAX_ACTION_URL_LENGTH = 500


def safe_action_url(url: str | None) -> str | None:
    """`url` if it is a same-site path such as `/appointments/7/`, None otherwise.

    No scheme, no host, no protocol-relative `//host` and no backslash or control
    character that a browser might read as one, so a notification can never send anybody
    to another site.
    """
    if not url or len(url) > MAX_ACTION_URL_LENGTH:
        return None
    if not url.startswith("/") or url.startswith("//"):
        return None
    if "\\" in url or any(ord(char) < 0x20 or ord(char) == 0x7F for char in url):
        return None
    if not url_has_allowed_host_and_scheme(url, allowed_hosts=None, require_https=False):
        return None
    return url
