"""Patient (and doctor) pages: receipts, raising a dispute, following it."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from apps.accounts.models import User
from apps.core.errors import form_add_rule_error
from apps.core.uploads import private_file_response
from apps.payments import dispute_selectors as selectors
from apps.payments import dispute_services as services
from apps.payments.dispute_forms import DisputeForm, ReceiptForm
from apps.payments.models import Payment, PaymentDispute


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
@never_cache
@require_GET
def payments_mine(request: HttpRequest) -> HttpResponse:
    """The patient's payments with their receipts and disputes."""
    actor = _user(request)
    if not actor.is_patient:
        raise Http404
    page = selectors.payments_of_payer(actor=actor, page=request.GET.get("page"))
    context = {"page": page, "disputable": selectors.DISPUTABLE_STATUSES}
    return render(request, "payments/disputes/mine.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def receipt_upload(request: HttpRequest, payment_id: int) -> HttpResponse:
    actor = _user(request)
    try:
        payment = selectors.payment_get_for_payer(actor=actor, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise Http404 from None
    form = ReceiptForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.payment_receipt_attach(actor=actor, payment_id=payment.pk,
                                            upload=form.cleaned_data["receipt"][0])
        except services.DisputeNotFound:
            raise Http404 from None
        except services.DisputeError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The receipt is attached."))
            return redirect("disputes:mine")
    status = 400 if form.errors else 200
    return render(request, "payments/disputes/receipt.html",
                  {"payment": payment, "form": form}, status=status)


@login_required
@never_cache
@require_GET
def receipt_download(request: HttpRequest, payment_id: int) -> HttpResponseBase:
    """The receipt, for the payer, the payee or back-office staff of the payment."""
    try:
        key = services.payment_receipt_key(actor=_user(request), payment_id=payment_id)
    except services.DisputeNotFound:
        raise Http404 from None
    return private_file_response(storage=services.payment_storage(), key=key,
                                 filename=f"receipt-{payment_id}.{key.rsplit('.', 1)[-1]}")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def dispute_raise(request: HttpRequest, payment_id: int) -> HttpResponse:
    actor = _user(request)
    try:
        payment = selectors.payment_get_for_payer(actor=actor, payment_id=payment_id)
    except Payment.DoesNotExist:
        raise Http404 from None
    existing = selectors.dispute_id_of_payment(payment_id=payment.pk)
    if existing is not None:
        return redirect("disputes:detail", dispute_id=existing)
    form = DisputeForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = services.dispute_raise(
                actor=actor, payment_id=payment.pk, reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data["evidence"],
            )
        except services.DisputeNotFound:
            raise Http404 from None
        except services.DisputeError as exc:
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("Your dispute is sent. Staff will look into it."))
            return redirect("disputes:detail", dispute_id=dispute.pk)
    status = 400 if form.errors else 200
    return render(request, "payments/disputes/raise.html",
                  {"payment": payment, "form": form}, status=status)


@login_required
@never_cache
@require_GET
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    actor = _user(request)
    try:
        dispute = selectors.dispute_get_for_party(actor=actor, dispute_id=dispute_id)
    except PaymentDispute.DoesNotExist:
        raise Http404 from None
    is_payer = dispute.payment.payer_id == actor.pk
    context = {
        "dispute": dispute,
        "payment": dispute.payment,
        "history": selectors.dispute_history(dispute_id=dispute.pk),
        "refunds": selectors.dispute_refunds(dispute_id=dispute.pk),
        "is_payer": is_payer,
        "evidence_numbers": range(1, len(dispute.evidence_urls or []) + 1) if is_payer else (),
    }
    return render(request, "payments/disputes/detail.html", context)


@login_required
@never_cache
@require_GET
def evidence_download(request: HttpRequest, dispute_id: int, number: int) -> HttpResponseBase:
    """One evidence file, for the patient who raised the dispute."""
    actor = _user(request)
    try:
        dispute = selectors.dispute_get_for_party(actor=actor, dispute_id=dispute_id)
    except PaymentDispute.DoesNotExist:
        raise Http404 from None
    if dispute.payment.payer_id != actor.pk:
        raise Http404
    return evidence_file_response(dispute, number)


def evidence_file_response(dispute: PaymentDispute, number: int) -> HttpResponseBase:
    """The dispute's evidence file `number` (from 1), for a reader already allowed; 404 else."""
    keys = dispute.evidence_urls or []
    if not 1 <= number <= len(keys):
        raise Http404
    key = keys[number - 1]
    return private_file_response(
        storage=services.payment_storage(), key=key,
        filename=f"dispute-{dispute.pk}-{number}.{key.rsplit('.', 1)[-1]}",
    )
