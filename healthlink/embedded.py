"""Embedded PostgreSQL and Redis for a machine with neither configured (placeholder)."""

from __future__ import annotations

from pathlib import Path


def database_url(var_dir: Path) -> str:
    raise NotImplementedError("set DATABASE_URL")


def redis_url(var_dir: Path) -> str:
    raise NotImplementedError("set REDIS_URL")
