"""Reads for the public doctor directory and for organizations' facilities."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.appointments.models import AppointmentStatus
from apps.appointments.permissions import Actor
from apps.facilities.models import DoctorFacility, Facility

PAGE_SIZE = 10


def _listed_doctors() -> QuerySet[User]:
    """Doctors patients may find: PMDC-verified and not soft-deleted (the manager's job)."""
    return User.objects.filter(role=Role.DOCTOR, pmdc_verified=True)


def _with_facilities(queryset: QuerySet[User]) -> QuerySet[User]:
    links = DoctorFacility.objects.select_related("facility").order_by("facility__name")
    return queryset.prefetch_related(Prefetch("practice_links", queryset=links))


def doctor_search(
    *, actor: Actor, specialty: str = "", city: str = "", page: str | int | None = 1
) -> Page[User]:
    """Verified doctors by specialty (substring) and the city of a facility they work at.

    The directory is public, so `actor` does not narrow it; it is taken so every read
    has the same shape, and so a later rule (hiding blocked doctors, say) has a place.
    """
    doctors = _listed_doctors()
    specialty = specialty.strip()
    city = city.strip()
    if specialty:
        doctors = doctors.filter(specialty__icontains=specialty)
    if city:
        in_city = DoctorFacility.objects.filter(
            doctor_id=OuterRef("pk"), facility__city__iexact=city
        )
        doctors = doctors.filter(Exists(in_city))
    doctors = _with_facilities(doctors.order_by("name", "pk"))
    return Paginator(doctors, PAGE_SIZE).get_page(page)


def doctor_get(*, actor: Actor, doctor_id: int) -> User:
    """A listed doctor with their facilities; User.DoesNotExist if unverified or gone."""
    return _with_facilities(_listed_doctors()).get(pk=doctor_id)


def doctor_facilities(*, doctor: User) -> QuerySet[Facility]:
    """Where this doctor sees patients in person."""
    return Facility.objects.filter(doctor_links__doctor_id=doctor.pk).order_by("name", "pk")


def directory_choices() -> tuple[list[str], list[str]]:
    """Specialties of listed doctors and cities with facilities, for the search form hints."""
    specialties = [
        specialty
        for specialty in _listed_doctors()
        .order_by("specialty")
        .values_list("specialty", flat=True)
        .distinct()
        if specialty
    ]
    cities = list(Facility.objects.order_by("city").values_list("city", flat=True).distinct())
    return specialties, cities


def organization_facilities(*, actor: Actor) -> QuerySet[Facility]:
    """The organization's facilities with appointment counts, in one query."""
    if getattr(actor, "role", None) != Role.ORGANIZATION or not actor.is_active:
        return Facility.objects.none()
    scheduled = Q(appointments__status=AppointmentStatus.SCHEDULED)
    return (
        Facility.objects.filter(organization_id=actor.pk)
        .annotate(
            upcoming_count=Count(
                "appointments", filter=scheduled & Q(appointments__scheduled_at__gte=timezone.now())
            ),
            appointment_count=Count("appointments"),
        )
        .order_by("name", "pk")
    )
