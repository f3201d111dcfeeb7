"""The staff back office for payment disputes: the queue, a dispute, and its decisions."""

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
from apps.core.errors import RuleError, form_add_rule_error
from apps.payments import dispute_selectors as selectors
from apps.payments import dispute_services as services
from apps.payments.dispute_forms import ActionForm, QueueFilterForm
from apps.payments.dispute_permissions import can_use_backoffice
from apps.payments.dispute_views import evidence_file_response
from apps.payments.models import DisputeStatus, PaymentDispute


def _staff(request: HttpRequest) -> User:
    actor = cast(User, request.user)
    if not can_use_backoffice(actor):
        raise Http404
    return actor


@login_required
@never_cache
@require_GET
def dispute_queue(request: HttpRequest) -> HttpResponse:
    actor = _staff(request)
    form = QueueFilterForm(request.GET or None)
    status, older_than_days = None, None
    if form.is_valid():
        status = form.cleaned_data["status"] or None
        older_than_days = form.cleaned_data["older_than_days"]
    page = selectors.backoffice_disputes(actor=actor, status=status,
                                         older_than_days=older_than_days,
                                         page=request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "backoffice/dispute_queue.html", context,
                  status=400 if form.errors else 200)


def _dispute_context(dispute: PaymentDispute, form: ActionForm) -> dict[str, object]:
    payment = dispute.payment
    return {
        "dispute": dispute,
        "payment": payment,
        "appointment": payment.appointment,
        "history": selectors.dispute_history(dispute_id=dispute.pk),
        "refunds": selectors.dispute_refunds(dispute_id=dispute.pk),
        "evidence_numbers": range(1, len(dispute.evidence_urls or []) + 1),
        "refundable": services.refundable(payment),
        "form": form,
        "can_investigate": dispute.status == DisputeStatus.PENDING,
        "can_decide": dispute.status == DisputeStatus.INVESTIGATING,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def dispute_page(request: HttpRequest, dispute_id: int) -> HttpResponse:
    actor = _staff(request)
    try:
        dispute = selectors.backoffice_dispute_get(actor=actor, dispute_id=dispute_id)
    except PaymentDispute.DoesNotExist:
        raise Http404 from None
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == ActionForm.INVESTIGATE:
                services.dispute_investigate(actor=actor, dispute_id=dispute.pk,
                                             note=data["note"])
            elif data["action"] == ActionForm.REJECT:
                services.dispute_reject(actor=actor, dispute_id=dispute.pk, note=data["note"])
            else:
                services.dispute_resolve(
                    actor=actor, dispute_id=dispute.pk, note=data["note"],
                    refund_amount=data["refund_amount"], destination=data["destination"],
                )
        except services.DisputeNotFound:
            raise Http404 from None
        except RuleError as exc:  # the dispute's rules, or the refund's
            form_add_rule_error(form, exc)
        else:
            messages.success(request, _("The dispute is updated."))
            return redirect("backoffice:dispute", dispute_id=dispute.pk)
        dispute = selectors.backoffice_dispute_get(actor=actor, dispute_id=dispute_id)
    status = 400 if form.errors else 200
    return render(request, "backoffice/dispute.html", _dispute_context(dispute, form),
                  status=status)


@login_required
@never_cache
@require_GET
def evidence_download(request: HttpRequest, dispute_id: int, number: int) -> HttpResponseBase:
    actor = _staff(request)
    try:
        dispute = selectors.backoffice_dispute_get(actor=actor, dispute_id=dispute_id)
    except PaymentDispute.DoesNotExist:
        raise Http404 from None
    return evidence_file_response(dispute, number)
