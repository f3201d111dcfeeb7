"""The PHI access trail in admin (read-only), and the mixin that writes to it from admin."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse

from apps.accounts.models import User
from apps.audit.models import AdminAuditEvent, PhiAccessLog, PhiAction
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
    it records UPDATE. `phi_patient` names whose PHI it is: by default the object's
    `patient`, which records, prescriptions and family history all have; override it for
    other shapes.
    """

    phi_resource: str = ""

    def phi_present(self, obj: models.Model) -> bool:
        """Whether this object holds PHI at all; a record is PHI as a whole."""
        return True

    def phi_resource_id(self, obj: models.Model) -> Any:
        """The id the log names: the object's own, unless the resource is its owner's."""
        return obj.pk

    def phi_patient(self, obj: models.Model) -> int | None:
        """The id of the patient whose PHI `obj` is, for "who accessed my data"."""
        patient_id = getattr(obj, "patient_id", None)
        return int(patient_id) if patient_id is not None else None

    def phi_patient_of(self, object_id: Any) -> int | None:
        """The same for a page that has only the id (the history pages)."""
        model: type[models.Model] = self.model  # type: ignore[attr-defined]
        if not any(field.name == "patient" for field in model._meta.concrete_fields):
            return None
        patient_id = (
            model._default_manager.filter(pk=object_id)
            .values_list("patient_id", flat=True).first()
        )
        return int(patient_id) if patient_id is not None else None

    def phi_record(
        self, request: HttpRequest, resource_id: Any, action: str, *,
        patient: int | None = None,
    ) -> None:
        # admin_view has let only a signed-in admin or platform owner this far.
        phi_access_record(
            actor=cast(User, request.user), action=action, resource_type=self.phi_resource,
            resource_id=int(resource_id), patient=patient, request=request,
            reason=ADMIN_REASON,
        )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], add: bool = False,
        change: bool = False, form_url: str = "", obj: models.Model | None = None,
    ) -> HttpResponse:
        # Rendered on GET and on a form with errors: either way the values are on screen.
        if obj is not None and obj.pk is not None and self.phi_present(obj):
            self.phi_record(request, self.phi_resource_id(obj), PhiAction.VIEW,
                            patient=self.phi_patient(obj))
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
            self.phi_record(request, self.phi_resource_id(obj), PhiAction.UPDATE,
                            patient=self.phi_patient(obj))


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
            self.phi_record(request, object_id, PhiAction.VIEW,
                            patient=self.phi_patient_of(object_id))
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
            self.phi_record(request, object_id, PhiAction.VIEW,
                            patient=self.phi_patient_of(object_id))
        return response


def _require_numeric_id(value: str) -> None:
    if not value.isdigit():
        raise Http404


class AppendOnlyAdmin(HealthLinkModelAdmin):
    """Nobody adds, edits or deletes an entry here, not even a platform owner."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PhiAccessLog)
class PhiAccessLogAdmin(AppendOnlyAdmin):
    list_display = (
        "id", "created_at", "actor", "patient", "action", "resource_type", "resource_id",
        "reason", "refused", "break_glass", "ip_address",
    )
    list_filter = ("action", "resource_type", "refused", "break_glass")
    search_fields = ("=resource_id", "=actor__id", "=patient__id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("actor", "patient")
    fields = (*list_display, "user_agent", "chain_seq", "prev_hash", "row_hash")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[PhiAccessLog]:
        return select_related_without_phi(super().get_queryset(request), "actor", "patient")


@admin.register(AdminAuditEvent)
class AdminAuditEventAdmin(AppendOnlyAdmin):
    list_display = ("id", "created_at", "actor", "target", "action", "field", "old_value",
                    "new_value")
    list_filter = ("action", "field")
    search_fields = ("=target__id", "=actor__id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_select_related = ("actor", "target")
    fields = list_display

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[AdminAuditEvent]:
        return select_related_without_phi(super().get_queryset(request), "actor", "target")
