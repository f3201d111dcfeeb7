from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings


@pytest.fixture(autouse=True)
def _own_cache_namespace() -> Iterator[None]:
    """Login and resend throttles count in the cache: give each test a fresh key prefix.

    A prefix rather than cache.clear(), which would also empty a Celery broker sharing the
    Redis database with a test running in parallel.
    """
    caches: dict[str, Any] = {
        alias: {**config, "KEY_PREFIX": f"test-accounts-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield
