"""Building blocks shared by every domain's models."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class CreatedAtModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)

    class Meta:
        abstract = True


class TimestampedModel(CreatedAtModel):
    updated_at = models.DateTimeField(auto_now=True, db_default=Now(), null=True)

    class Meta:
        abstract = True


def choices_check(field: str, choices: Iterable[str], *, table: str) -> models.CheckConstraint:
    """A database CHECK that keeps an enumerated column to its documented values."""
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__in": list(choices)}),
        name=f"ck_{table}_{field}_valid",
    )
