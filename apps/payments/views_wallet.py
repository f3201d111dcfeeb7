"""The wallet pages: the patient's ledger, paying a booking from it, the refund preference."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import User
from apps.core.errors import RuleError
from apps.payments import refunds, selectors, selectors_wallet, wallet
from apps.payments.forms_wallet import RefundDestinationForm
from apps.payments.models import Payment, PaymentStatus


@login_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    actor = cast(User, request.user)
    context = {
        "balance": wallet.wallet_balance(actor),
        "page": selectors_wallet.wallet_entries_page(actor=actor, page=request.GET.get("page")),
        "preference_form": RefundDestinationForm(
            initial={"destination": refunds.refund_destination_for(actor.pk, None)}
        ),
        "show_preference": actor.is_patient,
    }
    return render(request, "payments/wallet_ledger.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, payment_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    try:
        payment = selectors_wallet.payment_for_wallet_pay(actor=actor, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise Http404 from None
    error = ""
    if request.method == "POST":
        try:
            payment, paid_now = wallet.wallet_pay(actor=actor, payment_id=payment.pk)
        except Payment.DoesNotExist:
            raise Http404 from None
        except RuleError as exc:
            error = str(exc.message)
        else:
            if paid_now:
                messages.success(request, _("Paid from your HealthLink wallet."))
            else:
                messages.info(request, _("This payment was already paid from your wallet."))
            return redirect("wallet:ledger")
    context = {
        "payment": payment,
        "balance": wallet.wallet_balance(actor),
        "error": error,
        "payable": selectors.payment_awaiting_wallet(payment),
        "attempt_open": payment.status == PaymentStatus.PENDING and bool(payment.transaction_id),
    }
    return render(request, "payments/wallet_pay.html", context, status=400 if error else 200)


@login_required
@require_POST
def preference(request: HttpRequest) -> HttpResponse:
    actor = cast(User, request.user)
    if not actor.is_patient:
        raise Http404
    form = RefundDestinationForm(request.POST)
    if form.is_valid():
        refunds.refund_preference_set(user=actor, destination=form.cleaned_data["destination"])
        messages.success(request, _("Your refund preference is saved."))
    else:
        messages.error(request, _("Choose where refunds should go."))
    return redirect("wallet:ledger")
