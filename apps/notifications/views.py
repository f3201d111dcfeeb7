"""The in-app notification list, marking read and following a notification's link."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.models import User
from apps.notifications import selectors, services
from apps.notifications.context_processors import forget_unread_count
from apps.notifications.links import safe_action_url
from apps.notifications.models import Notification


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _back(request: HttpRequest) -> HttpResponse:
    # `next` comes from the page's own form; anything but a path on this site is ignored.
    return redirect(safe_action_url(request.POST.get("next")) or reverse("notifications:list"))


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    page = selectors.notifications_page(actor=user, page=request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    user = cast(User, request.user)
    try:
        notification = services.notification_mark_read(actor=user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404 from None

    if _is_htmx(request):
        forget_unread_count(request)
        return render(request, "notifications/_item_htmx.html", {"notification": notification})
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    services.notifications_mark_all_read(actor=user)

    if _is_htmx(request):
        forget_unread_count(request)
        page = selectors.notifications_page(actor=user, page=request.POST.get("page"))
        return render(request, "notifications/_list_htmx.html", {"page": page})
    return _back(request)


@login_required
@require_POST
def open_notification(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark read and follow the link, but only to a path on this site."""
    user = cast(User, request.user)
    try:
        notification = services.notification_mark_read(actor=user, notification_id=notification_id)
    except Notification.DoesNotExist:
        raise Http404 from None

    return redirect(safe_action_url(notification.action_url) or reverse("notifications:list"))
