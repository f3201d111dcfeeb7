"""A fixed-window request counter in the cache that fails open when Redis is down."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Rendering a PDF costs CPU (fonts are subset on every download): per user and minute.
PDF_RATE_LIMIT = 20
PDF_RATE_WINDOW = 60


def over_limit(key: str, *, limit: int, window: int) -> bool:
    """Count one request under ``key``; True once more than ``limit`` came in ``window``
    seconds.

    Fails open: with Redis down the request goes through (a pharmacist at the counter
    must still be able to check a prescription); the outage is logged with the key's
    kind only, never the key (it may hold an address or an id).
    """
    try:
        if cache.add(key, 1, window):
            return False
        try:
            count = int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, window)
            return False
    except RedisError:
        logger.warning("rate limit not applied: cache unreachable kind=%s", key.split(":")[0])
        return False
    return count > limit


def pdf_over_limit(request: HttpRequest, kind: str) -> bool:
    """The per-user PDF limit (``kind`` names the document, e.g. "rx" or "receipt")."""
    return over_limit(f"pdf-{kind}:{request.user.pk}", limit=PDF_RATE_LIMIT,
                      window=PDF_RATE_WINDOW)


def pdf_limited_response(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(render_to_string("pdf_limited.html", request=request),
                            status=429)
    response["Retry-After"] = str(PDF_RATE_WINDOW)
    return response
