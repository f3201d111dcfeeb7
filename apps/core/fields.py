"""Model fields for PHI: values are sealed with AES-256-GCM before they reach the database."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import lookups
from django.db.models.query_utils import DeferredAttribute

from apps.core import crypto


class Sealed:
    """A ciphertext read from the database and not decrypted yet.

    Rows are decrypted column by column when the attribute is first read, so a page that
    joins a patient only for their name never decrypts (or trips over) their allergies.
    """

    __slots__ = ("stored",)

    def __init__(self, stored: str) -> None:
        self.stored = stored

    def __repr__(self) -> str:
        return "<Sealed PHI>"

    def __str__(self) -> str:
        # Reached through .values()/.values_list(), which bypass the model attribute.
        return crypto.decrypt(self.stored)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sealed) and other.stored == self.stored

    def __hash__(self) -> int:
        return hash(self.stored)


class EncryptedAttribute(DeferredAttribute):
    """Decrypts on first access and keeps the plaintext on the instance afterwards."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.unseal(value)  # type: ignore[attr-defined]
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.field.attname] = value


class EncryptedExact(lookups.Exact):
    """Only ``= None`` (which Django turns into IS NULL) makes sense on ciphertext."""

    def get_prep_lookup(self) -> Any:
        if self.rhs is not None:
            raise FieldError(
                "Encrypted columns cannot be compared by value (every value has a fresh "
                "nonce); look rows up through a blind index instead."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """A text column whose value is encrypted at rest.

    The column is TEXT even where the schema documents VARCHAR(50): ciphertext with its
    nonce, tag and key id is longer than the plaintext it protects. Only ``isnull`` (and
    ``= None``) lookups are allowed: a comparison would encrypt the operand under a new
    nonce and silently match nothing. Use a blind index column for equality and UNIQUE.

    A stored value that cannot be decrypted raises ``crypto.DecryptionError`` when the row
    is read, so it is never shown, or saved back, as if it were the plaintext.
    """

    description = "Text encrypted with AES-256-GCM"
    descriptor_class = EncryptedAttribute

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        if self.unique or self.primary_key or getattr(self, "db_index", False):
            errors.append(checks.Error(
                "An encrypted column cannot be unique or indexed: its ciphertext is random.",
                hint="Add a blind index column (crypto.blind_index) with the constraint.",
                obj=self,
                id="core.E001",
            ))
        if self.has_db_default():
            errors.append(checks.Error(
                "An encrypted column cannot have a database default: it would be plaintext.",
                obj=self,
                id="core.E002",
            ))
        return errors

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return EncryptedExact
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return None

    def get_transform(self, lookup_name: str) -> Any:
        return None

    def from_db_value(
        self, value: str | None, expression: Any, connection: Any
    ) -> Sealed | None:
        return None if value is None else Sealed(value)

    def unseal(self, sealed: Sealed) -> str:
        try:
            return crypto.decrypt(sealed.stored)
        except crypto.DecryptionError as exc:
            # Name the column (never the value) so an operator can find the damaged row.
            meta = getattr(getattr(self, "model", None), "_meta", None)
            where = f"{meta.db_table}.{self.column}" if meta else str(self.column)
            raise crypto.DecryptionError(f"{where}: {exc}") from exc

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        # Saving a row must not decrypt what nobody read: an untouched value goes back as is.
        if self.attname in model_instance.__dict__:
            return model_instance.__dict__[self.attname]
        return super().pre_save(model_instance, add)

    def to_python(self, value: Any) -> Any:
        return self.unseal(value) if isinstance(value, Sealed) else super().to_python(value)

    def get_prep_value(self, value: Any) -> str | None:
        if isinstance(value, Sealed):
            return value.stored
        value = super().get_prep_value(value)
        if value is None:
            return None
        return crypto.encrypt(str(value))

    def formfield(self, **kwargs: Any) -> Any:
        # A blank optional field stays NULL instead of becoming the ciphertext of "".
        if self.null:
            kwargs.setdefault("empty_value", None)
        return super().formfield(**kwargs)
