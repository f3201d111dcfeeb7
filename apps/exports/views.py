"""The data export page: ask for an archive, watch it being built (htmx), download it."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.exports import selectors, services
from apps.exports.models import DataExport
from apps.records.attachments import attachment_storage

DOWNLOAD_NAME = "healthlink-data-export.zip"


@login_required
@require_GET
@never_cache
def index(request: HttpRequest) -> HttpResponse:
    try:
        exports = selectors.data_exports_recent(actor=request.user)
    except DataExport.DoesNotExist:
        raise Http404 from None
    context = {
        "exports": exports,
        "can_request": not any(export.is_active for export in exports),
        "expiry_days": settings.DATA_EXPORT_EXPIRY_DAYS,
    }
    return render(request, "exports/index.html", context)


@login_required
@require_POST
@never_cache
def request_export(request: HttpRequest) -> HttpResponse:
    try:
        services.data_export_request(actor=cast(User, request.user))
    except DataExport.DoesNotExist:
        raise Http404 from None
    except services.ExportNotStarted as exc:
        messages.error(request, exc.message)
    except services.ExportError as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("Your data export is being prepared."))
    return redirect("exports:index")


@login_required
@require_GET
@never_cache
def status(request: HttpRequest, export_id: int) -> HttpResponse:
    """The export's row on the page; htmx polls it until the export is finished."""
    try:
        export = selectors.data_export_get(actor=request.user, export_id=export_id)
    except DataExport.DoesNotExist:
        raise Http404 from None
    return render(request, "exports/_export.html", {"export": export})


@login_required
@require_GET
@never_cache
def download(request: HttpRequest, export_id: int) -> HttpResponseBase:
    """The archive, to its owner only; the download is logged as an EXPORT of PHI."""
    actor = cast(User, request.user)
    try:
        export = selectors.data_export_get_downloadable(actor=actor, export_id=export_id)
        archive = attachment_storage().open(export.storage_key or "", "rb")
    except (DataExport.DoesNotExist, FileNotFoundError):
        raise Http404 from None
    services.data_export_download_record(actor=actor, export=export, request=request)
    response = FileResponse(archive, as_attachment=True, filename=DOWNLOAD_NAME,
                            content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return response
