"""With DEBUG off the project refuses to start without its secrets, and says which one.

Each case runs `manage.py check` in a fresh process, as a deployment would start it: the
settings module is read once per process, so this cannot be tested inside the suite's own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SECRET_KEY = "settings-test-secret-key-value-0123456789abcdefghijklmnop"  # noqa: S105
PHI_KEY = "dGVzdC1vbmx5LXBoaS1lbmNyeXB0aW9uLWtleS0zMmI="  # base64 of 32 test bytes
BLIND_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0wMDAwMDA="


def manage_check(
    *, drop: tuple[str, ...] = (), **overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"HEALTHLINK_TESTING", "DJANGO_SETTINGS_MODULE"}
        and not name.startswith(("PHI_", "SECRET_KEY", "PYTEST_"))
    }
    env.update(
        DEBUG="0",
        # Unreachable on purpose: `check` reads these settings but connects to neither, and
        # the embedded servers must not start for this test.
        DATABASE_URL="postgres://nobody@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
        # Empty values win over .env and var/dev-keys.env, which settings.py reads without
        # overwriting what the environment already holds.
        SECRET_KEY=SECRET_KEY,
        PHI_ENCRYPTION_KEY=PHI_KEY,
        PHI_BLIND_INDEX_KEY=BLIND_KEY,
    )
    env.update(overrides)
    for name in drop:
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_passes_when_every_secret_is_set() -> None:
    done = manage_check()

    assert done.returncode == 0, done.stderr


SECRETS = ["SECRET_KEY", "PHI_ENCRYPTION_KEY", "PHI_BLIND_INDEX_KEY"]


@pytest.mark.parametrize("missing", SECRETS)
def test_it_refuses_to_start_without_a_secret_and_names_it(missing: str) -> None:
    done = manage_check(**{missing: ""})  # type: ignore[arg-type]
    output = done.stdout + done.stderr

    assert done.returncode != 0
    assert "ImproperlyConfigured" in output
    assert f"{missing} " in output
    assert "must be set when DEBUG is off" in output


@pytest.mark.parametrize("missing", SECRETS)
def test_the_refusal_prints_no_secret_value(missing: str) -> None:
    done = manage_check(**{missing: ""})  # type: ignore[arg-type]
    output = done.stdout + done.stderr

    assert done.returncode != 0
    for value in (SECRET_KEY, PHI_KEY, BLIND_KEY):
        assert value not in output


@pytest.mark.parametrize(
    "name, value",
    [
        ("PHI_ENCRYPTION_KEY", "not base64 at all"),
        ("PHI_BLIND_INDEX_KEY", "c2hvcnQ="),  # base64 of 5 bytes
        ("PHI_ENCRYPTION_OLD_KEYS", "c2hvcnQ="),
    ],
)
def test_it_refuses_a_malformed_key_at_start_up(name: str, value: str) -> None:
    done = manage_check(**{name: value})  # type: ignore[arg-type]
    output = done.stdout + done.stderr

    assert done.returncode != 0
    assert f"{name} must be the base64 encoding of 32 random bytes" in output
    assert value not in output.replace(f"{name} must", "")


def test_it_names_only_the_missing_key() -> None:
    done = manage_check(PHI_BLIND_INDEX_KEY="")
    output = done.stdout + done.stderr

    assert "PHI_BLIND_INDEX_KEY must be set when DEBUG is off" in output
    assert "PHI_ENCRYPTION_KEY and" not in output


def test_with_debug_off_it_ignores_the_development_keys_file() -> None:
    dev_keys = REPO / "var" / "dev-keys.env"
    created = not dev_keys.exists()
    if created:
        dev_keys.parent.mkdir(exist_ok=True)
        dev_keys.write_text(f"PHI_ENCRYPTION_KEY={PHI_KEY}\nPHI_BLIND_INDEX_KEY={BLIND_KEY}\n")
    try:
        done = manage_check(drop=("PHI_ENCRYPTION_KEY", "PHI_BLIND_INDEX_KEY"))
    finally:
        if created:
            dev_keys.unlink()

    assert done.returncode != 0
    assert "must be set when DEBUG is off" in done.stdout + done.stderr
