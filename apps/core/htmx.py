"""htmx requests that need a login: send the whole page to the login form, not a fragment.

When a session has ended (logged out elsewhere, expired, revoked), an htmx request such as
the data export's progress poll meets `login_required`, whose redirect the browser follows
inside the XMLHttpRequest: the login page would be swapped into the card. This middleware
turns that redirect, for htmx requests only, into `401` with `HX-Redirect`, so htmx loads
the login page in the window, with `next` set to the page the user was on.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _return_to(request: HttpRequest, location: str) -> str | None:
    """The page the user was on (htmx's HX-Current-URL), else the `next` of the redirect."""
    current = request.headers.get("HX-Current-URL", "")
    if current and url_has_allowed_host_and_scheme(
        current, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(current)
        return parts.path + (f"?{parts.query}" if parts.query else "")
    return QueryDict(urlsplit(location).query).get("next")


class HtmxLoginRedirectMiddleware:
    """For an htmx request, a redirect to LOGIN_URL becomes 401 + HX-Redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not is_htmx(request) or response.status_code not in REDIRECT_STATUSES:
            return response
        login = resolve_url(settings.LOGIN_URL)
        location = response.get("Location", "")
        if urlsplit(location).path != urlsplit(login).path:
            return response
        next_url = _return_to(request, location)
        target = f"{login}?{urlencode({'next': next_url})}" if next_url else login
        answer = HttpResponse(status=401)
        answer["HX-Redirect"] = target
        add_never_cache_headers(answer)
        patch_vary_headers(answer, ("HX-Request",))
        return answer
