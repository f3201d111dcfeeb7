"""Payments and disputes in admin: read-only; money moves only through the payment services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from apps.accounts.models import Role, User
from apps.core.admin import (
    HealthLinkModelAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    select_related_without_phi,
)
from apps.core.errors import RuleError
from apps.payments.models import (
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    Refund,
    WalletEntry,
    WalletReason,
)
from apps.payments.money import MoneyField
from apps.payments.wallet import wallet_credit, wallet_credit_check


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin, HealthLinkModelAdmin):
    list_display = ("id", "created_at", "amount", "currency", "payment_method", "status",
                    "refund_amount", "payer", "payee", "appointment_id", "transaction_id")
    list_filter = ("status", "payment_method")
    date_hierarchy = "created_at"
    search_fields = ("=id", "transaction_id", "payer__email", "payee__email")
    ordering = ("-created_at", "-id")
    list_select_related = ("payer", "payee")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Payment]:
        return select_related_without_phi(super().get_queryset(request), "payer", "payee")


class DisputeHistoryInline(ReadOnlyTabularInline):
    model = PaymentDisputeHistory
    fields = ("created_at", "from_status", "to_status", "changed_by", "note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[PaymentDisputeHistory]:
        return select_related_without_phi(super().get_queryset(request), "changed_by")


@admin.register(PaymentDispute)
class PaymentDisputeAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin, HealthLinkModelAdmin):
    list_display = ("id", "created_at", "status", "payment", "raised_by", "resolved_by",
                    "resolved_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    search_fields = ("=id", "=payment__id", "raised_by__email")
    ordering = ("-created_at", "-id")
    list_select_related = ("payment", "raised_by", "resolved_by")
    inlines = (DisputeHistoryInline,)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[PaymentDispute]:
        queryset = select_related_without_phi(
            super().get_queryset(request), "raised_by", "resolved_by"
        )
        return queryset.select_related("payment")


class WalletAdjustmentForm(forms.ModelForm):
    """A platform owner's credit to a wallet; the service writes the ledger line."""

    amount = MoneyField(label=_("amount (PKR)"))
    note = forms.CharField(label=_("note"), max_length=255,
                           help_text=_("Why the wallet is credited. No medical details."))

    class Meta:
        model = WalletEntry
        fields = ("user", "amount", "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(role=Role.PATIENT)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        # Refuse here, before save: a refusal after save_model still shows "added".
        cleaned = super().clean() or {}
        user, amount = cleaned.get("user"), cleaned.get("amount")
        if user is not None and amount is not None:
            try:
                wallet_credit_check(user_id=user.pk, amount=amount)
            except RuleError as exc:
                self.add_error("amount", str(exc.message))
        return cleaned

    def _post_clean(self) -> None:
        # The ledger line is the service's to build (balance_after under the user's lock).
        pass


@admin.register(WalletEntry)
class WalletEntryAdmin(HealthLinkModelAdmin):
    """Ledger lines are read-only; platform owners may add an ADJUSTMENT credit."""

    list_display = ("id", "created_at", "user", "entry_type", "amount", "balance_after",
                    "reason", "payment", "refund", "created_by")
    list_filter = ("entry_type", "reason")
    search_fields = ("=id", "=user__id", "=payment__id")
    ordering = ("-id",)
    list_select_related = ("payment", "refund")
    raw_id_fields = ("user",)
    form = WalletAdjustmentForm

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[WalletEntry]:
        return select_related_without_phi(super().get_queryset(request), "user", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_superuser", False))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: WalletEntry, form: Any, change: bool) -> None:
        try:
            entry = wallet_credit(
                user=form.cleaned_data["user"], amount=form.cleaned_data["amount"],
                reason=WalletReason.ADJUSTMENT, note=form.cleaned_data["note"],
                created_by=request.user,  # type: ignore[arg-type]
            )
        except RuleError as exc:
            # The form checked the amount; only a credit racing this one gets here. Nothing
            # was written: say so, and let response_add skip Django's "added successfully".
            request._wallet_refused = str(exc.message)  # type: ignore[attr-defined]
            return
        obj.pk = entry.pk

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if getattr(request, "_wallet_refused", None):
            return None
        return super().log_addition(request, obj, message)

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        refused = getattr(request, "_wallet_refused", None)
        if refused:
            self.message_user(request, refused, level="error")
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, HealthLinkModelAdmin):
    list_display = ("id", "created_at", "payment", "amount", "destination", "status",
                    "gateway_response_code", "actor", "dispute", "completed_at")
    list_filter = ("status", "destination")
    search_fields = ("=id", "=payment__id")
    ordering = ("-id",)
    list_select_related = ("payment", "dispute")

    def get_queryset(self, request: HttpRequest) -> models.QuerySet[Refund]:
        return select_related_without_phi(super().get_queryset(request), "actor")
