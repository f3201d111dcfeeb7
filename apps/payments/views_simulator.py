"""The local JazzCash simulator's pages and APIs (apps/payments/simulator.py); 404 when off."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.payments import simulator
from apps.payments.forms import SimulatorDecisionForm

logger = logging.getLogger(__name__)


def _require_enabled() -> None:
    if not simulator.enabled():
        raise Http404


@csrf_exempt  # plays a foreign site: the merchant's form carries no token of ours
@never_cache
@require_POST
def pay(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    token = simulator.open_checkout(request.POST.dict())
    if token is None:
        logger.warning("jazzcash simulator refused a payment form")
        return render(request, "payments/simulator.html", {"refused": True}, status=400)
    form = simulator.checkout_form(token) or {}
    return render(request, "payments/simulator.html", {
        "token": token, "ref": form.get("pp_TxnRefNo"), "amount_paisa": form.get("pp_Amount"),
        "txn_type": form.get("pp_TxnType"),
    })


@csrf_exempt
@never_cache
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    _require_enabled()
    form = SimulatorDecisionForm(request.POST)
    decided = simulator.decide(form.cleaned_data["token"], form.cleaned_data["decision"]) \
        if form.is_valid() else None
    if decided is None:
        return render(request, "payments/simulator.html", {"refused": True}, status=400)
    return_url, fields = decided
    return render(request, "payments/redirect.html", {
        "action": return_url, "fields": fields, "title": "JazzCash simulator",
    })


def _json_api(answer: Callable[[dict[str, Any]], dict[str, str]]) -> Callable[..., HttpResponse]:
    @csrf_exempt
    @require_POST
    def view(request: HttpRequest) -> HttpResponse:
        _require_enabled()
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JsonResponse({"pp_ResponseCode": "110",
                                 "pp_ResponseMessage": "Malformed request."}, status=400)
        return JsonResponse(answer(body))

    return view


inquire = _json_api(simulator.inquiry_answer)
refund = _json_api(simulator.refund_answer)
