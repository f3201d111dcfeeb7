"""Payments and disputes in admin: read-only; money moves only through the payment services."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import (
    HealthLinkModelAdmin,
    ReadOnlyAdminMixin,
    ReadOnlyTabularInline,
    select_related_without_phi,
)
from apps.payments.models import Payment, PaymentDispute, PaymentDisputeHistory


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
