"""The portal's side of Janus Gateway: videoroom rooms over Janus's HTTP API.

Every operation opens its own Janus session, attaches the videoroom plugin, sends one
request and destroys the session again. A session lives well under a second, far inside
Janus's `session_timeout` (60 s), so the portal needs no keep-alive thread or long-lived
state; browsers keep their own sessions alive through janus.js. Timeouts are short: a
Janus that does not answer within JANUS_TIMEOUT_SECONDS is treated as unavailable.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

logger = logging.getLogger(__name__)

PLUGIN = "janus.plugin.videoroom"
# janus_videoroom.c error codes the portal acts on.
ERROR_NO_SUCH_ROOM = 426
# Room ids are numbers; kept within 2**53 so janus.js (JavaScript numbers) reads them exactly.
MAX_ROOM_ID = 2**53 - 1


class JanusError(Exception):
    """Janus could not do what was asked. The message holds no secret."""


class JanusUnavailable(JanusError):
    """Janus did not answer (refused, timed out, not HTTP 200 or not JSON)."""


class JanusRequestFailed(JanusError):
    """Janus answered with an error."""

    def __init__(self, message: str, code: int | None = None) -> None:
        self.code = code
        super().__init__(message)


def new_room_id() -> int:
    return secrets.randbelow(MAX_ROOM_ID) + 1


@dataclass(frozen=True)
class RoomSpec:
    room: int
    secret: str
    pin: str
    description: str = "HealthLink consultation"
    publishers: int = 3
    record: bool = False
    rec_dir: str = ""


class JanusClient:
    def __init__(
        self, base_url: str | None = None, *, timeout: float | None = None,
        admin_key: str | None = None,
    ) -> None:
        self.base_url = (base_url or settings.JANUS_URL).rstrip("/")
        self.timeout = settings.JANUS_TIMEOUT_SECONDS if timeout is None else timeout
        self.admin_key = settings.JANUS_ADMIN_KEY if admin_key is None else admin_key

    # --- transport --------------------------------------------------------------------

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = {**body, "transaction": secrets.token_hex(8)}
        try:
            response = requests.post(self.base_url + path, json=payload, timeout=self.timeout)
            data = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError) as exc:
            raise JanusUnavailable(f"Janus is unreachable ({type(exc).__name__})") from exc
        if not isinstance(data, dict):
            raise JanusUnavailable(f"Janus answered HTTP {response.status_code}")
        if data.get("janus") == "error":
            error = data.get("error") or {}
            raise JanusRequestFailed(f"Janus error {error.get('code')}", error.get("code"))
        return data

    def info(self) -> dict[str, Any]:
        """Janus's /info document; raises JanusUnavailable when it does not answer."""
        try:
            response = requests.get(self.base_url + "/info", timeout=self.timeout)
            data = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise JanusUnavailable(f"Janus is unreachable ({type(exc).__name__})") from exc
        if response.status_code != 200 or not isinstance(data, dict):
            raise JanusUnavailable(f"Janus answered HTTP {response.status_code}")
        return data

    def is_available(self) -> bool:
        try:
            self.info()
        except JanusUnavailable:
            return False
        return True

    @contextmanager
    def _videoroom(self) -> Iterator[str]:
        """A fresh session with the videoroom plugin attached; yields the handle's path."""
        session = self._post("", {"janus": "create"})["data"]["id"]
        try:
            handle = self._post(f"/{session}", {"janus": "attach", "plugin": PLUGIN})
            yield f"/{session}/{handle['data']['id']}"
        finally:
            try:
                self._post(f"/{session}", {"janus": "destroy"})
            except JanusError:
                # Janus drops it after session_timeout anyway.
                logger.warning("janus session %s not destroyed", session)

    def _request(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._videoroom() as handle:
            answer = self._post(handle, {"janus": "message", "body": body})
        data = (answer.get("plugindata") or {}).get("data") or {}
        if "error_code" in data:
            raise JanusRequestFailed(
                f"videoroom error {data['error_code']}", int(data["error_code"])
            )
        return dict(data)

    # --- rooms ------------------------------------------------------------------------

    def room_create(self, spec: RoomSpec) -> None:
        """A private room for `spec.publishers` people, joined with the pin."""
        body: dict[str, Any] = {
            "request": "create", "room": spec.room, "description": spec.description,
            "secret": spec.secret, "pin": spec.pin, "is_private": True,
            "publishers": spec.publishers, "permanent": False, "record": spec.record,
            "audiocodec": "opus", "videocodec": "vp8", "notify_joining": True,
        }
        if spec.record and spec.rec_dir:
            body["rec_dir"] = spec.rec_dir
        if self.admin_key:
            body["admin_key"] = self.admin_key
        self._request(body)
        # Room numbers are never logged: with one, Janus lists who is in the room.

    def room_destroy(self, *, room: int, secret: str) -> bool:
        """Destroy the room; False if Janus no longer has it (already gone, or restarted)."""
        try:
            self._request({"request": "destroy", "room": room, "secret": secret,
                           "permanent": False})
        except JanusRequestFailed as exc:
            if exc.code == ERROR_NO_SUCH_ROOM:
                return False
            raise
        return True

    def room_exists(self, room: int) -> bool:
        return bool(self._request({"request": "exists", "room": room}).get("exists"))
