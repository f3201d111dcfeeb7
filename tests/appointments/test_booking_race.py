"""Ten patients book one doctor's slot at the same instant: one wins, nine are told why not.

And one patient booking two (or ten) doctors at the same time gets one appointment; a
patient whose account closes while their booking waits gets none.
"""

from __future__ import annotations

import threading
import zoneinfo
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import errors
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType
from apps.appointments.services import appointment_book
from tests import factories
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RACERS = 10
KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")
T = TypeVar("T")




@pytest.fixture
def doctor() -> User:
    doctor = factories.DoctorFactory.create()
    factories.available_all_week(doctor)
    return doctor


@pytest.fixture
def patients() -> list[User]:
    return [factories.PatientFactory.create() for _ in range(RACERS)]


@pytest.fixture
def day() -> date:
    return timezone.localdate(timezone=KARACHI) + timedelta(days=1)


def test_ten_simultaneous_bookings_through_the_view_leave_one_appointment(
    doctor: User, patients: list[User], day: date
) -> None:
    url = reverse("appointments:book", args=[doctor.pk])
    slot = datetime.combine(day, datetime.min.time(), tzinfo=KARACHI).replace(hour=11)
    data = {
        "slot": slot.isoformat(), "facility": "", "week": "0",
        "consultation_type": ConsultationType.VIDEO_CALL, "chief_complaint": "Race",
    }
    clients = []
    for patient in patients:
        client = Client()
        client.force_login(patient)
        clients.append(client)

    def submit(client: Client) -> tuple[int, str, str]:
        response = client.post(url, data)
        return response.status_code, response.get("Location", ""), response.content.decode()

    results = race([partial(submit, client) for client in clients])

    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    responses = [r for r in results if not isinstance(r, BaseException)]
    winner = Appointment.objects.get(doctor=doctor, status=AppointmentStatus.SCHEDULED)
    redirects = [r for r in responses if r[0] == 302]
    refusals = [r for r in responses if r[0] == 200]
    assert redirects == [(302, reverse("appointments:detail", args=[winner.pk]), "")]
    assert len(refusals) == RACERS - 1
    assert all("This time is no longer available." in body for _, _, body in refusals)
    assert Appointment.objects.count() == 1
    assert winner.scheduled_at == datetime.combine(day, datetime.min.time(), tzinfo=KARACHI
                                                   ).replace(hour=11)


def test_ten_simultaneous_bookings_through_the_service_leave_one_appointment(
    doctor: User, patients: list[User]
) -> None:
    slot = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    def book(patient: User) -> Appointment:
        return appointment_book(
            patient=patient, doctor=doctor, scheduled_at=slot,
            consultation_type=ConsultationType.PHONE,
        )

    results = race([partial(book, patient) for patient in patients])

    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, errors.SlotUnavailable)]
    others = [r for r in results if r not in booked and r not in refused]
    assert others == []
    assert len(booked) == 1
    assert len(refused) == RACERS - 1
    assert {str(r.message) for r in refused} == {"This time is no longer available."}
    assert Appointment.objects.filter(status=AppointmentStatus.SCHEDULED).count() == 1
    assert Appointment.objects.get().pk == booked[0].pk


def test_one_patient_booking_two_doctors_at_once_gets_one_appointment(
    doctor: User, patients: list[User]
) -> None:
    patient = patients[0]
    second_doctor = factories.DoctorFactory.create()
    factories.available_all_week(second_doctor)
    slot = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    def book(with_doctor: User) -> Appointment:
        return appointment_book(
            patient=patient, doctor=with_doctor, scheduled_at=slot,
            consultation_type=ConsultationType.VIDEO_CALL,
        )

    results = race([partial(book, doctor), partial(book, second_doctor)])

    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, errors.PatientOverlap)]
    assert (len(booked), len(refused)) == (1, 1), results
    assert str(refused[0].message) == "You already have an appointment at this time."
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_one_patient_booking_ten_doctors_at_once_gets_one_appointment(
    patients: list[User],
) -> None:
    patient = patients[0]
    doctors = [factories.DoctorFactory.create() for _ in range(RACERS)]
    for each in doctors:
        factories.available_all_week(each)
    slot = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    def book(with_doctor: User) -> Appointment:
        return appointment_book(patient=patient, doctor=with_doctor, scheduled_at=slot,
                                consultation_type=ConsultationType.PHONE)

    results = race([partial(book, each) for each in doctors])

    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, errors.PatientOverlap)]
    assert (len(booked), len(refused)) == (1, RACERS - 1), results
    assert Appointment.objects.filter(patient=patient).count() == 1


def test_a_booking_outside_a_transaction_is_one_read_and_one_write(
    doctor: User, patients: list[User],
) -> None:
    slot = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)

    with CaptureQueriesContext(connection) as captured:
        appointment_book(patient=patients[0], doctor=doctor, scheduled_at=slot,
                         consultation_type=ConsultationType.PHONE)

    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == 2, statements
    assert "UNION ALL" in statements[0]
    assert statements[1].startswith("WITH doctor AS")
    assert not connection.in_atomic_block


def test_a_patient_closed_while_the_booking_waits_gets_no_appointment(
    doctor: User, patients: list[User],
) -> None:
    patient = patients[0]
    slot = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    outcome: list[object] = []

    def book() -> None:
        try:
            outcome.append(appointment_book(patient=patient, doctor=doctor, scheduled_at=slot,
                                            consultation_type=ConsultationType.PHONE))
        except errors.BookingError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    booking = threading.Thread(target=book)
    with transaction.atomic():  # the account closure holds the patient's row meanwhile
        User.objects.select_for_update().filter(pk=patient.pk).update(
            deleted_at=timezone.now())
        booking.start()
        booking.join(1.0)
        assert booking.is_alive(), "the booking did not wait for the closure"
    booking.join(30)

    assert len(outcome) == 1 and isinstance(outcome[0], errors.NotAPatient), outcome
    assert not Appointment.objects.exists()


def test_a_doctor_closed_while_the_booking_waits_gets_no_appointment(
    doctor: User, patients: list[User],
) -> None:
    slot = (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    outcome: list[object] = []

    def book() -> None:
        try:
            outcome.append(appointment_book(patient=patients[0], doctor=doctor,
                                            scheduled_at=slot,
                                            consultation_type=ConsultationType.PHONE))
        except errors.BookingError as exc:
            outcome.append(exc)
        finally:
            connection.close()

    booking = threading.Thread(target=book)
    with transaction.atomic():  # an account closure: the doctor's row is updated first
        User.objects.filter(pk=doctor.pk).update(deleted_at=timezone.now())
        booking.start()
        booking.join(1.0)
        assert booking.is_alive(), "the booking did not wait for the closure"
    booking.join(30)

    assert len(outcome) == 1 and isinstance(outcome[0], errors.DoctorUnavailable), outcome
    assert not Appointment.objects.exists()
