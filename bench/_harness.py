"""What every benchmark shares: a throwaway database and Django set up against it."""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def admin_dsn(server: str) -> str:
    return server.rstrip("/") + "/postgres"


def recreate_database(server: str, name: str) -> None:
    with psycopg.connect(admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(server: str, name: str) -> None:
    with psycopg.connect(admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def set_up_django(database_url: str, *, redis_url: str) -> None:
    """Production-like settings (DEBUG off) with throwaway keys; nothing here is a secret."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "healthlink.settings"
    os.environ["DEBUG"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("HEALTHLINK_TESTING", None)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["PHI_ENCRYPTION_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["PHI_BLIND_INDEX_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["AUDIT_CHAIN_KEY"] = base64.b64encode(secrets.token_bytes(32)).decode()
    # Never connected to by these benches; set so settings do not start an embedded Redis.
    os.environ.setdefault("REDIS_URL", redis_url)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def use_schema(schema: str) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET search_path TO {schema}, public")
