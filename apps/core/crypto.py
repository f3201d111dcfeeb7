"""AES-256-GCM for PHI columns, with a key ring for rotation and a keyed blind index.

A stored value reads ``v1:<key id>:<base64(nonce || ciphertext || tag)>``. The key id is
derived from the key itself, so retired keys listed in ``PHI_ENCRYPTION_OLD_KEYS`` stay
readable without any extra configuration, and the re-encryption command can tell which
rows still use an old key.

Nothing here ever returns stored text as if it were plaintext: a value that is not in the
format, names an unknown key or fails authentication raises ``DecryptionError``, whose
message names the reason only, never the value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32
_KEY_ID = re.compile(r"^[0-9a-f]{8}$")


class DecryptionError(Exception):
    """A stored value could not be authenticated or decrypted. Never carries the value."""


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_id]


def decode_key(encoded: str, setting: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured(f"{setting} is not valid base64.") from exc
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(f"{setting} must decode to exactly {KEY_BYTES} bytes.")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"healthlink-phi-key-id:" + key).hexdigest()[:8]


def generate_key() -> str:
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def _as_tuple(value: str | Iterable[str]) -> tuple[str, ...]:
    # A comma-separated string (as in the environment) or a list (as in settings).
    items = value.split(",") if isinstance(value, str) else value
    return tuple(item.strip() for item in items if item.strip())


@lru_cache(maxsize=8)
def _ring(current: str, old: tuple[str, ...]) -> KeyRing:
    if not current:
        raise ImproperlyConfigured("PHI_ENCRYPTION_KEY is not set.")
    current_key = decode_key(current, "PHI_ENCRYPTION_KEY")
    keys = {key_id(current_key): current_key}
    for encoded in old:
        old_key = decode_key(encoded, "PHI_ENCRYPTION_OLD_KEYS")
        known = keys.setdefault(key_id(old_key), old_key)
        if known != old_key:
            # Two different keys behind one id would make old rows unreadable.
            raise ImproperlyConfigured("Two PHI keys share a key id; generate a new key.")
    return KeyRing(current_id=key_id(current_key), keys=keys)


def key_ring() -> KeyRing:
    """The configured keys; cached per settings value, so override_settings just works."""
    return _ring(settings.PHI_ENCRYPTION_KEY, _as_tuple(settings.PHI_ENCRYPTION_OLD_KEYS))


def encrypt(plaintext: str) -> str:
    if not isinstance(plaintext, str):
        raise TypeError("encrypt() takes text.")
    ring = key_ring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.current).encrypt(nonce, plaintext.encode("utf-8"), None)
    payload = base64.b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{ring.current_id}:{payload}"


def _split(stored: str) -> tuple[str, str]:
    parts = stored.split(":", 2) if isinstance(stored, str) else []
    if len(parts) != 3 or parts[0] != PREFIX or not _KEY_ID.match(parts[1]):
        raise DecryptionError("stored value is not in the encrypted format")
    return parts[1], parts[2]


def stored_key_id(stored: str) -> str:
    """The key id a stored value was sealed with; raises if it is not our format."""
    return _split(stored)[0]


def decrypt(stored: str) -> str:
    kid, payload = _split(stored)
    key = key_ring().keys.get(kid)
    if key is None:
        raise DecryptionError(f"no key with id {kid} is configured")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("stored value is not valid base64") from exc
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("stored value is truncated")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
    except InvalidTag as exc:
        raise DecryptionError("stored value failed authentication") from exc
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError as exc:  # authenticated, so only if we sealed non-text
        raise DecryptionError("stored value is not text") from exc


def is_current(stored: str) -> bool:
    return stored_key_id(stored) == key_ring().current_id


@lru_cache(maxsize=4)
def _blind_key(encoded: str, encryption_key: str) -> bytes:
    if not encoded:
        raise ImproperlyConfigured("PHI_BLIND_INDEX_KEY is not set.")
    key = decode_key(encoded, "PHI_BLIND_INDEX_KEY")
    if encryption_key and key == decode_key(encryption_key, "PHI_ENCRYPTION_KEY"):
        raise ImproperlyConfigured("PHI_BLIND_INDEX_KEY must differ from PHI_ENCRYPTION_KEY.")
    return key


def blind_index(normalized: str, *, purpose: str) -> str:
    """Keyed HMAC of an already-normalized value, for equality lookups and UNIQUE.

    It has its own key: rotating ``PHI_ENCRYPTION_KEY`` leaves every blind index valid.
    """
    key = _blind_key(settings.PHI_BLIND_INDEX_KEY, settings.PHI_ENCRYPTION_KEY)
    message = f"{purpose}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
