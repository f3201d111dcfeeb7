"""AES-256-GCM sealing, the key ring and the blind index, without the database."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from apps.core import crypto

PLAINTEXT = "Type 2 diabetes mellitus; HbA1c 8.1%"


@pytest.fixture
def key_a(settings: Settings) -> str:
    key = crypto.generate_key()
    settings.PHI_ENCRYPTION_KEY = key
    settings.PHI_ENCRYPTION_OLD_KEYS = []
    return key


def flip_byte(stored: str, index: int) -> str:
    prefix, kid, payload = stored.split(":", 2)
    raw = bytearray(base64.b64decode(payload))
    raw[index] ^= 0x01
    return f"{prefix}:{kid}:{base64.b64encode(bytes(raw)).decode()}"


def test_round_trip_returns_the_plaintext(key_a: str) -> None:
    for text in (PLAINTEXT, "", "ذیابیطس قسم دوم", "line one\nline two"):
        assert crypto.decrypt(crypto.encrypt(text)) == text


def test_stored_value_names_the_current_key_and_hides_the_text(key_a: str) -> None:
    stored = crypto.encrypt(PLAINTEXT)

    prefix, kid, payload = stored.split(":", 2)
    assert (prefix, kid) == ("v1", crypto.key_id(base64.b64decode(key_a)))
    assert crypto.stored_key_id(stored) == kid == crypto.key_ring().current_id
    assert "diabetes" not in stored
    assert len(base64.b64decode(payload)) == crypto.NONCE_BYTES + len(PLAINTEXT) + 16


def test_every_encryption_uses_a_fresh_nonce(key_a: str) -> None:
    first, second = crypto.encrypt(PLAINTEXT), crypto.encrypt(PLAINTEXT)

    assert first != second
    assert base64.b64decode(first.split(":")[2])[:12] != base64.b64decode(
        second.split(":")[2])[:12]


@pytest.mark.parametrize("index", [0, 11, 12, 20, -16, -1])
def test_a_flipped_byte_anywhere_raises(key_a: str, index: int) -> None:
    # 0-11 nonce, 12.. ciphertext, last 16 the authentication tag.
    tampered = flip_byte(crypto.encrypt(PLAINTEXT), index)

    with pytest.raises(crypto.DecryptionError) as caught:
        crypto.decrypt(tampered)

    assert "diabetes" not in str(caught.value)


def test_every_single_bit_flip_is_detected(key_a: str) -> None:
    stored = crypto.encrypt("short")
    length = len(base64.b64decode(stored.split(":")[2]))

    for index in range(length):
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(flip_byte(stored, index))


def test_value_sealed_under_another_key_raises(settings: Settings, key_a: str) -> None:
    stored = crypto.encrypt(PLAINTEXT)
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()

    with pytest.raises(crypto.DecryptionError, match="no key with id"):
        crypto.decrypt(stored)


def test_relabelled_key_id_fails_authentication(settings: Settings, key_a: str) -> None:
    stored = crypto.encrypt(PLAINTEXT)
    key_b = crypto.generate_key()
    settings.PHI_ENCRYPTION_KEY = key_b
    settings.PHI_ENCRYPTION_OLD_KEYS = [key_a]
    relabelled = stored.replace(crypto.stored_key_id(stored), crypto.key_ring().current_id, 1)

    with pytest.raises(crypto.DecryptionError, match="failed authentication"):
        crypto.decrypt(relabelled)


def test_old_keys_stay_readable_and_new_values_use_the_current_key(
    settings: Settings, key_a: str
) -> None:
    under_a = crypto.encrypt(PLAINTEXT)
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()
    settings.PHI_ENCRYPTION_OLD_KEYS = [key_a]

    assert crypto.decrypt(under_a) == PLAINTEXT
    assert not crypto.is_current(under_a)
    assert crypto.is_current(crypto.encrypt(PLAINTEXT))


def test_old_keys_may_be_a_comma_separated_string(settings: Settings, key_a: str) -> None:
    under_a = crypto.encrypt(PLAINTEXT)
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()
    settings.PHI_ENCRYPTION_OLD_KEYS = f"{crypto.generate_key()}, {key_a}"

    assert crypto.decrypt(under_a) == PLAINTEXT


def test_key_ring_follows_setting_changes(settings: Settings, key_a: str) -> None:
    first = crypto.key_ring().current_id
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()

    assert crypto.key_ring().current_id != first


@pytest.mark.parametrize(
    "stored",
    [
        "Hypertension",  # plaintext that never went through encrypt()
        "",
        "v2:0123abcd:AAAA",
        "v1:not-hex!:AAAA",
        "v1:0123abcd",
        "v1:{kid}:not base64!!",
        "v1:{kid}:" + base64.b64encode(b"x" * 27).decode(),  # shorter than nonce + tag
    ],
)
def test_malformed_values_raise_without_echoing_them(key_a: str, stored: str) -> None:
    value = stored.format(kid=crypto.key_ring().current_id)

    with pytest.raises(crypto.DecryptionError) as caught:
        crypto.decrypt(value)

    assert "Hypertension" not in str(caught.value)
    assert "not base64" not in str(caught.value)


def test_is_current_refuses_values_not_in_the_format(key_a: str) -> None:
    with pytest.raises(crypto.DecryptionError):
        crypto.is_current("Hypertension")


def test_encrypt_takes_text_only(key_a: str) -> None:
    with pytest.raises(TypeError):
        crypto.encrypt(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("current", "old", "message"),
    [
        ("", [], "PHI_ENCRYPTION_KEY is not set"),
        ("not base64!", [], "PHI_ENCRYPTION_KEY is not valid base64"),
        (base64.b64encode(b"k" * 16).decode(), [], "exactly 32 bytes"),  # AES-128 refused
        (base64.b64encode(b"k" * 32).decode(), ["c2hvcnQ="], "PHI_ENCRYPTION_OLD_KEYS must"),
    ],
    ids=["missing", "not-base64", "aes-128-key", "short-old-key"],
)
def test_misconfigured_keys_refuse_to_work(
    settings: Settings, current: str, old: list[str], message: str
) -> None:
    settings.PHI_ENCRYPTION_KEY = current
    settings.PHI_ENCRYPTION_OLD_KEYS = old

    with pytest.raises(ImproperlyConfigured, match=message):
        crypto.encrypt(PLAINTEXT)


def test_listing_the_current_key_as_old_is_harmless(settings: Settings, key_a: str) -> None:
    settings.PHI_ENCRYPTION_OLD_KEYS = [key_a]

    assert list(crypto.key_ring().keys) == [crypto.key_ring().current_id]


def test_keys_do_not_depend_on_secret_key(settings: Settings, key_a: str) -> None:
    stored = crypto.encrypt(PLAINTEXT)
    settings.SECRET_KEY = "a-different-secret-key-for-this-test"  # noqa: S105

    assert crypto.decrypt(stored) == PLAINTEXT


def test_generated_keys_are_random_aes_256_keys() -> None:
    first, second = crypto.generate_key(), crypto.generate_key()

    assert len(base64.b64decode(first)) == 32
    assert first != second


def test_blind_index_is_a_keyed_hmac_with_a_purpose(settings: Settings) -> None:
    key = crypto.generate_key()
    settings.PHI_BLIND_INDEX_KEY = key
    expected = hmac.new(base64.b64decode(key), b"users.cnic:3520212345671",
                        hashlib.sha256).hexdigest()

    assert crypto.blind_index("3520212345671", purpose="users.cnic") == expected
    assert crypto.blind_index("3520212345671", purpose="other") != expected
    assert expected != hashlib.sha256(b"3520212345671").hexdigest()


def test_blind_index_changes_with_its_key_only(settings: Settings) -> None:
    before = crypto.blind_index("3520212345671", purpose="users.cnic")
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()
    same = crypto.blind_index("3520212345671", purpose="users.cnic")
    settings.PHI_BLIND_INDEX_KEY = crypto.generate_key()

    assert same == before
    assert crypto.blind_index("3520212345671", purpose="users.cnic") != before


def test_blind_index_refuses_a_missing_or_shared_key(settings: Settings) -> None:
    settings.PHI_BLIND_INDEX_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="PHI_BLIND_INDEX_KEY is not set"):
        crypto.blind_index("1", purpose="p")

    settings.PHI_BLIND_INDEX_KEY = settings.PHI_ENCRYPTION_KEY
    with pytest.raises(ImproperlyConfigured, match="must differ"):
        crypto.blind_index("1", purpose="p")
