"""Database helpers shared by the services: telling a deadlock from other errors."""

from __future__ import annotations

import psycopg
from django.db import OperationalError

# How often a write that PostgreSQL ended as a deadlock victim is tried again. The second
# attempt usually runs alone: the other transaction has committed by then.
DEADLOCK_ATTEMPTS = 3


def is_deadlock(exc: BaseException) -> bool:
    """True for Django's OperationalError raised by PostgreSQL's deadlock detector."""
    return isinstance(exc, OperationalError) and isinstance(
        exc.__cause__, psycopg.errors.DeadlockDetected
    )
