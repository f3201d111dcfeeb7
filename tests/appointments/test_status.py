"""Status moves only SCHEDULED → COMPLETED / CANCELLED / NO_SHOW, the outcome only by the doctor."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.appointments import errors
from apps.appointments.lifecycle import (
    appointment_cancel,
    appointment_complete,
    appointment_mark_no_show,
)
from apps.appointments.models import AppointmentStatus
from tests import factories
from tests.appointments.lifecycle_support import Clinic, in_hours, make_clinic

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()


def test_the_doctor_marks_a_started_appointment_completed(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-1))
    client.force_login(clinic.doctor)

    response = client.post(reverse("appointments:complete", args=[appointment.pk]),
                           follow=True)

    assert "The appointment is marked completed." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    latest = appointment.history.latest()
    assert (latest.status, latest.history_user_id) == ("COMPLETED", clinic.doctor.pk)


def test_the_doctor_marks_a_no_show(client: Client, clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-0.25))
    client.force_login(clinic.doctor)

    client.post(reverse("appointments:no_show", args=[appointment.pk]))

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW


def test_completing_before_the_start_is_refused_with_the_reason(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))
    client.force_login(clinic.doctor)

    response = client.post(reverse("appointments:complete", args=[appointment.pk]),
                           follow=True)

    assert "only after it has started" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_no_show_before_the_start_is_refused(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(0.1))

    with pytest.raises(errors.NotStartedYet):
        appointment_mark_no_show(actor=clinic.doctor, appointment_id=appointment.pk)


@pytest.mark.parametrize("who", ["patient", "staff"])
def test_only_the_doctor_records_the_outcome(clinic: Clinic, who: str) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-1))

    with pytest.raises(errors.ChangeNotAllowed):
        appointment_complete(actor=getattr(clinic, who), appointment_id=appointment.pk)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_another_doctor_gets_a_404(client: Client, clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-1))
    client.force_login(factories.DoctorFactory.create())

    for name in ("appointments:complete", "appointments:no_show"):
        response = client.post(reverse(name, args=[appointment.pk]))
        assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


@pytest.mark.parametrize("final", [AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW,
                                   AppointmentStatus.CANCELLED])
def test_a_final_status_never_changes_again(clinic: Clinic, final: str) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(-1), status=final)

    with pytest.raises(errors.AppointmentNotScheduled):
        appointment_complete(actor=clinic.doctor, appointment_id=appointment.pk)
    with pytest.raises(errors.AppointmentNotScheduled):
        appointment_mark_no_show(actor=clinic.doctor, appointment_id=appointment.pk)
    with pytest.raises(errors.AppointmentNotScheduled):
        appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk, reason="x")
    appointment.refresh_from_db()
    assert appointment.status == final


def test_the_outcome_buttons_show_for_the_doctor_only_after_the_start(
    client: Client, clinic: Clinic
) -> None:
    future = clinic.appointment(scheduled_at=in_hours(5))
    started = clinic.appointment(scheduled_at=in_hours(-1),
                                 patient=factories.PatientFactory.create())
    complete_url = reverse("appointments:complete", args=[started.pk])

    client.force_login(clinic.doctor)
    assert complete_url in client.get(
        reverse("appointments:detail", args=[started.pk])).content.decode()
    assert reverse("appointments:complete", args=[future.pk]) not in client.get(
        reverse("appointments:detail", args=[future.pk])).content.decode()

    client.force_login(started.patient)
    assert complete_url not in client.get(
        reverse("appointments:detail", args=[started.pk])).content.decode()
