from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_FILE = LOCALE_DIR / "ur" / "LC_MESSAGES" / "django.po"
_ENTRY = re.compile(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', re.MULTILINE)

MAIN_UI = [
    "Log in", "Log out", "Email", "Password", "Register", "Find a doctor", "My appointments",
    "Today's schedule", "Profile", "Create a patient account", "Register as a doctor",
    "The email or password is not correct.", "Resend verification email",
]


def _po_singulars() -> dict[str, str]:
    entries = {}
    for raw_id, raw_str in _ENTRY.findall(PO_FILE.read_text(encoding="utf-8")):
        msgid = "".join(ast.literal_eval(line) for line in raw_id.splitlines())
        msgstr = "".join(ast.literal_eval(line) for line in raw_str.splitlines())
        if msgid:
            entries[msgid] = msgstr
    return entries


def test_compiled_catalog_matches_the_po_file() -> None:
    """CI may lack gettext, so the committed .mo must not fall behind the .po."""
    catalog = gettext.translation("django", localedir=LOCALE_DIR, languages=["ur"])
    po = _po_singulars()

    stale = {msgid for msgid, msgstr in po.items() if catalog.gettext(msgid) != msgstr}

    assert len(po) > 100
    assert stale == set()


def test_main_interface_strings_have_urdu_translations() -> None:
    po = _po_singulars()

    missing = [msgid for msgid in MAIN_UI if not po.get(msgid)]

    assert missing == []
