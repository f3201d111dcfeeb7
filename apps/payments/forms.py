from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.payments.models import PaymentMethod


class CheckoutForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Pay with"),
        choices=[
            (PaymentMethod.JAZZCASH.value, _("JazzCash mobile wallet")),
            (PaymentMethod.CREDIT_CARD.value, _("Debit or credit card (through JazzCash)")),
        ],
        widget=forms.RadioSelect,
        initial=PaymentMethod.JAZZCASH.value,
    )


class SimulatorDecisionForm(forms.Form):
    token = forms.CharField(max_length=64)
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("decline", "decline"),
                                          ("pending", "pending")])
