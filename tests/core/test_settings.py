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


def manage_check(**overrides: str) -> subprocess.CompletedProcess[str]:
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
    done = manage_check(**{missing: ""})
    output = done.stdout + done.stderr

    assert done.returncode != 0
    assert "ImproperlyConfigured" in output
    assert f"{missing} " in output
    assert "must be set when DEBUG is off" in output


@pytest.mark.parametrize("missing", SECRETS)
def test_the_refusal_prints_no_secret_value(missing: str) -> None:
    done = manage_check(**{missing: ""})
    output = done.stdout + done.stderr

    assert done.returncode != 0
    for value in (SECRET_KEY, PHI_KEY, BLIND_KEY):
        assert value not in output
