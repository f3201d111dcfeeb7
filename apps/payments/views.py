"""Payments pages: the patient's checkout, JazzCash's return, lists, details and receipts."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import User
from apps.core.errors import form_add_rule_error
from apps.payments import receipt_pdf, selectors, services
from apps.payments.forms import CheckoutForm
from apps.payments.models import Payment


@login_required
@require_GET
def payment_list(request: HttpRequest) -> HttpResponse:
    viewer = cast(User, request.user)
    page = selectors.payments_for_actor(actor=viewer, page=request.GET.get("page"))
    return render(request, "payments/list.html", {"page": page})


@login_required
@require_GET
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    payment = _payment_or_404(request, payment_id)
    viewer = cast(User, request.user)
    context = {
        "payment": payment,
        "can_pay": viewer.pk == payment.payer_id
        and selectors.payment_awaiting_checkout(payment),
        "has_receipt": receipt_pdf.receipt_available(payment),
    }
    return render(request, "payments/detail.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest, payment_id: int) -> HttpResponse:
    viewer = cast(User, request.user)
    payment = _payment_or_404(request, payment_id)
    if payment.payer_id != viewer.pk:
        raise Http404
    form = CheckoutForm(request.POST or None,
                        initial={"method": payment.payment_method})
    if request.method == "POST" and form.is_valid():
        try:
            fields = services.payment_checkout_start(
                actor=viewer, payment_id=payment.pk, method=form.cleaned_data["method"],
                return_url=request.build_absolute_uri(reverse("payments:jazzcash_return")),
            )
        except Payment.DoesNotExist:
            raise Http404 from None
        except services.PaymentError as exc:
            form_add_rule_error(form, exc)
        else:
            return render(request, "payments/redirect.html", {
                "action": settings.JAZZCASH_POST_URL, "fields": fields,
                "title": "JazzCash",
            })
    status = 400 if request.method == "POST" else 200
    context = {
        "payment": payment, "form": form,
        "payable": selectors.payment_awaiting_checkout(payment),
        "wallet_payable": selectors.payment_awaiting_wallet(payment),
    }
    return render(request, "payments/checkout.html", context, status=status)


@csrf_exempt  # JazzCash posts the browser back here; the secure hash is what is checked
@never_cache
@require_POST
def jazzcash_return(request: HttpRequest) -> HttpResponse:
    outcome = services.payment_callback_handle(fields=request.POST.dict())
    if not outcome.accepted:
        return render(request, "payments/result.html", {"outcome": outcome}, status=400)
    return render(request, "payments/result.html", {"outcome": outcome})


@login_required
@require_GET
def receipt(request: HttpRequest, payment_id: int) -> HttpResponse:
    try:
        payment = selectors.receipt_get_for_actor(actor=request.user, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise Http404 from None
    refusal = receipt_pdf.receipt_refusal(payment)
    if refusal is not None:  # the same rule and answer as the PDF's
        return render(request, "payments/receipt_refused.html", {"message": refusal},
                      status=409)
    return render(request, "payments/receipt.html", {"payment": payment})


def _payment_or_404(request: HttpRequest, payment_id: int) -> Payment:
    try:
        return selectors.payment_get_for_actor(actor=request.user, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise Http404 from None

