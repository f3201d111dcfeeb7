"""Signing a prescription, its PDF, and the public verification page behind the QR code."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.accounts.models import User
from apps.audit.network import client_ip
from apps.core.throttle import over_limit, pdf_limited_response, pdf_over_limit
from apps.prescriptions import pdf, qr, signing
from apps.prescriptions.forms import RejectForm, error_text
from apps.prescriptions.models import ESignStatus, Prescription
from apps.prescriptions.verification import verify_token

# The public page is cheap, but each token costs a signature check: cap it per address.
VERIFY_RATE_LIMIT = 60  # requests
VERIFY_RATE_WINDOW = 60  # seconds


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def sign_panel_context(*, actor: User, prescription: Prescription) -> dict[str, Any]:
    """What templates/prescriptions/_sign_panel.html needs (see the template's header)."""
    signed = prescription.e_sign_status == ESignStatus.SIGNED
    return {
        "prescription": prescription,
        "can_sign": actor.pk == prescription.doctor_id
        and prescription.e_sign_status == ESignStatus.PENDING,
        "can_download": signed,
        "verify_path": qr.verification_path(prescription.pk) if signed else "",
        "fingerprint": signing.key_fingerprint(prescription.signing_key.public_key)
        if prescription.signing_key else "",
    }


@login_required
@never_cache
@require_GET
def sign_panel(request: HttpRequest, prescription_id: int) -> HttpResponse:
    """A small page with the signing panel: status, sign button, PDF, verification link."""
    actor = _user(request)
    try:
        prescription = signing.prescription_of_party(actor=actor,
                                                     prescription_id=prescription_id)
    except signing.PrescriptionNotFound:
        raise Http404 from None
    context = {"panel": sign_panel_context(actor=actor, prescription=prescription)}
    return render(request, "prescriptions/sign_page.html", context)


@login_required
@never_cache
@require_POST
def sign(request: HttpRequest, prescription_id: int) -> HttpResponse:
    try:
        signing.prescription_sign(doctor=_user(request), prescription_id=prescription_id,
                                  request=request)
    except signing.PrescriptionNotFound:
        raise Http404 from None
    except signing.SigningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Prescription signed. The patient has been notified."))
    return redirect(signing.prescription_page_path(prescription_id))


@login_required
@never_cache
@require_GET
def prescription_pdf(request: HttpRequest, prescription_id: int) -> HttpResponse:
    if pdf_over_limit(request, "rx"):
        return pdf_limited_response(request)
    try:
        prescription, document = pdf.prescription_pdf_export(
            actor=_user(request), prescription_id=prescription_id, request=request,
        )
    except signing.PrescriptionNotFound:
        raise Http404 from None
    except signing.SigningError as exc:
        return render(request, "prescriptions/pdf_refused.html",
                      {"message": str(exc), "prescription_id": prescription_id}, status=409)
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="prescription-{prescription.pk}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _over_rate_limit(request: HttpRequest) -> bool:
    return over_limit(f"rx-verify:{client_ip(request) or 'unknown'}",
                       limit=VERIFY_RATE_LIMIT, window=VERIFY_RATE_WINDOW)


def _public(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token stays off other sites' logs
    return response


@never_cache
@require_GET
def verify(request: HttpRequest, token: str) -> HttpResponse:
    """Public: is the prescription behind this QR code genuine, valid, not rejected?"""
    if _over_rate_limit(request):
        return _public(render(request, "prescriptions/verify_limited.html", status=429))
    result = verify_token(token)
    actor = _user(request)
    context = {
        "result": result,
        "token": token,
        "can_reject": result.genuine and not result.rejected and signing.can_reject(actor),
    }
    return _public(render(request, "prescriptions/verify.html", context))


@login_required
@never_cache
@require_http_methods(["POST"])
def reject(request: HttpRequest, token: str) -> HttpResponse:
    """Pharmacy staff or an admin rejects the prescription they are checking."""
    prescription_id = qr.prescription_id_from_token(token)
    if prescription_id is None or not signing.can_reject(_user(request)):
        raise Http404
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(form))
        return _public(redirect("verify_rx:verify", token=token))
    try:
        signing.prescription_reject(
            actor=_user(request), prescription_id=prescription_id,
            reason=form.cleaned_data["reason"], request=request,
        )
    except signing.PrescriptionNotFound:
        raise Http404 from None
    except signing.SigningError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The prescription is marked as rejected."))
    return _public(redirect("verify_rx:verify", token=token))
