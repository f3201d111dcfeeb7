"""Payments for consultations, and the disputes patients raise about them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from apps.core.models import CreatedAtModel, TimestampedModel, choices_check


class PaymentMethod(models.TextChoices):
    CREDIT_CARD = "CREDIT_CARD", _("Card (through JazzCash)")
    JAZZCASH = "JAZZCASH", _("JazzCash mobile wallet")
    WALLET = "WALLET", _("HealthLink wallet")


# Paid through JazzCash's gateway: these have a transaction id there and refund through it.
GATEWAY_METHODS = (PaymentMethod.JAZZCASH, PaymentMethod.CREDIT_CARD)


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    COMPLETED = "COMPLETED", _("Completed")
    FAILED = "FAILED", _("Failed")
    REFUNDED = "REFUNDED", _("Refunded")
    DISPUTED = "DISPUTED", _("Disputed")


class Payment(TimestampedModel):
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="payments",
        db_index=False,
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_made",
        db_index=False,
    )
    payee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments_received",
        db_index=False,
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(max_length=10, default="PKR", db_default="PKR")
    payment_method = models.CharField(
        _("payment method"), max_length=50, choices=PaymentMethod.choices
    )
    transaction_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    status = models.CharField(
        _("status"), max_length=50, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    receipt_image_url = models.CharField(max_length=500, null=True, blank=True)
    failure_reason = models.TextField(null=True, blank=True)
    refund_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    history = HistoricalRecords(table_name="payments_history")

    class Meta:
        db_table = "payments"
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [
            models.Index(fields=["payer"], name="idx_payments_payer_id"),
            models.Index(fields=["payee"], name="idx_payments_payee_id"),
            models.Index(fields=["appointment"], name="idx_payments_appointment_id"),
            models.Index(fields=["status"], name="idx_payments_status"),
            models.Index(fields=["transaction_id"], name="idx_payments_transaction_id"),
            models.Index(fields=["payer", "status"], name="idx_payments_payer_status"),
        ]
        constraints = [
            choices_check("payment_method", PaymentMethod.values, table="payments"),
            choices_check("status", PaymentStatus.values, table="payments"),
            models.CheckConstraint(condition=models.Q(amount__gte=0),
                                   name="ck_payments_amount_not_negative"),
            models.CheckConstraint(
                condition=models.Q(refund_amount__isnull=True)
                | (
                    models.Q(refund_amount__gte=0)
                    & models.Q(refund_amount__lte=models.F("amount"))
                ),
                name="ck_payments_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment #{self.pk}"


class DisputeStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    INVESTIGATING = "INVESTIGATING", _("Investigating")
    RESOLVED = "RESOLVED", _("Resolved")
    REJECTED = "REJECTED", _("Rejected")


class PaymentDispute(CreatedAtModel):
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, related_name="dispute", db_index=False
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        db_column="raised_by",
    )
    reason = models.TextField(_("reason"))
    evidence_urls = ArrayField(models.TextField(), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=50, choices=DisputeStatus.choices, default=DisputeStatus.PENDING
    )
    resolution = models.TextField(_("resolution"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_column="resolved_by",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Not in the schema document: the payment's status when the dispute was raised, put back
    # when the dispute is rejected (or resolved without refunding the whole payment).
    payment_status_before = models.CharField(
        max_length=50, choices=PaymentStatus.choices, null=True, blank=True, editable=False
    )

    history = HistoricalRecords(table_name="payment_disputes_history")

    class Meta:
        db_table = "payment_disputes"
        verbose_name = _("payment dispute")
        verbose_name_plural = _("payment disputes")
        indexes = [
            models.Index(fields=["payment"], name="idx_payment_disputes_payment_id"),
            models.Index(fields=["status"], name="idx_payment_disputes_status"),
        ]
        constraints = [
            choices_check("status", DisputeStatus.values, table="payment_disputes"),
            choices_check("payment_status_before", PaymentStatus.values,
                          table="payment_disputes"),
        ]

    def __str__(self) -> str:
        return f"Dispute #{self.pk}"


class PaymentDisputeHistory(CreatedAtModel):
    """Every status change of a dispute: who moved it, from what, to what, and why."""

    dispute = models.ForeignKey(
        PaymentDispute, on_delete=models.PROTECT, related_name="status_changes"
    )
    from_status = models.CharField(
        max_length=50, choices=DisputeStatus.choices, null=True, blank=True
    )
    to_status = models.CharField(max_length=50, choices=DisputeStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        db_column="changed_by",
    )
    note = models.TextField(null=True, blank=True)

    class Meta:
        db_table = "payment_dispute_history"
        verbose_name = _("dispute status change")
        verbose_name_plural = _("dispute status changes")
        ordering = ["created_at", "id"]
        constraints = [
            choices_check("from_status", DisputeStatus.values, table="payment_dispute_history"),
            choices_check("to_status", DisputeStatus.values, table="payment_dispute_history"),
        ]


# --- Wallet and refunds ---------------------------------------------------------


class WalletEntryType(models.TextChoices):
    CREDIT = "CREDIT", _("Credit")
    DEBIT = "DEBIT", _("Debit")


class WalletReason(models.TextChoices):
    REFUND = "REFUND", _("Refund")
    PAYMENT = "PAYMENT", _("Payment for a consultation")
    ADJUSTMENT = "ADJUSTMENT", _("Adjustment by HealthLink")


class WalletEntry(CreatedAtModel):
    """One line of a user's wallet ledger; the newest line's balance_after is the balance.

    Lines are only ever added, under a lock on the user's row, so balance_after is the
    running total and the CHECK keeps it from going below zero.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet_entries",
        db_index=False,
    )
    entry_type = models.CharField(_("type"), max_length=10, choices=WalletEntryType.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=20, choices=WalletReason.choices)
    # A ledger line outlives the payment it paid or refunded: when the retention job
    # deletes old payments the line stays, unlinked, so the running balance holds.
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="wallet_entries",
    )
    refund = models.ForeignKey(
        "payments.Refund", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="wallet_entries",
    )
    note = models.CharField(_("note"), max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", db_column="created_by",
    )

    class Meta:
        db_table = "wallet_entries"
        verbose_name = _("wallet entry")
        verbose_name_plural = _("wallet entries")
        ordering = ["-id"]
        indexes = [
            # The ledger page and the balance read the newest lines of one user.
            models.Index(fields=["user", "-id"], name="idx_wallet_entries_user_newest"),
            models.Index(fields=["user", "created_at"], name="idx_wallet_entries_user_time"),
        ]
        constraints = [
            choices_check("entry_type", WalletEntryType.values, table="wallet_entries"),
            choices_check("reason", WalletReason.values, table="wallet_entries"),
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="ck_wallet_entries_amount_positive"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0),
                                   name="ck_wallet_entries_balance_not_negative"),
            # A payment is debited from a wallet once; a refund is credited once.
            models.UniqueConstraint(
                fields=["payment", "entry_type"], condition=models.Q(refund__isnull=True)
                & models.Q(payment__isnull=False),
                name="uniq_wallet_entries_payment_type",
            ),
            models.UniqueConstraint(
                fields=["refund"], condition=models.Q(refund__isnull=False),
                name="uniq_wallet_entries_refund",
            ),
        ]

    def __str__(self) -> str:
        return f"Wallet entry #{self.pk}"


class RefundDestination(models.TextChoices):
    SOURCE = "SOURCE", _("Original payment method")
    WALLET = "WALLET", _("HealthLink wallet")


class RefundStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    COMPLETED = "COMPLETED", _("Completed")
    FAILED = "FAILED", _("Failed")


class Refund(CreatedAtModel):
    """Money going back to a payer, in full or in part.

    The sum of a payment's non-failed refunds never exceeds its amount: every refund is
    written under a lock on the payment row, which counts the ones before it.
    """

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    destination = models.CharField(
        _("refund to"), max_length=10, choices=RefundDestination.choices
    )
    status = models.CharField(
        _("status"), max_length=10, choices=RefundStatus.choices,
        default=RefundStatus.PENDING,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        db_column="actor_id",
    )
    reason = models.CharField(_("reason"), max_length=255)
    dispute = models.ForeignKey(
        PaymentDispute, on_delete=models.PROTECT, null=True, blank=True,
        related_name="refunds",
    )
    gateway_response_code = models.CharField(max_length=20, blank=True, default="")
    # Set, and committed, just before the gateway is called: a refund with this set is
    # never sent again automatically, so a crash between the call and its answer cannot
    # refund twice (such a row needs a person or a status inquiry to settle it).
    gateway_sent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "refunds"
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status"], name="idx_refunds_status"),
        ]
        constraints = [
            choices_check("destination", RefundDestination.values, table="refunds"),
            choices_check("status", RefundStatus.values, table="refunds"),
            models.CheckConstraint(condition=models.Q(amount__gt=0),
                                   name="ck_refunds_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund #{self.pk}"


class RefundPreference(models.Model):
    """Where a patient wants refunds to go when someone else cancels their appointment."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="refund_preference",
    )
    destination = models.CharField(
        _("refund to"), max_length=10, choices=RefundDestination.choices,
        default=RefundDestination.WALLET,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "refund_preferences"
        verbose_name = _("refund preference")
        verbose_name_plural = _("refund preferences")
        constraints = [
            choices_check("destination", RefundDestination.values, table="refund_preferences"),
        ]

    def __str__(self) -> str:
        return f"Refund preference #{self.pk}"
