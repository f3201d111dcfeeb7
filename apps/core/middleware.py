"""Turn an outage of the database or the cache into a clear 503 page, not a stack trace."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from redis.exceptions import RedisError

from healthlink.log_redaction import redact

logger = logging.getLogger(__name__)

OUTAGES = (OperationalError, InterfaceError, RedisError)


class ServiceUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OUTAGES):
            return None
        logger.error("service unavailable: %s on %s", type(exception).__name__,
                     redact(request.path))
        # Rendered without the request: context processors would query the failed service.
        body = render_to_string("503.html")
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "30"
        return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an outage met outside a view (in a middleware, say) is still a 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OUTAGES):
        response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponse(render_to_string("500.html"), status=500)
