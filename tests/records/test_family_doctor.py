"""A treating doctor reads a patient's family history; every read and refusal is logged."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.records.models import FamilyMedicalHistory, Relation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(patient: User) -> list[FamilyMedicalHistory]:
    return [
        FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.PARENT,
                                            relation_name="Ammi", conditions=["Diabetes"]),
        FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.SIBLING,
                                            relation_name="Bilal", conditions=["Diabetes"]),
    ]


def url_for(patient: User) -> str:
    return reverse("family:patient", args=[patient.pk])


def test_a_treating_doctor_reads_it_and_the_read_is_logged(
    client: Client, patient: User, doctor: User, history: list[FamilyMedicalHistory]
) -> None:
    factories.AppointmentFactory.create(patient=patient, doctor=doctor)
    client.force_login(doctor)

    response = client.get(url_for(patient), HTTP_USER_AGENT="pytest-browser")

    html = response.content.decode()
    assert response.status_code == 200
    assert patient.name in html and "Ammi" in html
    assert "<strong><bdi>Diabetes</bdi></strong>" in html
    assert reverse("family:edit", args=[history[0].pk]) not in html  # read-only
    log = PhiAccessLog.objects.get()
    assert log.actor_id == doctor.pk
    assert log.action == PhiAction.VIEW
    assert log.resource_type == PhiResource.PATIENT_PROFILE
    assert log.resource_id == patient.pk
    assert log.patient_id == patient.pk
    assert log.reason == "family history"
    assert log.refused is False
    assert log.user_agent == "pytest-browser"
    assert log.ip_address == "127.0.0.1"


def test_a_completed_appointment_is_a_relationship_too(
    client: Client, patient: User, doctor: User, history: list[FamilyMedicalHistory]
) -> None:
    factories.AppointmentFactory.create(patient=patient, doctor=doctor,
                                        status=AppointmentStatus.COMPLETED)
    client.force_login(doctor)

    assert client.get(url_for(patient)).status_code == 200


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_a_doctor_without_a_relationship_gets_404_and_a_refused_log_row(
    client: Client, patient: User, doctor: User, history: list[FamilyMedicalHistory],
    status: str,
) -> None:
    factories.AppointmentFactory.create(patient=patient, doctor=doctor, status=status)
    client.force_login(doctor)

    response = client.get(url_for(patient))

    assert response.status_code == 404
    assert "Ammi" not in response.content.decode()
    log = PhiAccessLog.objects.get()
    assert (log.actor_id, log.patient_id, log.refused) == (doctor.pk, patient.pk, True)


def test_another_doctors_patient_is_a_404(
    client: Client, patient: User, doctor: User, other_doctor: User,
    history: list[FamilyMedicalHistory],
) -> None:
    factories.AppointmentFactory.create(patient=patient, doctor=doctor)
    client.force_login(other_doctor)

    assert client.get(url_for(patient)).status_code == 404
    assert PhiAccessLog.objects.get().refused is True


def test_another_patient_gets_a_404_and_a_refused_log_row(
    client: Client, patient: User, other_patient: User, history: list[FamilyMedicalHistory]
) -> None:
    client.force_login(other_patient)

    assert client.get(url_for(patient)).status_code == 404
    assert PhiAccessLog.objects.get().actor_id == other_patient.pk


def test_a_user_who_is_not_a_patient_is_a_404_without_a_log_row(
    client: Client, doctor: User, other_doctor: User
) -> None:
    client.force_login(doctor)

    assert client.get(url_for(other_doctor)).status_code == 404
    assert client.get(reverse("family:patient", args=[987654])).status_code == 404
    assert not PhiAccessLog.objects.exists()


def test_the_doctor_page_has_a_bounded_query_count(
    client: Client, patient: User, doctor: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    factories.AppointmentFactory.create(patient=patient, doctor=doctor)
    for n in range(12):
        FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.SIBLING,
                                            relation_name=f"S{n}", conditions=["Asthma"])
    client.force_login(doctor)

    # The PHI log write is three statements (chain head, insert, head hash).
    with django_assert_max_num_queries(10):
        response = client.get(url_for(patient))

    assert response.status_code == 200


def test_the_appointment_page_links_the_doctor_to_the_family_history(
    client: Client, patient: User, doctor: User
) -> None:
    appointment = factories.AppointmentFactory.create(patient=patient, doctor=doctor)

    client.force_login(doctor)
    doctor_html = client.get(reverse("appointments:detail", args=[appointment.pk])).content
    client.force_login(patient)
    patient_html = client.get(reverse("appointments:detail", args=[appointment.pk])).content

    assert url_for(patient).encode() in doctor_html
    assert url_for(patient).encode() not in patient_html
