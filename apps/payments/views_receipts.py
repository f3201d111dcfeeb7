"""The payment receipt download (PDF) for the payer patient and the payee doctor."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.core.throttle import pdf_limited_response, pdf_over_limit
from apps.payments import receipt_pdf


@login_required
@never_cache
@require_GET
def receipt_download(request: HttpRequest, payment_id: int) -> HttpResponse:
    if pdf_over_limit(request, "receipt"):
        return pdf_limited_response(request)
    try:
        payment = receipt_pdf.receipt_payment(actor=cast(User, request.user),
                                              payment_id=payment_id)
    except receipt_pdf.ReceiptNotFound:
        raise Http404 from None
    except receipt_pdf.ReceiptUnavailable as exc:
        return render(request, "payments/receipt_refused.html", {"message": exc.message},
                      status=409)
    response = HttpResponse(receipt_pdf.render_receipt_pdf(payment),
                            content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{receipt_pdf.receipt_filename(payment)}"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response
