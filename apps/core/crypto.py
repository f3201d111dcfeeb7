"""AES-256-GCM for PHI columns, with a key ring for rotation and a keyed blind index.

A stored value reads ``v1:<key id>:<base64(nonce || ciphertext || tag)>``. The key id is
derived from the key itself, so retired keys listed in ``PHI_ENCRYPTION_OLD_KEYS`` stay
readable without any extra configuration, and the re-encryption command can tell which
rows still use an old key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "v1"
NONCE_BYTES = 12


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
    if len(key) != 32:
        raise ImproperlyConfigured(f"{setting} must decode to exactly 32 bytes.")
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"healthlink-phi-key-id:" + key).hexdigest()[:8]


def generate_key() -> str:
    return base64.b64encode(os.urandom(32)).decode("ascii")


@lru_cache(maxsize=8)
def _ring(current: str, old: tuple[str, ...]) -> KeyRing:
    if not current:
        raise ImproperlyConfigured("PHI_ENCRYPTION_KEY is not set.")
    current_key = decode_key(current, "PHI_ENCRYPTION_KEY")
    keys = {key_id(current_key): current_key}
    for encoded in old:
        old_key = decode_key(encoded, "PHI_ENCRYPTION_OLD_KEYS")
        keys.setdefault(key_id(old_key), old_key)
    return KeyRing(current_id=key_id(current_key), keys=keys)


def key_ring() -> KeyRing:
    return _ring(settings.PHI_ENCRYPTION_KEY, tuple(settings.PHI_ENCRYPTION_OLD_KEYS))


def encrypt(plaintext: str) -> str:
    ring = key_ring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(ring.current).encrypt(nonce, plaintext.encode("utf-8"), None)
    payload = base64.b64encode(nonce + sealed).decode("ascii")
    return f"{PREFIX}:{ring.current_id}:{payload}"


def stored_key_id(stored: str) -> str:
    """The key id a stored value was sealed with; raises if it is not our format."""
    parts = stored.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecryptionError("stored value is not in the encrypted format")
    return parts[1]


def decrypt(stored: str) -> str:
    kid = stored_key_id(stored)
    key = key_ring().keys.get(kid)
    if key is None:
        raise DecryptionError(f"no key with id {kid} is configured")
    try:
        raw = base64.b64decode(stored.split(":", 2)[2], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("stored value is not valid base64") from exc
    if len(raw) <= NONCE_BYTES:
        raise DecryptionError("stored value is truncated")
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], None)
    except InvalidTag as exc:
        raise DecryptionError("stored value failed authentication") from exc
    return plain.decode("utf-8")


def is_current(stored: str) -> bool:
    return stored_key_id(stored) == key_ring().current_id


@lru_cache(maxsize=4)
def _blind_key(encoded: str) -> bytes:
    if not encoded:
        raise ImproperlyConfigured("PHI_BLIND_INDEX_KEY is not set.")
    return decode_key(encoded, "PHI_BLIND_INDEX_KEY")


def blind_index(normalized: str, *, purpose: str) -> str:
    """Keyed HMAC of an already-normalized value, for equality lookups and UNIQUE."""
    key = _blind_key(settings.PHI_BLIND_INDEX_KEY)
    message = f"{purpose}:{normalized}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
