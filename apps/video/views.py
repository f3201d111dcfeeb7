"""The call page, and the JSON endpoints its script talks to."""

from __future__ import annotations

import json
import logging
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType
from apps.video import errors, selectors, services
from apps.video.janus import JanusClient

logger = logging.getLogger(__name__)

MAX_REPORT_BYTES = 2048


def _participant_appointment(request: HttpRequest, appointment_id: int) -> Appointment:
    try:
        return selectors.call_appointment_get(actor=request.user, appointment_id=appointment_id)
    except Appointment.DoesNotExist:
        raise Http404 from None


@never_cache
@login_required
@require_GET
def call(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    appointment = _participant_appointment(request, appointment_id)
    now = timezone.now()
    refusal, unavailable, token = "", False, ""
    try:
        services.check_may_join(appointment=appointment, now=now)
    except errors.VideoError as exc:
        refusal = str(exc.message)
    else:
        unavailable = not JanusClient().is_available()
        if not unavailable:
            token = services.join_token_make(user=actor, appointment_id=appointment.pk)
    context = {
        "appointment": appointment,
        "window": selectors.join_window(appointment),
        "refusal": refusal,
        "unavailable": unavailable,
        "unavailable_message": errors.VideoUnavailable.default_message,
        "can_switch_to_phone": (
            appointment.consultation_type == ConsultationType.VIDEO_CALL and not refusal
        ),
        "join_token": token,
        "janus_url": settings.JANUS_PUBLIC_URL,
        "stats_interval_ms": settings.VIDEO_STATS_INTERVAL_SECONDS * 1000,
        "role": selectors.participant_role(actor, appointment),
    }
    return render(request, "video/call.html", context)


def _json_body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_REPORT_BYTES:
        raise errors.BadEvent()
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadEvent() from exc
    if not isinstance(data, dict):
        raise errors.BadEvent()
    return data


def _refusal(exc: errors.VideoError) -> JsonResponse:
    return JsonResponse({"error": type(exc).__name__, "message": str(exc.message)},
                        status=exc.status)


@never_cache
@login_required
@require_POST
def join(request: HttpRequest, appointment_id: int) -> JsonResponse:
    actor = cast(User, request.user)
    appointment = _participant_appointment(request, appointment_id)
    try:
        token = _json_body(request).get("token")
        if not isinstance(token, str):
            raise errors.JoinTokenInvalid()
        ticket = services.video_join(actor=actor, appointment=appointment, token=token)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except errors.VideoError as exc:
        return _refusal(exc)
    return JsonResponse({"room": ticket.room, "pin": ticket.pin, "display": ticket.display,
                         "role": ticket.role})


@never_cache
@login_required
@require_POST
def events(request: HttpRequest, appointment_id: int) -> JsonResponse:
    actor = cast(User, request.user)
    _participant_appointment(request, appointment_id)
    try:
        data = _json_body(request)
        kind = data.get("kind")
        if not isinstance(kind, str):
            raise errors.BadEvent()
        services.video_event_record(actor=actor, appointment_id=appointment_id, kind=kind,
                                    stats=data.get("stats"))
    except Appointment.DoesNotExist:
        raise Http404 from None
    except errors.VideoError as exc:
        return _refusal(exc)
    return JsonResponse({"ok": True})


@login_required
@require_POST
def switch_to_phone(request: HttpRequest, appointment_id: int) -> HttpResponse:
    actor = cast(User, request.user)
    appointment = _participant_appointment(request, appointment_id)
    try:
        services.video_switch_to_phone(actor=actor, appointment_id=appointment.pk)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except errors.VideoError as exc:
        messages.error(request, str(exc.message))
        return redirect("video:call", appointment_id=appointment.pk)
    messages.success(request, _("The appointment is now a phone call. The others have been "
                                "told."))
    return redirect("appointments:detail", appointment_id=appointment.pk)
