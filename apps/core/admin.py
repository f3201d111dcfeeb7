"""Building blocks for the platform owners' admin screens, shared by every app's admin.py."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.http import HttpRequest

from apps.core.fields import EncryptedTextField

M = TypeVar("M", bound=models.Model)


def encrypted_field_names(model: type[models.Model]) -> tuple[str, ...]:
    """The PHI columns of a model: every field stored with AES-256-GCM."""
    return tuple(
        field.name for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    )


def select_related_without_phi(
    queryset: models.QuerySet[M], *relations: str
) -> models.QuerySet[M]:
    """Join the related rows a list shows, but leave their PHI columns unread.

    A changelist prints users and records by their str(), which holds no PHI; loading the
    encrypted columns would only decrypt data nobody asked to see.
    """
    deferred: list[str] = []
    for relation in relations:
        related: type[models.Model] = queryset.model
        for part in relation.split("__"):
            related = cast(type[models.Model], related._meta.get_field(part).related_model)
        deferred.extend(f"{relation}__{name}" for name in encrypted_field_names(related))
    return queryset.select_related(*relations).defer(*deferred)


class PhiDeferringChangeList(ChangeList):
    """A changelist never lists encrypted columns, so it never loads or decrypts them."""

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: Any = None
    ) -> models.QuerySet[Any]:
        queryset = super().get_queryset(request, exclude_parameters)
        phi = encrypted_field_names(self.model)
        return queryset.defer(*phi) if phi else queryset


class HealthLinkModelAdmin(admin.ModelAdmin):
    """Base admin: no hard deletes, no lookups on encrypted columns, PHI left out of lists.

    Rows are removed through their domain's services (soft delete, cancellation, refund),
    never by the admin's bulk delete, which would bypass audit rows and history.
    """

    list_per_page = 50
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return PhiDeferringChangeList

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        # Ciphertext cannot be compared, and `?cnic__isnull=` would still leak who has one.
        first = lookup.split("__", 1)[0]
        if first in encrypted_field_names(self.model) or first.endswith("blind_index"):
            return False
        return bool(super().lookup_allowed(lookup, value, request))


class ReadOnlyAdminMixin:
    """For rows that only services write: the admin may look, never add or edit."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    show_change_link = False
