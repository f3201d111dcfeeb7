"""Write development-only keys to a file once; an existing file is left alone.

`make run` calls this for var/dev-keys.env, which settings.py reads. Real deployments set
SECRET_KEY, PHI_ENCRYPTION_KEY, PHI_BLIND_INDEX_KEY and AUDIT_CHAIN_KEY in the environment
instead.
"""

from __future__ import annotations

import base64
import datetime
import os
import secrets
import sys
from pathlib import Path


def _aes_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def add_missing_keys(path: Path) -> list[str]:
    """Append keys added to the project since `path` was made; existing ones stay as they are.

    Only keys whose loss costs nothing yet: a new audit chain key starts a fresh chain.
    """
    present = {line.split("=", 1)[0].strip() for line in path.read_text().splitlines()}
    added = [name for name in ("AUDIT_CHAIN_KEY",) if name not in present]
    if added:
        with path.open("a") as handle:
            handle.writelines(f"{name}={_aes_key()}\n" for name in added)
    return added


def write_dev_keys(path: Path) -> bool:
    """Create `path` with fresh keys unless it exists; return whether it was created."""
    if path.exists():
        add_missing_keys(path)
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    created = datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"# Development-only keys made by `make run` on {created}. Never deploy them.",
        "# Deleting this file makes PHI stored under var/ unreadable.",
        f"SECRET_KEY={secrets.token_urlsafe(50)}",
        f"PHI_ENCRYPTION_KEY={_aes_key()}",
        f"PHI_BLIND_INDEX_KEY={_aes_key()}",
        f"AUDIT_CHAIN_KEY={_aes_key()}",
    ]
    # O_EXCL: two concurrent makes cannot both write (and one overwrite the other's keys).
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return True


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python scripts/dev_keys.py PATH", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if write_dev_keys(path):
        print(f"Created development keys in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
