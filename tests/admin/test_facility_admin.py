"""Facilities in admin: created by an admin for an organization, with practising doctors."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.facilities.models import DoctorFacility, Facility
from tests import factories

pytestmark = pytest.mark.django_db

ADD = reverse("admin:facilities_facility_add")


def _data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Test Valley Clinic", "facility_type": "CLINIC", "address": "2 Test Road",
        "city": "Multan", "province": "Punjab", "operating_hours": '{"monday": "09:00-17:00"}',
        "doctor_links-TOTAL_FORMS": "0", "doctor_links-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_it_adds_a_facility_for_an_organization_with_a_doctor(owner_client: Client) -> None:
    organization = factories.OrganizationFactory.create()
    doctor = factories.DoctorFactory.create()

    response = owner_client.post(ADD, _data(**{
        "organization": organization.pk,
        "doctor_links-TOTAL_FORMS": "1", "doctor_links-0-doctor": doctor.pk,
    }))

    assert response.status_code == 302
    facility = Facility.objects.get(name="Test Valley Clinic")
    assert facility.organization == organization
    assert facility.operating_hours == {"monday": "09:00-17:00"}
    assert DoctorFacility.objects.filter(facility=facility, doctor=doctor).exists()


def test_it_refuses_a_patient_as_owner_or_as_practising_doctor(owner_client: Client) -> None:
    patient = factories.PatientFactory.create()

    response = owner_client.post(ADD, _data(**{
        "organization": patient.pk,
        "doctor_links-TOTAL_FORMS": "1", "doctor_links-0-doctor": patient.pk,
    }))

    assert response.status_code == 200
    assert "organization" in response.context["adminform"].form.errors
    assert response.context["inline_admin_formsets"][0].formset.errors[0]["doctor"]
    assert not Facility.objects.filter(name="Test Valley Clinic").exists()
