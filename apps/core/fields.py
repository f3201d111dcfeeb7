"""Model fields for PHI: values are sealed with AES-256-GCM before they reach the database."""

from __future__ import annotations

from typing import Any

from django.db import models

from apps.core import crypto


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column whose value is encrypted at rest.

    The column is TEXT even where the schema documents VARCHAR(50): ciphertext with its
    nonce, tag and key id is longer than the plaintext it protects. Lookups other than
    ``isnull`` are meaningless on ciphertext; use a blind index column for equality.
    """

    description = "Text encrypted with AES-256-GCM"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return crypto.decrypt(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value))
