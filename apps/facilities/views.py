"""The public doctor directory: search and profile pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.appointments.forms import BookingForm
from apps.appointments.selectors import user_zone
from apps.facilities import selectors
from apps.facilities.forms import DoctorSearchForm


@require_GET
def doctor_search(request: HttpRequest) -> HttpResponse:
    form = DoctorSearchForm(request.GET)
    page = None
    if form.is_valid():
        page = selectors.doctor_search(
            actor=request.user,
            specialty=form.cleaned_data["specialty"],
            city=form.cleaned_data["city"],
            page=request.GET.get("page"),
        )
    specialties, cities = selectors.directory_choices()
    context = {"form": form, "page": page, "specialties": specialties, "cities": cities}
    return render(request, "facilities/doctor_search.html", context)


@require_GET
def doctor_detail(request: HttpRequest, doctor_id: int) -> HttpResponse:
    try:
        doctor = selectors.doctor_get(actor=request.user, doctor_id=doctor_id)
    except User.DoesNotExist:
        raise Http404 from None

    facilities = [link.facility for link in doctor.practice_links.all()]
    form = None
    if request.user.is_authenticated and getattr(request.user, "is_patient", False):
        form = BookingForm(
            facilities=selectors.doctor_facilities(doctor=doctor), zone=user_zone(request.user)
        )
    context = {"doctor": doctor, "facilities": facilities, "form": form}
    return render(request, "facilities/doctor_detail.html", context)
