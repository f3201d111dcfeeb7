"""Reads of the audit trail that depend on who is asking."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.http import Http404

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog

ACCESS_LOG_PAGE_SIZE = 25


def phi_access_log_page(*, actor: User, page: str | int | None = 1) -> Page[PhiAccessLog]:
    """Every access to the actor's own PHI, newest first. Patients only; others get a 404.

    Reads through idx_phi_access_logs_patient (patient_id, created_at); the actor of each
    entry is joined, with only the name and role that the page shows.
    """
    if not actor.is_patient:
        raise Http404
    queryset = (
        PhiAccessLog.objects.filter(patient_id=actor.pk)
        .select_related("actor")
        .only("pk", "created_at", "action", "resource_type", "resource_id", "reason",
              "refused", "break_glass", "patient_id", "actor__id", "actor__name",
              "actor__role")
        .order_by("-created_at", "-id")
    )
    return Paginator(queryset, ACCESS_LOG_PAGE_SIZE).get_page(page)
