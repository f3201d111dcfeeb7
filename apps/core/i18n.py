"""Which language to write in for a given person, when they are not the one asking.

A notification, reminder or email reaches its recipient later, often by email or SMS, so
it is written in the recipient's language (users.language, their last choice in the
language switcher), never in the language of whoever caused it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from django.conf import settings
from django.utils import translation


def language_code_or_default(code: str | None) -> str:
    """`code` if the site offers it (a regional variant counts as its base), else the default."""
    offered = {language for language, _name in settings.LANGUAGES}
    if code:
        if code in offered:
            return code
        base = code.split("-", 1)[0].lower()
        if base in offered:
            return base
    return str(settings.LANGUAGE_CODE)


def language_of(user: Any) -> str:
    return language_code_or_default(getattr(user, "language", None))


def in_language_of(user: Any) -> AbstractContextManager[None]:
    """Activate the user's language for the block: `with in_language_of(doctor): ...`."""
    return translation.override(language_of(user))
