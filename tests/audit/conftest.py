from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings


@pytest.fixture(autouse=True)
def _own_cache_namespace() -> Iterator[None]:
    """The login lockout counts in the cache: a fresh key prefix per test (not clear())."""
    caches: dict[str, Any] = {
        alias: {**config, "KEY_PREFIX": f"test-audit-{uuid.uuid4().hex}"}
        for alias, config in settings.CACHES.items()
    }
    with override_settings(CACHES=caches):
        yield
