"""Cancelling: the patient's 2-hour cut-off, a reason from doctors and staff, the slot freed."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.appointments import errors
from apps.appointments.lifecycle import appointment_cancel
from apps.appointments.models import Appointment, AppointmentStatus
from apps.notifications.models import Notification, NotificationEvent
from tests import factories
from tests.appointments.lifecycle_support import Clinic, in_hours, make_clinic

pytestmark = pytest.mark.django_db

TOO_LATE = "up to 2 hours before they start"


@pytest.fixture
def clinic() -> Clinic:
    return make_clinic()


def post_cancel(client: Client, appointment: Appointment, reason: str = "") -> str:
    response = client.post(
        reverse("appointments:cancel", args=[appointment.pk]), {"reason": reason}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode()


# --- The patient ------------------------------------------------------------------------


def test_a_patient_cancelling_one_hour_before_is_refused_with_the_reason(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))
    client.force_login(clinic.patient)

    html = post_cancel(client, appointment)

    assert TOO_LATE in html
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.cancelled_by is None


def test_a_patient_cancelling_three_hours_before_cancels(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(3))
    client.force_login(clinic.patient)

    html = post_cancel(client, appointment)

    assert "The appointment is cancelled." in html
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == clinic.patient
    assert appointment.cancellation_reason is None


def test_the_service_refuses_a_patient_inside_the_cut_off(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1.9))

    with pytest.raises(errors.TooLateToChange):
        appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk)


def test_a_patient_may_give_a_reason_and_it_is_kept(clinic: Clinic) -> None:
    appointment = clinic.appointment()

    appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk,
                       reason="  Travelling that week ")

    appointment.refresh_from_db()
    assert appointment.cancellation_reason == "Travelling that week"


def test_the_detail_page_tells_a_patient_inside_the_cut_off_why_there_is_no_button(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))
    client.force_login(clinic.patient)

    html = client.get(reverse("appointments:detail", args=[appointment.pk])).content.decode()

    assert TOO_LATE in html
    assert reverse("appointments:cancel", args=[appointment.pk]) not in html


# --- The doctor and the facility's staff ------------------------------------------------


def test_a_doctor_cancelling_without_a_reason_is_refused(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))
    client.force_login(clinic.doctor)

    html = post_cancel(client, appointment, reason="   ")

    assert "Give a reason for the cancellation" in html
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_a_doctor_cancels_an_hour_before_with_a_reason(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))
    client.force_login(clinic.doctor)

    html = post_cancel(client, appointment, reason="Called into surgery")

    assert "The appointment is cancelled." in html
    assert "Called into surgery" in html
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == clinic.doctor
    assert appointment.cancellation_reason == "Called into surgery"


def test_the_facilitys_staff_cancel_with_a_reason(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(0.5))

    with pytest.raises(errors.CancellationReasonRequired):
        appointment_cancel(actor=clinic.staff, appointment_id=appointment.pk)
    appointment_cancel(actor=clinic.staff, appointment_id=appointment.pk,
                       reason="Clinic closed for a power cut")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == clinic.staff


def test_staff_of_another_facility_get_a_404(client: Client, clinic: Clinic) -> None:
    appointment = clinic.appointment()
    client.force_login(factories.StaffFactory.create())

    response = client.post(reverse("appointments:cancel", args=[appointment.pk]),
                           {"reason": "Not mine"})

    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


@pytest.mark.parametrize("outsider", ["patient", "doctor", "organization", "admin"])
def test_other_outsiders_get_a_404(client: Client, clinic: Clinic, outsider: str) -> None:
    appointment = clinic.appointment()
    user = {
        "patient": factories.PatientFactory.create,
        "doctor": factories.DoctorFactory.create,
        "organization": factories.OrganizationFactory.create,
        "admin": factories.AdminFactory.create,
    }[outsider]()
    client.force_login(user)

    response = client.post(reverse("appointments:cancel", args=[appointment.pk]),
                           {"reason": "Not mine"})

    assert response.status_code == 404
    with pytest.raises(Appointment.DoesNotExist):
        appointment_cancel(actor=user, appointment_id=appointment.pk, reason="x")


def test_the_owning_organization_sees_the_appointment_but_cannot_cancel_it(
    clinic: Clinic,
) -> None:
    appointment = clinic.appointment()
    assert clinic.facility.organization is not None

    with pytest.raises(errors.ChangeNotAllowed):
        appointment_cancel(actor=clinic.facility.organization,
                           appointment_id=appointment.pk, reason="Budget")


def test_cancel_is_post_only(client: Client, clinic: Clinic) -> None:
    appointment = clinic.appointment()
    client.force_login(clinic.patient)

    response = client.get(reverse("appointments:cancel", args=[appointment.pk]))

    assert response.status_code == 405


def test_a_cancel_needs_the_csrf_token(clinic: Clinic) -> None:
    appointment = clinic.appointment()
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinic.patient)

    response = client.post(reverse("appointments:cancel", args=[appointment.pk]))

    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


# --- What a cancellation changes --------------------------------------------------------


def test_a_cancelled_appointment_cannot_be_cancelled_again(clinic: Clinic) -> None:
    appointment = clinic.appointment()
    appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk)

    with pytest.raises(errors.AppointmentNotScheduled, match="already cancelled"):
        appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk, reason="x")


def test_the_slot_is_free_at_once_for_another_patient(clinic: Clinic) -> None:
    start = in_hours(30)
    appointment = clinic.appointment(scheduled_at=start)
    appointment_cancel(actor=clinic.patient, appointment_id=appointment.pk)

    # The exclusion constraint covers SCHEDULED rows only: the same time is insertable again.
    again = clinic.appointment(scheduled_at=start, patient=factories.PatientFactory.create())

    assert again.status == AppointmentStatus.SCHEDULED


def test_patient_and_doctor_are_notified_without_the_reason(clinic: Clinic) -> None:
    appointment = clinic.appointment()

    appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk,
                       reason="Family emergency")

    notes = Notification.objects.filter(event=NotificationEvent.APPOINTMENT_CANCELLED)
    assert sorted(note.user_id for note in notes) == sorted([clinic.patient.pk, clinic.doctor.pk])
    for note in notes:
        assert note.action_url == reverse("appointments:detail", args=[appointment.pk])
        assert "Family emergency" not in note.message
        assert "Persistent cough" not in note.message


def test_the_cancellation_is_in_the_history_with_who_did_it(clinic: Clinic) -> None:
    appointment = clinic.appointment()

    appointment_cancel(actor=clinic.staff, appointment_id=appointment.pk, reason="Closed")

    latest = appointment.history.latest()
    assert latest.status == AppointmentStatus.CANCELLED
    assert latest.history_user_id == clinic.staff.pk
    assert latest.history_change_reason == "cancelled"
    assert appointment.history.count() == 2


def test_through_the_view_the_history_user_is_the_signed_in_user(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment()
    client.force_login(clinic.patient)

    post_cancel(client, appointment)

    latest = appointment.history.latest()
    assert latest.history_user_id == clinic.patient.pk
