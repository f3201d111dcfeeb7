"""Users in Django admin: verify doctors, soft-delete and restore, set passwords.

Django admin itself is open to ADMIN and PLATFORM_OWNER only: `User.is_staff` derives
from the role, and the admin site refuses everyone else at its login page.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db import models
from django.forms import ModelForm, TypedChoiceField
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from apps.accounts import admin_services
from apps.accounts.admin_forms import AdminPasswordSetForm, UserChangeForm, UserCreationForm
from apps.accounts.admin_services import BulkOutcome
from apps.accounts.models import Role, User, UserQuerySet
from apps.accounts.sessions import session_mark_login
from apps.audit.admin import PhiAuditedAdminMixin
from apps.audit.models import AdminAuditAction, PhiResource
from apps.audit.services import AdminChange, admin_events_record
from apps.core.admin import HealthLinkModelAdmin, encrypted_field_names

# The custom user has no groups or permissions: access follows the role alone.
admin.site.unregister(Group)

PHI_FIELDS = encrypted_field_names(User)


class DeletedFilter(admin.SimpleListFilter):
    title = _("deleted")
    parameter_name = "deleted"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(
        self, request: HttpRequest, queryset: models.QuerySet[Any]
    ) -> models.QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


def _skip_messages(skipped: dict[str, int]) -> list[str]:
    texts = {
        admin_services.SKIP_MISSING: lambda n: ngettext(
            "%(count)d selected user no longer exists.",
            "%(count)d selected users no longer exist.", n),
        admin_services.SKIP_NOT_DOCTOR: lambda n: ngettext(
            "%(count)d selected user is not a doctor and was left unchanged.",
            "%(count)d selected users are not doctors and were left unchanged.", n),
        admin_services.SKIP_ALREADY_VERIFIED: lambda n: ngettext(
            "%(count)d doctor was already verified.",
            "%(count)d doctors were already verified.", n),
        admin_services.SKIP_NO_LICENSE: lambda n: ngettext(
            "%(count)d doctor has no PMDC license number on file and was not verified.",
            "%(count)d doctors have no PMDC license number on file and were not verified.", n),
        admin_services.SKIP_SELF: lambda n: ngettext(
            "You cannot delete your own account; it was left unchanged.",
            "You cannot delete your own account; it was left unchanged.", n),
        admin_services.SKIP_PLATFORM_OWNER: lambda n: ngettext(
            "%(count)d platform owner account was left unchanged: only a platform owner "
            "may change it.",
            "%(count)d platform owner accounts were left unchanged: only a platform owner "
            "may change them.", n),
        admin_services.SKIP_ALREADY_DELETED: lambda n: ngettext(
            "%(count)d user was already deleted.",
            "%(count)d users were already deleted.", n),
        admin_services.SKIP_NOT_DELETED: lambda n: ngettext(
            "%(count)d user was not deleted, so there was nothing to restore.",
            "%(count)d users were not deleted, so there was nothing to restore.", n),
        admin_services.SKIP_ERASED: lambda n: ngettext(
            "%(count)d user was already erased and cannot be restored.",
            "%(count)d users were already erased and cannot be restored.", n),
    }
    return [texts[reason](count) % {"count": count} for reason, count in skipped.items()]


@admin.register(User)
class UserAdmin(PhiAuditedAdminMixin, DjangoUserAdmin, HealthLinkModelAdmin):
    phi_resource = PhiResource.PATIENT_PROFILE

    form = UserChangeForm
    add_form = UserCreationForm
    add_form_template = "admin/accounts/user/add_form.html"

    list_display = (
        "id", "email", "name", "role", "is_verified", "pmdc_verified", "is_deleted",
        "created_at",
    )
    list_display_links = ("id", "email")
    list_filter = ("role", "pmdc_verified", "is_verified", DeletedFilter)
    # Encrypted columns hold ciphertext with a random nonce: they cannot be searched.
    search_fields = ("email", "name")
    ordering = ("-created_at", "-id")
    filter_horizontal = ()
    readonly_fields = ("deleted_at", "tokens_revoked_at", "last_login", "created_at",
                       "updated_at")
    actions = ("verify_pmdc", "soft_delete", "restore", "force_logout")
    change_password_form = AdminPasswordSetForm

    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Account"), {"fields": ("name", "role", "is_verified", "time_zone")}),
        (_("Personal details"), {"fields": ("address", "date_of_birth", "gender")}),
        (_("Protected health information"), {
            "description": _("Opening and saving this page is recorded in the PHI access "
                             "log."),
            "fields": (*PHI_FIELDS, "blood_type"),
        }),
        (_("Doctor"), {"fields": ("specialty", "license_number", "pmdc_license_number",
                                  "pmdc_verified", "years_of_experience",
                                  "consultation_fee")}),
        (_("Staff"), {"fields": ("facility", "position")}),
        (_("Organization"), {"fields": ("org_number", "org_type", "tax_id")}),
        (_("Status"), {"fields": ("deleted_at", "tokens_revoked_at", "last_login",
                                  "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "name", "role", "password1", "password2"),
        }),
    )

    def get_queryset(self, request: HttpRequest) -> UserQuerySet:
        # Soft-deleted users stay listed here, so that they can be found and restored.
        return User.all_objects.get_queryset().order_by(*self.get_ordering(request))

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        password_set = request.method == "POST" and response.status_code == 302
        if password_set and str(request.user.pk) == str(id):
            # The new password revoked sessions issued before it; the admin's own stays.
            session_mark_login(request)
        return response

    @admin.display(boolean=True, description=_("deleted"), ordering="deleted_at")
    def is_deleted(self, obj: User) -> bool:
        return obj.deleted_at is not None

    def phi_present(self, obj: models.Model) -> bool:
        return any(getattr(obj, name) for name in PHI_FIELDS)

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: ModelForm[Any], change: bool
    ) -> None:
        # changeform_view runs in a transaction: the row stays locked from here to the event.
        audited = admin_services.AUDITED_FIELDS if change else ("role",)
        before = (
            User.all_objects.select_for_update().filter(pk=obj.pk).values(*audited).get()
            if change else dict.fromkeys(audited)
        )
        super().save_model(request, obj, form, change)
        admin_events_record(
            actor=_actor(request),
            action=AdminAuditAction.USER_CHANGE if change else AdminAuditAction.USER_CREATE,
            changes=[AdminChange(obj.pk, name, before[name], getattr(obj, name))
                     for name in audited],
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not admin_services.admin_may_manage(_actor(request), obj):
            return False
        return bool(super().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # soft delete only, through the action

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        # Verification goes through the "Verify PMDC license" action and its service, which
        # checks the account is a doctor and logs who verified whom.
        return (*fields, "pmdc_verified") if obj is not None else fields

    def formfield_for_choice_field(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> TypedChoiceField | None:
        if db_field.name == "role" and _actor(request).role != Role.PLATFORM_OWNER:
            # Only a platform owner makes another platform owner.
            kwargs["choices"] = [("", "---------")] + [
                choice for choice in Role.choices if choice[0] != Role.PLATFORM_OWNER
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    @admin.action(description=_("Verify PMDC license"), permissions=("change",))
    def verify_pmdc(self, request: HttpRequest, queryset: UserQuerySet) -> None:
        outcome = admin_services.user_verify_pmdc(
            actor=_actor(request), user_ids=queryset.values_list("pk", flat=True)
        )
        done = ngettext(
            "Verified the PMDC license of %(count)d doctor.",
            "Verified the PMDC licenses of %(count)d doctors.", outcome.changed,
        )
        self._report(request, outcome, done, _("Verified the PMDC license."))

    @admin.action(description=_("Soft-delete selected users"), permissions=("change",))
    def soft_delete(self, request: HttpRequest, queryset: UserQuerySet) -> None:
        outcome = admin_services.user_soft_delete(
            actor=_actor(request), user_ids=queryset.values_list("pk", flat=True)
        )
        done = ngettext(
            "Soft-deleted %(count)d user; they can no longer log in.",
            "Soft-deleted %(count)d users; they can no longer log in.", outcome.changed,
        )
        self._report(request, outcome, done, _("Soft-deleted."))

    @admin.action(description=_("Restore selected users"), permissions=("change",))
    def restore(self, request: HttpRequest, queryset: UserQuerySet) -> None:
        outcome = admin_services.user_restore(
            actor=_actor(request), user_ids=queryset.values_list("pk", flat=True)
        )
        done = ngettext(
            "Restored %(count)d user.", "Restored %(count)d users.", outcome.changed,
        )
        self._report(request, outcome, done, _("Restored."))

    @admin.action(description=_("Log out everywhere"), permissions=("change",))
    def force_logout(self, request: HttpRequest, queryset: UserQuerySet) -> None:
        outcome = admin_services.user_force_logout(
            actor=_actor(request), user_ids=queryset.values_list("pk", flat=True)
        )
        done = ngettext(
            "Logged %(count)d user out of every session and app.",
            "Logged %(count)d users out of every session and app.", outcome.changed,
        )
        self._report(request, outcome, done, _("Logged out everywhere."))

    def _report(
        self, request: HttpRequest, outcome: BulkOutcome, done: str, log_message: Any
    ) -> None:
        if outcome.changed:
            LogEntry.objects.log_actions(
                user_id=_actor(request).pk,
                queryset=User.all_objects.filter(pk__in=outcome.changed_ids).only("pk", "role"),
                action_flag=CHANGE,
                change_message=str(log_message),
            )
            self.message_user(request, done % {"count": outcome.changed}, messages.SUCCESS)
        elif not outcome.skipped:
            self.message_user(request, _("Nothing was changed."), messages.INFO)
        for text in _skip_messages(outcome.skipped):
            self.message_user(request, text, messages.WARNING)


def _actor(request: HttpRequest) -> User:
    # admin_view lets only a signed-in admin or platform owner reach these methods.
    return cast(User, request.user)
