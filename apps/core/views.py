"""The landing page and the one dashboard per role."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.models import ADMIN_ROLES, Role, User
from apps.appointments.selectors import appointments_upcoming, doctor_schedule
from apps.facilities.forms import DoctorSearchForm
from apps.facilities.selectors import directory_choices, organization_facilities


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    specialties, cities = directory_choices()
    context = {"form": DoctorSearchForm(), "specialties": specialties, "cities": cities}
    return render(request, "core/home.html", context)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    page_number = request.GET.get("page")

    if user.role == Role.PATIENT:
        page = appointments_upcoming(actor=user, page=page_number)
        return render(request, "core/dashboard_patient.html", {"page": page})
    if user.role == Role.DOCTOR:
        schedule = doctor_schedule(actor=user)
        return render(request, "core/dashboard_doctor.html", {"schedule": schedule})
    if user.role == Role.STAFF:
        page = appointments_upcoming(actor=user, page=page_number)
        context = {"page": page, "facility": user.facility}
        return render(request, "core/dashboard_staff.html", context)
    if user.role == Role.ORGANIZATION:
        facilities = organization_facilities(actor=user)
        return render(request, "core/dashboard_organization.html", {"facilities": facilities})
    return render(
        request, "core/dashboard_admin.html", {"is_admin": user.role in ADMIN_ROLES}
    )
