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

# Refusals of the phone switch that the call page shows on its own (no second message).
SHOWN_BY_THE_CALL_PAGE = (errors.NotAVideoCall, errors.CallNotScheduled, errors.CallOver,
                          errors.TooEarly)

MAX_REPORT_BYTES = 2048
# The reports are flat ({"kind": ..., "stats": {...}}); anything nested deeper is refused
# before parsing, so a body of nested brackets never reaches the JSON parser's recursion.
MAX_JSON_DEPTH = 4
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


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
        "window": selectors.join_window_shown(appointment),
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
        # Janus shows only "ROLE:user id"; the page puts the names to them from here.
        "people": _people(appointment),
    }
    return render(request, "video/call.html", context)


def _people(appointment: Appointment) -> dict[str, dict[str, object]]:
    people = {selectors.ROLE_PATIENT: appointment.patient,
              selectors.ROLE_DOCTOR: appointment.doctor,
              selectors.ROLE_STAFF: appointment.staff}
    return {role: {"id": user.pk, "name": user.display_name}
            for role, user in people.items() if user is not None}


def json_depth(raw: bytes) -> int:
    """How deeply arrays and objects nest in `raw` (brackets inside strings not counted)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _json_body(request: HttpRequest, error: type[errors.VideoError]) -> dict[str, Any]:
    """The request's JSON object; `error` (a 400 with its message) for anything else:
    too large, nested too deeply, not JSON, not an object."""
    raw = request.body
    if len(raw) > MAX_REPORT_BYTES or json_depth(raw) > MAX_JSON_DEPTH:
        raise error()
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise error() from exc
    if not isinstance(data, dict):
        raise error()
    return data


def _report_body(request: HttpRequest) -> dict[str, Any]:
    """A report: JSON from fetch(), or a form from navigator.sendBeacon() (a `left` sent
    while the page unloads, which cannot set the CSRF header and sends the token as a
    field instead)."""
    if request.content_type == FORM_CONTENT_TYPE:
        if len(request.body) > MAX_REPORT_BYTES:
            raise errors.BadEvent()
        return {"kind": request.POST.get("kind")}
    return _json_body(request, errors.BadEvent)


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
        token = _json_body(request, errors.BadJoinRequest).get("token")
        if not isinstance(token, str):
            raise errors.JoinTokenInvalid()
        ticket = services.video_join(actor=actor, appointment=appointment, token=token)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except errors.VideoError as exc:
        return _refusal(exc)
    return JsonResponse({"room": ticket.room, "pin": ticket.pin, "display": ticket.display,
                         "role": ticket.role, "grant": ticket.grant})


@never_cache
@login_required
@require_POST
def token(request: HttpRequest, appointment_id: int) -> JsonResponse:
    """A fresh join token: the page asks for one when "Join the call" is clicked."""
    actor = cast(User, request.user)
    appointment = _participant_appointment(request, appointment_id)
    try:
        fresh = services.join_token_issue(actor=actor, appointment=appointment)
    except Appointment.DoesNotExist:
        raise Http404 from None
    except errors.VideoError as exc:
        return _refusal(exc)
    return JsonResponse({"token": fresh})


@never_cache
@login_required
@require_POST
def events(request: HttpRequest, appointment_id: int) -> JsonResponse:
    actor = cast(User, request.user)
    _participant_appointment(request, appointment_id)
    try:
        data = _report_body(request)
        kind = data.get("kind")
        if not isinstance(kind, str):
            raise errors.BadEvent()
        services.video_event_record(actor=actor, appointment_id=appointment_id, kind=kind,
                                    stats=data.get("stats"), grant=data.get("grant"))
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
        if not isinstance(exc, SHOWN_BY_THE_CALL_PAGE):  # it says those itself
            messages.error(request, str(exc.message))
        return redirect("video:call", appointment_id=appointment.pk)
    messages.success(request, _("The appointment is now a phone call. The others have been "
                                "told."))
    return redirect("appointments:detail", appointment_id=appointment.pk)
