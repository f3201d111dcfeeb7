"""The PHI access trail in admin (read-only), and the mixin that writes to it from admin."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction
from apps.audit.services import phi_access_record
from apps.core.admin import (
    HealthLinkModelAdmin,
    encrypted_field_names,
    select_related_without_phi,
)

ADMIN_REASON = "admin"


class PhiAuditedAdminMixin:
    """Every admin page that shows or saves PHI writes a phi_access_logs row in its request.

    `phi_resource` names the resource type; showing the change form records VIEW, saving
    it records UPDATE.
    """

    phi_resource: str = ""

    def phi_present(self, obj: models.Model) -> bool:
        """Whether this object holds PHI at all; a record is PHI as a whole."""
        return True

    def phi_resource_id(self, obj: models.Model) -> Any:
        """The id the log names: the object's own, unless the resource is its owner's."""
        return obj.pk

    def phi_record(self, request: HttpRequest, resource_id: Any, action: str) -> None:
        # admin_view has let only a signed-in admin or platform owner this far.
        phi_access_record(
            actor=cast(User, request.user), action=action, resource_type=self.phi_resource,
            resource_id=int(resource_id), request=request, reason=ADMIN_REASON,
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False,
        change: bool = False, form_url: str = "", obj: models.Model | None = None,
    ) -> HttpResponse:
        # Rendered on GET and on a form with errors: either way the values are on screen.
        if obj is not None and obj.pk is not None and self.phi_present(obj):
            self.phi_record(request, self.phi_resource_id(obj), PhiAction.VIEW)
        return super().render_change_form(  # type: ignore[misc, no-any-return]
            request, context, add, change, form_url, obj
        )

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: ModelForm[Any], change: bool
    ) -> None:
        phi = encrypted_field_names(type(obj))
        had_phi = any(form.initial.get(name) for name in phi)
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if had_phi or self.phi_present(obj):
            self.phi_record(request, self.phi_resource_id(obj), PhiAction.UPDATE)


class PhiAuditedHistoryMixin(PhiAuditedAdminMixin):
    """For SimpleHistoryAdmin: the history pages print old and new values, so they are
    PHI views too, and a read-only admin never reverts to an old version."""

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        _require_numeric_id(object_id)
        response: HttpResponse = super().history_view(  # type: ignore[misc]
            request, object_id, extra_context
        )
        # simple_history's history list prints each version's changed values.
        if response.status_code == 200:
            self.phi_record(request, object_id, PhiAction.VIEW)
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        _require_numeric_id(object_id)
        _require_numeric_id(version_id)
        # simple_history reverts on POST even with view permission only; read-only stays so.
        if request.method == "POST" and not self.has_change_permission(  # type: ignore[attr-defined]
            request
        ):
            raise PermissionDenied
        response: HttpResponse = super().history_form_view(  # type: ignore[misc]
            request, object_id, version_id, extra_context
        )
        if response.status_code == 200:
            self.phi_record(request, object_id, PhiAction.VIEW)
        return response


def _require_numeric_id(value: str) -> None:
    if not value.isdigit():
        raise Http404


@admin.register(PhiAccessLog)
class PhiAccessLogAdmin(HealthLinkModelAdmin):
    """Append-only: nobody adds, edits or deletes an entry, not even a platform owner."""

    list_display = (
        "id", "created_at", "actor", "action", "resource_type", "resource_id", "reason",
        "ip_address",
    )
    list_filter = ("action", "resource_type")
    search_fields = ("=resource_id", "=actor__id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("actor",)
    fields = (*list_display, "user_agent")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[PhiAccessLog]:
        return select_related_without_phi(super().get_queryset(request), "actor")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

