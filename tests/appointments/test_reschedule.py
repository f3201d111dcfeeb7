"""Rescheduling: one atomic move — the new time taken and the old one freed, or nothing changes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.appointments import errors, lifecycle, services
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultationType,
    WaitlistEntry,
)
from apps.appointments.selectors import user_zone
from apps.notifications.models import Notification, NotificationEvent
from tests import factories
from tests.appointments.lifecycle_support import (
    Clinic,
    in_hours,
    make_clinic,
    on_the_hour,
    working_everyday,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinic() -> Clinic:
    clinic = make_clinic()
    working_everyday(clinic)
    return clinic


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_the_patient_moves_an_appointment_to_a_free_time(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    new_time = on_the_hour(48)

    lifecycle.appointment_reschedule(
        actor=clinic.patient, appointment_id=appointment.pk, scheduled_at=new_time
    )

    appointment.refresh_from_db()
    assert appointment.scheduled_at == new_time
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.facility_id == clinic.facility.pk
    assert Appointment.objects.count() == 1


def test_the_old_time_is_free_again_after_the_move(clinic: Clinic) -> None:
    old_time = on_the_hour(24)
    appointment = clinic.appointment(scheduled_at=old_time)

    lifecycle.appointment_reschedule(
        actor=clinic.doctor, appointment_id=appointment.pk, scheduled_at=on_the_hour(26)
    )
    other = services.appointment_book(
        patient=factories.PatientFactory.create(), doctor=clinic.doctor,
        scheduled_at=old_time, consultation_type=ConsultationType.VIDEO_CALL,
    )

    assert other.scheduled_at == old_time


def test_moving_into_a_taken_time_changes_nothing(clinic: Clinic) -> None:
    old_time, taken = on_the_hour(24), on_the_hour(30)
    appointment = clinic.appointment(scheduled_at=old_time)
    clinic.appointment(scheduled_at=taken, patient=factories.PatientFactory.create())

    with pytest.raises(errors.SlotUnavailable):
        lifecycle.appointment_reschedule(
            actor=clinic.patient, appointment_id=appointment.pk, scheduled_at=taken
        )

    appointment.refresh_from_db()
    assert appointment.scheduled_at == old_time
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.history.count() == 1
    assert not Notification.objects.filter(
        event=NotificationEvent.APPOINTMENT_RESCHEDULED).exists()
    # The old time is still booked: nobody else can take it.
    with pytest.raises(errors.SlotUnavailable):
        services.appointment_book(
            patient=factories.PatientFactory.create(), doctor=clinic.doctor,
            scheduled_at=old_time, consultation_type=ConsultationType.VIDEO_CALL,
        )


def test_a_race_lost_at_the_database_changes_nothing(
    clinic: Clinic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if another booking committed between the check and the UPDATE: the exclusion
    # constraint refuses the UPDATE and the appointment keeps its time.
    old_time, taken = on_the_hour(24), on_the_hour(30)
    appointment = clinic.appointment(scheduled_at=old_time)
    clinic.appointment(scheduled_at=taken, patient=factories.PatientFactory.create())
    monkeypatch.setattr(services, "check_bookable", lambda **kwargs: None)

    with pytest.raises(errors.SlotUnavailable):
        lifecycle.appointment_reschedule(
            actor=clinic.patient, appointment_id=appointment.pk, scheduled_at=taken
        )

    appointment.refresh_from_db()
    assert appointment.scheduled_at == old_time
    assert appointment.history.count() == 1


def test_a_move_onto_the_patients_other_appointment_is_refused(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    elsewhere = on_the_hour(40)
    factories.AppointmentFactory.create(patient=clinic.patient, scheduled_at=elsewhere)

    with pytest.raises(errors.PatientOverlap):
        lifecycle.appointment_reschedule(
            actor=clinic.doctor, appointment_id=appointment.pk, scheduled_at=elsewhere
        )


def test_a_move_to_a_half_overlapping_time_of_its_own_is_allowed(clinic: Clinic) -> None:
    # The appointment's own current time does not count against it.
    start = on_the_hour(24)
    appointment = clinic.appointment(scheduled_at=start, duration_minutes=60)

    lifecycle.appointment_reschedule(
        actor=clinic.patient, appointment_id=appointment.pk,
        scheduled_at=start + timedelta(minutes=30), duration_minutes=30,
    )

    appointment.refresh_from_db()
    assert appointment.scheduled_at == start + timedelta(minutes=30)


def test_the_patient_cannot_move_an_appointment_inside_the_cut_off(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))

    with pytest.raises(errors.TooLateToChange):
        lifecycle.appointment_reschedule(
            actor=clinic.patient, appointment_id=appointment.pk, scheduled_at=on_the_hour(48)
        )


def test_the_doctor_and_the_facilitys_staff_may_move_it_late(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=in_hours(1))

    lifecycle.appointment_reschedule(
        actor=clinic.staff, appointment_id=appointment.pk, scheduled_at=on_the_hour(48)
    )
    lifecycle.appointment_reschedule(
        actor=clinic.doctor, appointment_id=appointment.pk, scheduled_at=on_the_hour(50)
    )

    appointment.refresh_from_db()
    assert appointment.scheduled_at == on_the_hour(50)


def test_outside_the_doctors_hours_is_refused(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))

    with pytest.raises(errors.NotInAvailability):
        lifecycle.appointment_reschedule(
            actor=clinic.patient, appointment_id=appointment.pk,
            scheduled_at=on_the_hour(48) + timedelta(minutes=10),
        )


def test_the_same_time_is_refused(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))

    with pytest.raises(errors.SameTime):
        lifecycle.appointment_reschedule(
            actor=clinic.patient, appointment_id=appointment.pk,
            scheduled_at=appointment.scheduled_at,
        )


def test_a_cancelled_appointment_cannot_be_moved(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24),
                                     status=AppointmentStatus.CANCELLED)

    with pytest.raises(errors.AppointmentNotScheduled):
        lifecycle.appointment_reschedule(
            actor=clinic.doctor, appointment_id=appointment.pk, scheduled_at=on_the_hour(48)
        )


def test_both_are_notified_and_the_history_keeps_the_move(clinic: Clinic) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))

    lifecycle.appointment_reschedule(
        actor=clinic.patient, appointment_id=appointment.pk, scheduled_at=on_the_hour(48)
    )

    notes = Notification.objects.filter(event=NotificationEvent.APPOINTMENT_RESCHEDULED)
    assert sorted(n.user_id for n in notes) == sorted([clinic.patient.pk, clinic.doctor.pk])
    old, new = appointment.history.order_by("history_date")
    assert (old.scheduled_at, new.scheduled_at) == (on_the_hour(24), on_the_hour(48))
    assert new.history_user_id == clinic.patient.pk
    assert new.history_change_reason == "rescheduled"


def test_the_old_time_is_offered_to_that_days_waitlist(clinic: Clinic) -> None:
    old_time = on_the_hour(30)
    appointment = clinic.appointment(scheduled_at=old_time)
    waiting = factories.PatientFactory.create()
    day = timezone.localtime(old_time, user_zone(clinic.doctor)).date()
    WaitlistEntry.objects.create(patient=waiting, doctor=clinic.doctor, day=day)

    lifecycle.appointment_reschedule(
        actor=clinic.doctor, appointment_id=appointment.pk, scheduled_at=on_the_hour(80)
    )

    note = Notification.objects.get(event=NotificationEvent.WAITLIST_SLOT_FREE)
    assert note.user_id == waiting.pk
    assert note.action_url == lifecycle.booking_link(
        doctor_id=clinic.doctor.pk, start=old_time, facility_id=clinic.facility.pk,
        consultation_type=ConsultationType.IN_PERSON)


# --- The page ---------------------------------------------------------------------------


def reschedule_url(appointment: Appointment, **query: Any) -> str:
    url = reverse("appointments:reschedule", args=[appointment.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def test_the_page_lists_free_times_of_the_chosen_day_and_moves_on_post(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    target = on_the_hour(72)
    day = timezone.localtime(target, user_zone(clinic.patient)).date()
    client.force_login(clinic.patient)

    html = client.get(reschedule_url(appointment, day=day.isoformat())).content.decode()
    assert f'value="{iso(target)}"' in html

    response = client.post(reschedule_url(appointment), {"slot": iso(target)}, follow=True)

    assert "The appointment is moved to the new time." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.scheduled_at == target


def test_the_page_refuses_a_time_that_is_not_free_and_changes_nothing(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    taken = on_the_hour(30)
    clinic.appointment(scheduled_at=taken, patient=factories.PatientFactory.create())
    client.force_login(clinic.patient)

    response = client.post(reschedule_url(appointment), {"slot": iso(taken)})

    assert response.status_code == 200
    assert "This time is no longer available." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.scheduled_at == on_the_hour(24)


@pytest.mark.parametrize("garbage", ["", "tomorrow", "2026-13-45T10:00:00Z",
                                     "2026-03-08T10:00:00"])
def test_the_page_answers_garbage_with_a_message(
    client: Client, clinic: Clinic, garbage: str
) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    client.force_login(clinic.patient)

    response = client.post(reschedule_url(appointment), {"slot": garbage})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


def test_a_bad_day_in_the_query_falls_back_without_an_error_page(
    client: Client, clinic: Clinic
) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    client.force_login(clinic.patient)

    response = client.get(reschedule_url(appointment, day="not-a-day"))

    assert response.status_code == 200


@pytest.mark.parametrize("outsider", ["staff", "patient", "doctor", "organization"])
def test_outsiders_get_a_404(client: Client, clinic: Clinic, outsider: str) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    client.force_login({
        "staff": factories.StaffFactory.create,
        "patient": factories.PatientFactory.create,
        "doctor": factories.DoctorFactory.create,
        "organization": factories.OrganizationFactory.create,
    }[outsider]())

    assert client.get(reschedule_url(appointment)).status_code == 404
    response = client.post(reschedule_url(appointment), {"slot": iso(on_the_hour(48))})
    assert response.status_code == 404
    appointment.refresh_from_db()
    assert appointment.scheduled_at == on_the_hour(24)


def test_the_page_runs_a_bounded_number_of_queries(
    client: Client, clinic: Clinic, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    for hours in range(26, 40):
        clinic.appointment(scheduled_at=on_the_hour(hours),
                           patient=factories.PatientFactory.create())
    client.force_login(clinic.patient)
    day = timezone.localtime(on_the_hour(30), user_zone(clinic.patient)).date()

    with django_assert_max_num_queries(8):
        response = client.get(reschedule_url(appointment, day=day.isoformat()))

    assert response.status_code == 200
