"""Every PHI page writes exactly one complete, chained log row in its request (the profile).

The medical record, prescription and export pages are tested with their own apps.
"""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.audit.verify import chain_verify
from tests.accounts.test_profile import _form
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:profile")
AGENT = "HealthLinkAuditTest/2.0"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_viewing_the_profile_writes_one_row_with_every_field(client: Client) -> None:
    patient = PatientFactory.create(allergies="Penicillin")
    client.force_login(patient)

    response = client.get(PROFILE_URL, REMOTE_ADDR="10.0.0.1",
                          HTTP_X_FORWARDED_FOR="203.0.113.20", HTTP_USER_AGENT=AGENT)

    assert response.status_code == 200
    entry = PhiAccessLog.objects.get()
    assert (entry.actor_id, entry.patient_id) == (patient.pk, patient.pk)
    assert (entry.action, entry.resource_type, entry.resource_id) == (
        PhiAction.VIEW, PhiResource.PATIENT_PROFILE, patient.pk)
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.20", AGENT)
    assert (entry.refused, entry.break_glass, entry.reason) == (False, False, None)
    assert entry.created_at is not None
    assert (entry.chain_seq, len(entry.row_hash)) == (1, 64)
    assert chain_verify().intact


def test_saving_the_profile_writes_one_update_row(client: Client) -> None:
    patient = PatientFactory.create()
    client.force_login(patient)

    client.post(PROFILE_URL, _form(patient, allergies="Peanuts"), HTTP_USER_AGENT=AGENT,
                REMOTE_ADDR="192.0.2.4")

    entry = PhiAccessLog.objects.get()
    assert (entry.actor_id, entry.patient_id, entry.action, entry.resource_type,
            entry.resource_id, entry.ip_address, entry.user_agent) == (
        patient.pk, patient.pk, PhiAction.UPDATE, PhiResource.PATIENT_PROFILE, patient.pk,
        "192.0.2.4", AGENT)
    assert chain_verify().intact
