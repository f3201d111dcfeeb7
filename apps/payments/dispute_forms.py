"""Forms of receipts, disputes and the back office: they parse; the services decide."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.uploads import MultipleFileInput, UploadsField
from apps.payments import dispute_services
from apps.payments.models import DisputeStatus
from apps.payments.money import MoneyField

ACCEPT = ".pdf,.png,.jpg,.jpeg"


class ReceiptForm(forms.Form):
    receipt = UploadsField(
        label=_("Receipt (PDF, PNG or JPEG)"), max_count=1,
        max_bytes=dispute_services.max_bytes,
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class DisputeForm(forms.Form):
    reason = forms.CharField(
        label=_("What is wrong with this payment?"),
        max_length=dispute_services.REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5}),
    )
    evidence = UploadsField(
        label=_("Evidence (PDF, PNG or JPEG)"), required=False, max_count=1,
        max_bytes=dispute_services.max_bytes,
        widget=MultipleFileInput(attrs={"accept": ACCEPT}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(UploadsField, self.fields["evidence"])
        field.max_count = dispute_services.max_evidence()
        limit_mb = round(dispute_services.max_bytes() / (1024 * 1024), 1)
        field.help_text = _("Up to %(count)s files of at most %(limit)s MB each.") % {
            "count": field.max_count, "limit": limit_mb,
        }


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Any status")), *DisputeStatus.choices],
    )
    older_than_days = forms.IntegerField(
        label=_("Raised more than (days) ago"), required=False, min_value=1, max_value=3650,
    )


class ActionForm(forms.Form):
    INVESTIGATE, RESOLVE, REJECT = "investigate", "resolve", "reject"

    action = forms.ChoiceField(choices=[(INVESTIGATE, INVESTIGATE), (RESOLVE, RESOLVE),
                                        (REJECT, REJECT)], widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Notes"), required=False, max_length=dispute_services.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # 0.00 (or empty) is for closing a dispute on a payment refunded in full already.
    refund_amount = MoneyField(label=_("Refund amount (PKR)"), required=False,
                               min_value=Decimal("0"))
    destination = forms.ChoiceField(
        label=_("Refund to"), required=False,
        choices=[("SOURCE", _("The original payment method")),
                 ("WALLET", _("The patient's HealthLink wallet"))],
    )
