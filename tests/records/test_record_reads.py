"""Reading records: who may, and the one access-log row each read writes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.audit.models import PhiAction, PhiResource
from apps.records.models import MedicalRecord, RecordType
from tests import factories
from tests.records.support import log_rows, logged_in

pytestmark = pytest.mark.django_db


def detail_url(record: MedicalRecord) -> str:
    return reverse("records:detail", kwargs={"record_id": record.pk})


def test_it_shows_the_patient_their_record_and_logs_one_row_with_every_field(
    patient: User, record: MedicalRecord,
) -> None:
    response = logged_in(patient).get(detail_url(record))

    assert response.status_code == 200
    assert b"Iron deficiency anaemia" in response.content
    [row] = log_rows()
    assert row.actor_id == patient.pk
    assert row.action == PhiAction.VIEW
    assert row.resource_type == PhiResource.MEDICAL_RECORD
    assert row.resource_id == record.pk
    assert row.patient_id == patient.pk
    assert row.ip_address == "10.20.30.40"
    assert row.user_agent == "RecordsTest/1.0"
    assert row.reason is None
    assert (row.refused, row.break_glass) == (False, False)


def test_it_shows_the_treating_doctor_the_record_with_one_row(
    doctor: User, record: MedicalRecord,
) -> None:
    response = logged_in(doctor).get(detail_url(record))

    assert response.status_code == 200
    assert b"Ferrous sulfate 200 mg" in response.content
    [row] = log_rows()
    assert (row.actor_id, row.patient_id, row.refused) == (doctor.pk, record.patient_id, False)


def test_a_doctor_without_relationship_gets_404_and_a_refused_row(
    other_doctor: User, record: MedicalRecord,
) -> None:
    response = logged_in(other_doctor).get(detail_url(record))

    assert response.status_code == 404
    assert b"Iron deficiency" not in response.content
    [row] = log_rows()
    assert row.actor_id == other_doctor.pk
    assert row.resource_id == record.pk
    assert row.patient_id == record.patient_id
    assert row.refused is True
    assert row.break_glass is False
    assert row.ip_address == "10.20.30.40"


def test_a_cancelled_appointment_gives_no_access(
    patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    factories.AppointmentFactory(patient=patient, doctor=other_doctor,
                                 status=AppointmentStatus.CANCELLED)

    assert logged_in(other_doctor).get(detail_url(record)).status_code == 404


def test_an_outsider_patient_gets_404_and_a_refused_row(
    other_patient: User, record: MedicalRecord,
) -> None:
    response = logged_in(other_patient).get(detail_url(record))

    assert response.status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.refused, row.patient_id) == (other_patient.pk, True,
                                                           record.patient_id)


@pytest.mark.parametrize("factory", [factories.StaffFactory, factories.OrganizationFactory,
                                     factories.AdminFactory])
def test_other_roles_get_404(factory: Any, record: MedicalRecord) -> None:
    assert logged_in(factory()).get(detail_url(record)).status_code == 404


def test_a_missing_record_is_the_same_404_and_logs_nothing(patient: User) -> None:
    response = logged_in(patient).get(reverse("records:detail", kwargs={"record_id": 999999}))

    assert response.status_code == 404
    assert log_rows() == []


def test_anonymous_visitors_are_sent_to_log_in(record: MedicalRecord) -> None:
    response = Client().get(detail_url(record))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert log_rows() == []


def test_the_patient_list_shows_own_records_only_with_bounded_queries(
    patient: User, doctor: User, record: MedicalRecord, django_assert_max_num_queries: Any,
) -> None:
    for days in range(25):
        MedicalRecord.objects.create(
            patient=patient, doctor=doctor, record_type=RecordType.CONSULTATION,
            record_date=timezone.now() - timedelta(days=days + 3), notes="x",
        )
    stranger = factories.PatientFactory()
    theirs = MedicalRecord.objects.create(
        patient=stranger, doctor=doctor, record_type=RecordType.IMAGING,
        record_date=timezone.now(), notes="y",
    )
    client = logged_in(patient)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("records:list"))

    assert response.status_code == 200
    assert detail_url(record).encode() in response.content
    assert detail_url(theirs).encode() not in response.content
    assert b"Page 1 of 2" in response.content
    assert b"Iron deficiency" not in response.content  # lists never show the PHI text
    assert log_rows() == []


def test_the_detail_page_has_a_query_bound(
    patient: User, record: MedicalRecord, django_assert_max_num_queries: Any,
) -> None:
    client = logged_in(patient)
    with django_assert_max_num_queries(8):
        assert client.get(detail_url(record)).status_code == 200


def test_the_doctor_patient_page_lists_records_and_logs_one_profile_view(
    patient: User, doctor: User, record: MedicalRecord, django_assert_max_num_queries: Any,
) -> None:
    client = logged_in(doctor)
    url = reverse("records:patient", kwargs={"patient_id": patient.pk})

    with django_assert_max_num_queries(12):
        response = client.get(url)

    assert response.status_code == 200
    assert detail_url(record).encode() in response.content
    [row] = log_rows()
    assert row.resource_type == PhiResource.PATIENT_PROFILE
    assert (row.resource_id, row.patient_id, row.refused) == (patient.pk, patient.pk, False)


def test_the_doctor_patient_page_is_404_for_an_outsider_doctor_and_refused_row(
    patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    url = reverse("records:patient", kwargs={"patient_id": patient.pk})

    assert logged_in(other_doctor).get(url).status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.refused) == (other_doctor.pk, True)


def test_the_doctor_patient_page_is_404_for_patients(
    patient: User, other_patient: User, record: MedicalRecord,
) -> None:
    url = reverse("records:patient", kwargs={"patient_id": patient.pk})

    assert logged_in(patient).get(url).status_code == 404
    assert logged_in(other_patient).get(url).status_code == 404


def test_the_doctor_sees_only_treated_patients_in_their_list(
    patient: User, other_patient: User, doctor: User, record: MedicalRecord,
    django_assert_max_num_queries: Any,
) -> None:
    client = logged_in(doctor)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("records:patients"))

    assert response.status_code == 200
    assert patient.name.encode() in response.content
    assert other_patient.name.encode() not in response.content


def test_the_patient_list_page_is_404_for_patients(patient: User) -> None:
    assert logged_in(patient).get(reverse("records:patients")).status_code == 404


def test_the_doctor_reaches_the_patient_page_from_the_appointment(
    doctor: User, patient: User, visit: Any,
) -> None:
    response = logged_in(doctor).get(reverse("appointments:detail",
                                             kwargs={"appointment_id": visit.pk}))

    assert reverse("records:patient", kwargs={"patient_id": patient.pk}).encode() in (
        response.content
    )


def test_dashboards_link_to_records(patient: User, doctor: User) -> None:
    patient_page = logged_in(patient).get(reverse("core:dashboard"))
    doctor_page = logged_in(doctor).get(reverse("core:dashboard"))

    assert reverse("records:list").encode() in patient_page.content
    assert reverse("records:patients").encode() in doctor_page.content
    assert reverse("records:break_glass").encode() in doctor_page.content
