"""A local stand-in for api.fda.gov: a tiny HTTP server on 127.0.0.1 serving the fixtures."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import override_settings

FIXTURES = Path(__file__).parent / "fixtures" / "openfda"


def fixture_body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeOpenFDA:
    """What the fake server does: serve labels by name, or fail in a chosen way."""

    base_url: str = ""
    mode: str = "labels"  # labels | rate_limited | slow | server_error | garbage
    delay: float = 0.0
    requests: list[dict[str, list[str]]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def searched_names(self) -> list[str]:
        names = []
        for query in self.requests:
            match = re.search(r'"([^"]+)"', query.get("search", [""])[0])
            names.append(match.group(1) if match else "")
        return names


def _handler(state: FakeOpenFDA) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up first (the timeout test)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            state.paths.append(parts.path)
            state.requests.append(query)
            if state.mode == "slow":
                time.sleep(state.delay)
            if state.mode == "rate_limited":
                self._send(429, fixture_body("over_rate_limit.json"))
                return
            if state.mode == "server_error":
                self._send(500, b"<html>upstream error</html>")
                return
            if state.mode == "garbage":
                self._send(200, b"not json at all")
                return
            match = re.search(r'"([^"]+)"', query.get("search", [""])[0])
            name = (match.group(1) if match else "").replace(" ", "_")
            path = FIXTURES / f"label_{name}.json"
            if parts.path == "/drug/label.json" and path.exists():
                self._send(200, path.read_bytes())
            else:
                self._send(404, fixture_body("not_found.json"))

    return Handler


@pytest.fixture
def openfda_cache() -> Iterator[None]:
    """The real Redis cache, under a key prefix of this test's own: no test sees another's
    keys and nothing needs clearing (the TTL is short)."""
    caches = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"t-{uuid.uuid4().hex}"}}
    with override_settings(CACHES=caches, OPENFDA_CACHE_SECONDS=120):
        yield


@pytest.fixture
def fake_openfda(openfda_cache: None) -> Iterator[FakeOpenFDA]:
    state = FakeOpenFDA()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with override_settings(
            OPENFDA_BASE_URL=state.base_url, OPENFDA_API_KEY="",
            OPENFDA_CONNECT_TIMEOUT_SECONDS=2.0, OPENFDA_READ_TIMEOUT_SECONDS=2.0,
        ):
            yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def refused_base_url(openfda_cache: None) -> Iterator[str]:
    """A 127.0.0.1 port nothing listens on (bound, then closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with override_settings(OPENFDA_BASE_URL=url, OPENFDA_CONNECT_TIMEOUT_SECONDS=2.0):
        yield url


def load_fixture(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads(fixture_body(name))
    return data
