"""The public directory: doctor and facility search, doctor and facility pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.accounts.models import User
from apps.appointments.forms import BookingForm
from apps.appointments.selectors import user_zone
from apps.facilities import selectors
from apps.facilities.forms import DoctorSearchForm, FacilitySearchForm
from apps.facilities.models import Facility


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


@require_GET
def facility_search(request: HttpRequest) -> HttpResponse:
    form = FacilitySearchForm(request.GET)
    page = None
    near = False
    if form.is_valid():
        data = form.cleaned_data
        if data["latitude"] is not None:
            try:
                page = selectors.facilities_nearest_page(
                    actor=request.user, latitude=data["latitude"], longitude=data["longitude"],
                    radius_km=data["radius_km"], city=data["city"], page=request.GET.get("page"),
                )
            except selectors.InvalidGeoQuery as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                near = True
        else:
            page = selectors.facility_search(
                actor=request.user, city=data["city"], page=request.GET.get("page")
            )
    context = {
        "form": form, "page": page, "near": near, "cities": selectors.facility_cities(),
        "nearest_limit": selectors.NEAREST_ON_PAGE,
    }
    return render(request, "facilities/facility_search.html", context)


@require_GET
def facility_detail(request: HttpRequest, facility_id: int) -> HttpResponse:
    try:
        facility = selectors.facility_get(actor=request.user, facility_id=facility_id)
    except Facility.DoesNotExist:
        raise Http404 from None

    context = {
        "facility": facility,
        "opening_hours": selectors.facility_opening_hours(facility=facility),
        "doctors": selectors.facility_doctors(actor=request.user, facility=facility),
    }
    return render(request, "facilities/facility_detail.html", context)
