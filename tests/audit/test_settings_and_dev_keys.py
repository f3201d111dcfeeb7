"""AUDIT_CHAIN_KEY is required and checked at start-up; development gets one generated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_settings import REPO, manage_check


def write_dev_keys(path: Path) -> bool:
    """Run scripts/dev_keys.py as `make run` does; True when it created the file."""
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dev_keys.py"), str(path)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return "Created development keys" in done.stdout


def test_it_refuses_to_start_without_the_chain_key() -> None:
    done = manage_check(AUDIT_CHAIN_KEY="")

    assert done.returncode != 0
    assert "AUDIT_CHAIN_KEY must be set when DEBUG is off" in done.stderr


@pytest.mark.parametrize("value", ["not base64 at all", "c2hvcnQ="])
def test_it_refuses_a_malformed_chain_key(value: str) -> None:
    done = manage_check(AUDIT_CHAIN_KEY=value)

    assert done.returncode != 0
    assert "AUDIT_CHAIN_KEY must be the base64 encoding of 32 random bytes" in done.stderr
    assert value not in done.stderr.replace("AUDIT_CHAIN_KEY must", "")


def test_it_starts_with_a_chain_key_and_a_proxy_range() -> None:
    done = manage_check(TRUSTED_PROXIES="10.0.0.0/8, 192.0.2.7")

    assert done.returncode == 0, done.stderr


def test_new_development_keys_include_the_chain_key(tmp_path: Path) -> None:
    path = tmp_path / "dev-keys.env"

    assert write_dev_keys(path)

    names = [line.split("=", 1)[0] for line in path.read_text().splitlines()
             if not line.startswith("#")]
    assert names == ["SECRET_KEY", "PHI_ENCRYPTION_KEY", "PHI_BLIND_INDEX_KEY",
                     "AUDIT_CHAIN_KEY"]


def test_an_older_development_keys_file_gets_the_chain_key_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    path = tmp_path / "dev-keys.env"
    path.write_text("SECRET_KEY=kept\nPHI_ENCRYPTION_KEY=kept-too\n")

    assert not write_dev_keys(path)
    first = path.read_text()
    write_dev_keys(path)

    assert first.startswith("SECRET_KEY=kept\nPHI_ENCRYPTION_KEY=kept-too\nAUDIT_CHAIN_KEY=")
    assert path.read_text() == first  # added once
