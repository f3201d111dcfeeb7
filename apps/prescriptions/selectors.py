"""Reads of prescriptions, always through the acting user's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from apps.accounts.models import ADMIN_ROLES, Role, User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.prescriptions import drugs, interactions
from apps.prescriptions.interactions import DrugWarning
from apps.prescriptions.models import (
    ESignStatus,
    Prescription,
    PrescriptionMedication,
    PrescriptionWarning,
    Severity,
)
from apps.prescriptions.openfda import CacheUnreachable, OnlineStatus, cached_check
from apps.records.permissions import Actor, is_practising_doctor

PAGE_SIZE = 20


def _listing(queryset: QuerySet[Prescription]) -> QuerySet[Prescription]:
    return (
        queryset.select_related("doctor", "patient")
        .only("id", "patient_id", "doctor_id", "doctor__name", "patient__name",
              "valid_until", "e_sign_status", "created_at")
        .prefetch_related(Prefetch(
            "medications", queryset=PrescriptionMedication.objects.only(
                "id", "prescription_id", "name").order_by("pk"),
        ))
        .order_by("-created_at", "-pk")
    )


def _empty_page() -> Page[Prescription]:
    return Paginator(Prescription.objects.none(), PAGE_SIZE).get_page(1)


def prescriptions_own(*, actor: Actor, page: Any = 1) -> Page[Prescription]:
    """The acting patient's signed (or rejected) prescriptions, newest first; unsigned
    drafts are the doctor's until signed. An empty page for anyone else."""
    if not isinstance(actor, User) or actor.role != Role.PATIENT or not actor.is_active:
        return _empty_page()
    queryset = _listing(Prescription.objects.filter(patient_id=actor.pk)
                        .exclude(e_sign_status=ESignStatus.PENDING))
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def prescriptions_written(*, actor: Actor, page: Any = 1) -> Page[Prescription]:
    """The prescriptions the acting doctor wrote, newest first."""
    if not isinstance(actor, User) or not is_practising_doctor(actor):
        return _empty_page()
    queryset = _listing(Prescription.objects.filter(doctor_id=actor.pk))
    return Paginator(queryset, PAGE_SIZE).get_page(page)


def prescription_get(*, prescription_id: int) -> Prescription:
    """A prescription with its people, medications and warnings, for a caller about to
    check access and log the read."""
    return (
        Prescription.objects.select_related("patient", "doctor", "appointment", "rejected_by")
        .prefetch_related(
            Prefetch("medications", queryset=PrescriptionMedication.objects.order_by("pk")),
            Prefetch("warnings", queryset=PrescriptionWarning.objects.select_related(
                "acknowledged_by").order_by("pk")),
        )
        .get(pk=prescription_id)
    )


def rejecter_role_label(prescription: Prescription) -> str:
    """Who rejected it, as a role ("pharmacy staff", "an administrator"), never a name."""
    rejecter = prescription.rejected_by
    if rejecter is None:
        return ""
    if rejecter.role in ADMIN_ROLES:
        return str(_("an administrator"))
    return str(_("pharmacy staff"))


def patient_get(*, patient_id: int) -> User:
    return User.objects.get(pk=patient_id, role=Role.PATIENT)


def appointments_for_prescription(*, doctor_id: int, patient_id: int) -> QuerySet[Appointment]:
    """The appointments a prescription may be tied to: this doctor's with this patient."""
    return (
        Appointment.objects.filter(
            doctor_id=doctor_id, patient_id=patient_id,
            status__in=(AppointmentStatus.SCHEDULED, AppointmentStatus.COMPLETED),
        )
        .only("id", "scheduled_at", "status", "doctor_id", "patient_id")
        .order_by("-scheduled_at", "-pk")
    )


def unacknowledged_critical_count(prescription_id: int) -> int:
    """CRITICAL warnings on this prescription nobody has acknowledged yet (signing waits)."""
    return PrescriptionWarning.objects.filter(
        prescription_id=prescription_id, severity=Severity.CRITICAL,
        acknowledged_at__isnull=True,
    ).count()


@dataclass(frozen=True)
class OnlineView:
    """What the page says about the openFDA check of one medication list.

    ``state``: "nothing" (fewer than two medications: nothing to check online),
    "pending" (queued, no outcome yet), "unavailable" (disabled, unreachable or
    rate limited: only the offline result counts), "ran" (labels were scanned; see
    ``complete`` and ``warnings``). ``none_found`` is the only licence to say "no
    interactions found online".
    """

    state: str
    status: str
    warnings: tuple[DrugWarning, ...] = ()
    none_found: bool = False
    complete: bool = False


def online_check(*, names: Sequence[str]) -> OnlineView:
    if len({m.text for m in drugs.normalize_all(names) if m.text}) < 2:
        # One medication has nothing to interact with: openFDA is not asked, so the page
        # must not claim that its labels mention no interactions.
        return OnlineView(state="nothing", status="")
    if not settings.OPENFDA_BASE_URL:
        return OnlineView(state="unavailable", status=OnlineStatus.DISABLED.value)
    try:
        result = cached_check(names)
    except CacheUnreachable:
        return OnlineView(state="unavailable", status=OnlineStatus.UNAVAILABLE.value)
    if result is None:
        return OnlineView(state="pending", status="")
    if not result.ran and result.status != OnlineStatus.NO_LABELS:
        return OnlineView(state="unavailable", status=result.status.value)
    return OnlineView(
        state="ran", status=result.status.value, warnings=result.warnings(names),
        none_found=result.may_report_none_found,
        complete=result.status == OnlineStatus.OK,
    )


def unchecked_names(*, names: Sequence[str]) -> list[str]:
    """Entered names the offline tables could not resolve: never reported as safe."""
    return [m.entered for m in drugs.normalize_all(names) if not m.is_known]


def unchecked_allergies(*, allergies: str | None) -> tuple[str, ...]:
    """Allergy terms the offline check could not read: never reported as no allergy."""
    return interactions.unchecked_allergy_terms(interactions.parse_allergies(allergies))
