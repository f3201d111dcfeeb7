"""Every admin changelist: it renders for a platform owner, with a query count that stays
flat however many rows there are, and without any encrypted value on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import User
from tests import factories
from tests.admin import conftest as make

pytestmark = pytest.mark.django_db

# Session, user, the page, its count and the date hierarchy's years; never one per row.
MAX_QUERIES = 8

CHANGELISTS: dict[str, Callable[[User], Any]] = {
    "accounts_user": lambda owner: make.patient_with_phi(),
    "facilities_facility": lambda owner: factories.FacilityFactory.create(),
    "appointments_appointment": lambda owner: make.appointment(patient=make.patient_with_phi()),
    "records_medicalrecord": lambda owner: make.medical_record(),
    "records_familymedicalhistory": lambda owner: make.family_history(),
    "prescriptions_prescription": lambda owner: make.prescription(),
    "payments_payment": lambda owner: make.payment(),
    "payments_paymentdispute": lambda owner: make.dispute(staff=factories.StaffFactory.create()),
    "video_videocall": lambda owner: make.video_call(),
    "notifications_notification": lambda owner: make.notification(),
    "audit_phiaccesslog": lambda owner: make.phi_log(owner),
}


def _queries_for(client: Client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response


@pytest.mark.parametrize("name", list(CHANGELISTS))
def test_the_changelist_query_count_does_not_grow_with_rows(
    owner_client: Client, owner: User, name: str
) -> None:
    url = reverse(f"admin:{name}_changelist")
    maker = CHANGELISTS[name]
    for _ in range(2):
        maker(owner)
    few, _response = _queries_for(owner_client, url)

    for _ in range(20):
        maker(owner)
    many, response = _queries_for(owner_client, url)

    assert len(response.context["cl"].result_list) >= 22
    assert many == few
    assert many <= MAX_QUERIES


@pytest.mark.parametrize("name", list(CHANGELISTS))
def test_the_changelist_shows_no_encrypted_value(
    owner_client: Client, owner: User, name: str
) -> None:
    patient = make.patient_with_phi()
    factories.AppointmentFactory.create(patient=patient)
    record = make.medical_record(patient=patient)
    CHANGELISTS[name](owner)

    html = owner_client.get(reverse(f"admin:{name}_changelist")).content.decode()

    for value in make.phi_values(patient, record):
        assert value not in html
