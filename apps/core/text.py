"""Text normalization for identifiers people type: CNICs, phone and license numbers."""

from __future__ import annotations

import unicodedata


def ascii_digits(value: str) -> str:
    """Fold every Unicode decimal digit (Arabic-Indic, Urdu, full-width …) to 0-9.

    An Urdu keyboard types ۳۵۲۰۲ for 35202; both must give the same blind index, and a
    pattern such as `\\d` must never let a look-alike identifier slip past a uniqueness check.
    """
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in value)


# Bidirectional overrides and isolates reorder what a reader sees; no name needs them.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def has_visible_text(value: str) -> bool:
    """At least one letter or digit: refuses names made only of invisible or format marks."""
    return any(unicodedata.category(ch)[0] in {"L", "N"} for ch in value)


def has_bidi_controls(value: str) -> bool:
    return any(ch in _BIDI_CONTROLS for ch in value)


# Tabs and line breaks are text; every other control character (NUL, BEL, ESC, DEL, C1 …)
# is invisible on a page, dropped from PDFs, and NUL cannot be stored by PostgreSQL.
_TEXT_CONTROLS = frozenset("\t\n\r")


def has_control_characters(value: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in _TEXT_CONTROLS for ch in value)
