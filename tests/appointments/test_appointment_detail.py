"""The appointment page: who may open it, who reads the complaint, and everyone else's 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.lifecycle import appointment_cancel
from apps.appointments.models import Appointment, ConsultationType
from apps.appointments.selectors import appointment_get_for_actor
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db

COMPLAINT = "Sharp pain in the left knee"


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create()


@pytest.fixture
def appointment(patient: User, doctor: User, facility: Facility) -> Appointment:
    return factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, facility=facility,
        consultation_type=ConsultationType.IN_PERSON, chief_complaint=COMPLAINT,
    )


def page_for(client: Client, user: User, appointment: Appointment) -> str:
    client.force_login(user)
    response = client.get(reverse("appointments:detail", args=[appointment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_patient_their_appointment_with_the_complaint(
    client: Client, patient: User, appointment: Appointment
) -> None:
    html = page_for(client, patient, appointment)

    assert appointment.doctor.name in html
    assert COMPLAINT in html
    assert "Asia/Karachi" in html


def test_it_shows_the_doctor_the_complaint(
    client: Client, doctor: User, appointment: Appointment
) -> None:
    html = page_for(client, doctor, appointment)

    assert appointment.patient.name in html
    assert COMPLAINT in html


def test_it_shows_facility_staff_the_appointment_without_the_complaint(
    client: Client, facility: Facility, appointment: Appointment
) -> None:
    staff = factories.StaffFactory.create(facility=facility)

    html = page_for(client, staff, appointment)

    assert appointment.patient.name in html
    assert COMPLAINT not in html


def test_it_shows_the_staff_participant_the_appointment_without_the_complaint(
    client: Client, appointment: Appointment
) -> None:
    participant = factories.StaffFactory.create()  # works at a different facility
    appointment.staff = participant
    appointment.save()

    html = page_for(client, participant, appointment)

    assert COMPLAINT not in html


def test_it_shows_the_owning_organization_the_appointment_without_the_complaint(
    client: Client, facility: Facility, appointment: Appointment
) -> None:
    assert facility.organization is not None
    html = page_for(client, facility.organization, appointment)

    assert COMPLAINT not in html


def test_it_shows_times_in_the_viewers_own_time_zone(
    client: Client, patient: User, appointment: Appointment
) -> None:
    patient.time_zone = "Europe/London"
    patient.save()

    html = page_for(client, patient, appointment)

    assert "Europe/London" in html


OUTSIDERS: dict[str, Callable[[], User]] = {
    "another patient": lambda: factories.PatientFactory.create(),
    "another doctor": lambda: factories.DoctorFactory.create(),
    "staff of another facility": lambda: factories.StaffFactory.create(),
    "another organization": lambda: factories.OrganizationFactory.create(),
    "an admin": lambda: factories.AdminFactory.create(),
}


@pytest.mark.parametrize("outsider", OUTSIDERS.values(), ids=OUTSIDERS.keys())
def test_it_is_a_404_for_an_outsider(
    client: Client, appointment: Appointment, outsider: Callable[[], User]
) -> None:
    client.force_login(outsider())

    response = client.get(reverse("appointments:detail", args=[appointment.pk]))

    assert response.status_code == 404
    assert COMPLAINT not in response.content.decode()


def test_it_is_a_404_for_an_appointment_that_does_not_exist(
    client: Client, patient: User, appointment: Appointment
) -> None:
    client.force_login(patient)

    response = client.get(reverse("appointments:detail", args=[appointment.pk + 1000]))

    assert response.status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(
    client: Client, appointment: Appointment
) -> None:
    response = client.get(reverse("appointments:detail", args=[appointment.pk]))

    assert response.status_code == 302
    assert "next=" in response["Location"]


def test_the_selector_refuses_a_staff_member_without_a_facility(
    appointment: Appointment,
) -> None:
    floating = factories.StaffFactory.create(facility=None)

    with pytest.raises(Appointment.DoesNotExist):
        appointment_get_for_actor(actor=floating, appointment_id=appointment.pk)


def test_the_page_runs_a_bounded_number_of_queries(
    client: Client, patient: User, appointment: Appointment,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(patient)
    # Session, user, the appointment with its people and place, the header's unread count,
    # and whether a paid payment lets the patient choose where a refund goes (issue 6).
    with django_assert_max_num_queries(5):
        response = client.get(reverse("appointments:detail", args=[appointment.pk]))
    assert response.status_code == 200


# --- The actions each role is offered ---------------------------------------------------


def action_urls(appointment: Appointment) -> dict[str, str]:
    return {
        name: reverse(f"appointments:{name}", args=[appointment.pk])
        for name in ("cancel", "reschedule", "complete", "no_show")
    }


def offered(html: str, appointment: Appointment) -> set[str]:
    return {name for name, url in action_urls(appointment).items() if url in html}


def test_the_patient_is_offered_cancel_and_reschedule(
    client: Client, patient: User, appointment: Appointment
) -> None:
    html = page_for(client, patient, appointment)

    assert offered(html, appointment) == {"cancel", "reschedule"}
    assert 'name="csrfmiddlewaretoken"' in html
    assert reverse("appointments:ics", args=[appointment.pk]) in html


def test_the_doctor_is_asked_for_a_reason_and_offered_the_outcome_after_the_start(
    client: Client, doctor: User, appointment: Appointment
) -> None:
    html = page_for(client, doctor, appointment)
    assert offered(html, appointment) == {"cancel", "reschedule"}
    assert "The patient will see this reason." in html

    appointment.scheduled_at = timezone.now() - timedelta(minutes=10)
    appointment.save()
    html = page_for(client, doctor, appointment)
    assert offered(html, appointment) == {"cancel", "reschedule", "complete", "no_show"}


def test_the_facilitys_staff_may_cancel_and_reschedule(
    client: Client, facility: Facility, appointment: Appointment
) -> None:
    staff = factories.StaffFactory.create(facility=facility)

    assert offered(page_for(client, staff, appointment), appointment) == {
        "cancel", "reschedule"}


def test_a_staff_participant_and_the_organization_are_offered_nothing(
    client: Client, facility: Facility, appointment: Appointment
) -> None:
    participant = factories.StaffFactory.create()
    appointment.staff = participant
    appointment.save()
    assert facility.organization is not None

    for viewer in (participant, facility.organization):
        assert offered(page_for(client, viewer, appointment), appointment) == set()


def test_a_cancelled_appointment_shows_who_cancelled_and_why_and_offers_nothing(
    client: Client, patient: User, doctor: User, appointment: Appointment
) -> None:
    appointment_cancel(actor=doctor, appointment_id=appointment.pk, reason="Doctor on leave")

    html = page_for(client, patient, appointment)

    assert "Cancelled" in html
    assert "the doctor" in html
    assert "Doctor on leave" in html
    assert offered(html, appointment) == set()
