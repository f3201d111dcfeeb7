"""PMDC verification only through the audited action, and only with a license on file."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:accounts_user_changelist")


def test_it_does_not_verify_a_doctor_without_a_license_number(owner_client: Client) -> None:
    doctor = factories.DoctorFactory.create(pmdc_verified=False, pmdc_license_number=None)

    response = owner_client.post(
        CHANGELIST, {"action": "verify_pmdc", "_selected_action": [doctor.pk]}, follow=True
    )

    doctor.refresh_from_db()
    assert doctor.pmdc_verified is False
    assert "no PMDC license number on file" in response.content.decode()


def test_the_change_form_cannot_set_pmdc_verified(owner_client: Client) -> None:
    patient = factories.PatientFactory.create()
    url = reverse("admin:accounts_user_change", args=[patient.pk])

    form = owner_client.get(url).context["adminform"].form

    assert "pmdc_verified" not in form.fields
    assert User.objects.get(pk=patient.pk).pmdc_verified is False
