"""The records API reads through the same services as the pages, logged the same way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.records.models import MedicalRecord, RecordType
from tests import factories
from tests.records.support import log_rows, logged_in

pytestmark = pytest.mark.django_db


def api(user: User) -> APIClient:
    client = APIClient(REMOTE_ADDR="10.1.1.1", HTTP_USER_AGENT="RecordsApi/1.0")
    response = client.post("/api/token/", {"email": user.email,
                                           "password": factories.TEST_PASSWORD}, format="json")
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def test_the_patient_lists_own_records_without_phi_text(
    patient: User, other_patient: User, doctor: User, record: MedicalRecord,
    django_assert_max_num_queries: Any,
) -> None:
    MedicalRecord.objects.create(patient=other_patient, doctor=doctor, notes="n",
                                 record_type=RecordType.IMAGING, record_date=timezone.now())
    client = api(patient)

    with django_assert_max_num_queries(6):
        body = client.get("/api/records/").json()

    assert [item["id"] for item in body["results"]] == [record.pk]
    assert "diagnosis" not in body["results"][0]
    assert log_rows() == []


def test_the_detail_returns_the_record_and_logs_one_row(
    patient: User, record: MedicalRecord,
) -> None:
    response = api(patient).get(f"/api/records/{record.pk}/")

    assert response.status_code == 200
    assert response.json()["diagnosis"] == "Iron deficiency anaemia"
    [row] = log_rows()
    assert (row.action, row.resource_type, row.resource_id, row.patient_id) == (
        PhiAction.VIEW, PhiResource.MEDICAL_RECORD, record.pk, patient.pk)
    assert (row.ip_address, row.user_agent) == ("10.1.1.1", "RecordsApi/1.0")


def test_attachments_are_links_to_the_authorized_view_not_keys(
    patient: User, record: MedicalRecord,
) -> None:
    MedicalRecord.objects.filter(pk=record.pk).update(file_urls=["records/1/abc.pdf"])

    body = api(patient).get(f"/api/records/{record.pk}/").json()

    assert body["attachments"] == [f"/records/{record.pk}/attachments/1/"]
    assert "records/1/abc.pdf" not in str(body)


@pytest.mark.parametrize("who", ["other_patient", "other_doctor"])
def test_outsiders_get_404_and_a_refused_row(
    who: str, record: MedicalRecord, request: pytest.FixtureRequest,
) -> None:
    outsider: User = request.getfixturevalue(who)

    response = api(outsider).get(f"/api/records/{record.pk}/")

    assert response.status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.refused) == (outsider.pk, True)


def test_a_treating_doctor_lists_a_patients_records_logged_as_profile_view(
    patient: User, doctor: User, record: MedicalRecord,
) -> None:
    response = api(doctor).get(f"/api/records/?patient={patient.pk}")

    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [record.pk]
    [row] = log_rows()
    assert (row.resource_type, row.resource_id, row.refused) == (
        PhiResource.PATIENT_PROFILE, patient.pk, False)


def test_an_outsider_doctor_cannot_list_a_patients_records(
    patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    client = api(other_doctor)

    assert client.get(f"/api/records/?patient={patient.pk}").status_code == 404
    assert client.get("/api/records/?patient=abc").status_code == 404
    assert client.get("/api/records/").status_code == 404
    assert [row.refused for row in log_rows()] == [True]


def test_anonymous_requests_are_refused(record: MedicalRecord) -> None:
    assert APIClient().get(f"/api/records/{record.pk}/").status_code == 401
    assert APIClient().get("/api/records/").status_code == 401


def test_the_patient_list_is_paginated(patient: User, doctor: User, record: MedicalRecord) -> None:
    for days in range(25):
        MedicalRecord.objects.create(patient=patient, doctor=doctor, notes="n",
                                     record_type=RecordType.CONSULTATION,
                                     record_date=timezone.now() - timedelta(days=days + 3))

    body = api(patient).get("/api/records/?page=2").json()

    assert (body["count"], body["page"], body["num_pages"]) == (26, 2, 2)
    assert len(body["results"]) == 6


OTHER_ROLES = [factories.StaffFactory, factories.OrganizationFactory, factories.AdminFactory,
               factories.PlatformOwnerFactory]


@pytest.mark.parametrize("factory", OTHER_ROLES)
def test_other_roles_get_404_for_the_list_like_the_page(
    factory: Any, record: MedicalRecord,
) -> None:
    user = factory()

    assert api(user).get("/api/records/").status_code == 404
    assert logged_in(user).get("/records/").status_code == 404
    assert log_rows() == []


@pytest.mark.parametrize("factory", OTHER_ROLES)
def test_other_roles_naming_a_patient_get_404_and_a_refused_row(
    factory: Any, patient: User, record: MedicalRecord,
) -> None:
    user = factory()

    response = api(user).get(f"/api/records/?patient={patient.pk}")

    assert response.status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.patient_id, row.refused, row.action) == (
        user.pk, patient.pk, True, PhiAction.VIEW)
    assert api(user).get("/api/records/?patient=999999").status_code == 404
    assert len(log_rows()) == 1
