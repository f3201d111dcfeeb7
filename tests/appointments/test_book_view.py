"""The booking page: local time in, UTC stored, refusals shown in the form, never a 500."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from typing import cast

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


@pytest.fixture
def day() -> date:
    return timezone.localdate(timezone=KARACHI) + timedelta(days=3)


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create(city="Islamabad")


@pytest.fixture
def clinic_doctor(facility: Facility) -> User:
    return factories.DoctorFactory.create(facilities=[facility])


def post_booking(client: Client, doctor: User, **fields: object) -> HttpResponse:
    data: dict[str, object] = {
        "consultation_type": ConsultationType.VIDEO_CALL,
        "chief_complaint": "Headache",
        "facility": "",
    }
    data.update(fields)
    response = client.post(reverse("appointments:book", args=[doctor.pk]), data)
    return cast(HttpResponse, response)


def test_it_shows_the_booking_form_to_a_patient(
    client: Client, patient: User, clinic_doctor: User, facility: Facility,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(patient)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("appointments:book", args=[clinic_doctor.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="date"' in html
    assert facility.name in html


def test_it_books_and_redirects_to_the_appointment(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(client, doctor, date=day.isoformat(), time="15:00")

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "appointments:detail", args=[appointment.pk]
    )
    follow = client.get(response["Location"])
    assert "Your appointment is booked." in follow.content.decode()


def test_it_reads_the_time_in_the_patients_zone_and_stores_utc(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    post_booking(client, doctor, date=day.isoformat(), time="15:00")

    stored = Appointment.objects.get().scheduled_at
    assert stored == datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=10)


def test_it_uses_a_patients_own_time_zone(
    client: Client, doctor: User, day: date
) -> None:
    patient = factories.PatientFactory.create(time_zone="Asia/Dubai")
    client.force_login(patient)

    post_booking(client, doctor, date=day.isoformat(), time="15:00")

    stored = Appointment.objects.get().scheduled_at
    assert stored == datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=11)


def test_it_books_in_person_at_the_chosen_facility(
    client: Client, patient: User, clinic_doctor: User, facility: Facility, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(
        client, clinic_doctor, date=day.isoformat(), time="09:30",
        consultation_type=ConsultationType.IN_PERSON, facility=facility.pk,
    )

    assert response.status_code == 302
    assert Appointment.objects.get().facility_id == facility.pk


def test_it_shows_a_taken_slot_as_no_longer_available(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime.combine(day, datetime.min.time(), tzinfo=KARACHI)
        .replace(hour=15)
    )
    client.force_login(patient)

    response = post_booking(client, doctor, date=day.isoformat(), time="15:15")

    assert response.status_code == 200
    assert "This time is no longer available." in response.content.decode()
    assert Appointment.objects.count() == 1


def test_it_refuses_a_time_in_the_past_in_the_form(
    client: Client, patient: User, doctor: User
) -> None:
    client.force_login(patient)
    yesterday = timezone.localdate(timezone=KARACHI) - timedelta(days=1)

    response = post_booking(client, doctor, date=yesterday.isoformat(), time="10:00")

    assert response.status_code == 200
    assert "Choose a time in the future." in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_asks_for_a_facility_for_an_in_person_visit(
    client: Client, patient: User, clinic_doctor: User, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(
        client, clinic_doctor, date=day.isoformat(), time="10:00",
        consultation_type=ConsultationType.IN_PERSON,
    )

    assert response.status_code == 200
    assert ("Choose one of this doctor&#x27;s facilities for an in-person visit."
            in response.content.decode())
    assert not Appointment.objects.exists()


def test_it_refuses_a_facility_for_a_phone_call(
    client: Client, patient: User, clinic_doctor: User, facility: Facility, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(
        client, clinic_doctor, date=day.isoformat(), time="10:00",
        consultation_type=ConsultationType.PHONE, facility=facility.pk,
    )

    assert response.status_code == 200
    assert ("Video and phone consultations do not take place at a facility."
            in response.content.decode())
    assert not Appointment.objects.exists()


def test_it_refuses_a_facility_the_doctor_does_not_practise_at(
    client: Client, patient: User, clinic_doctor: User, day: date
) -> None:
    elsewhere = factories.FacilityFactory.create()
    client.force_login(patient)

    response = post_booking(
        client, clinic_doctor, date=day.isoformat(), time="10:00",
        consultation_type=ConsultationType.IN_PERSON, facility=elsewhere.pk,
    )

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": "not-a-date", "time": "10:00"}, "Enter a valid date."),
        ({"date": "2099-02-30", "time": "10:00"}, "Enter a valid date."),
        ({"date": "2099-01-01", "time": "25:99"}, "Enter a valid time."),
        ({"date": "", "time": ""}, "This field is required."),
        ({"date": "2099-01-01", "time": "10:00", "consultation_type": "FAX"},
         "Select a valid choice."),
        ({"date": "2099-01-01", "time": "10:00", "facility": "abc"},
         "Select a valid choice."),
    ],
)
def test_it_answers_bad_input_with_a_form_error(
    client: Client, patient: User, doctor: User, fields: dict[str, str], message: str
) -> None:
    client.force_login(patient)

    response = post_booking(client, doctor, **fields)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_refuses_a_patient_with_an_unverified_email(
    client: Client, doctor: User, day: date
) -> None:
    unverified = factories.PatientFactory.create(is_verified=False)
    client.force_login(unverified)

    response = post_booking(client, doctor, date=day.isoformat(), time="10:00")

    assert response.status_code == 200
    assert ("Verify your email address before booking an appointment."
            in response.content.decode())
    assert not Appointment.objects.exists()


def test_it_refuses_a_doctor_booking_for_themselves(
    client: Client, doctor: User, other_doctor: User, day: date
) -> None:
    client.force_login(other_doctor)

    response = post_booking(client, doctor, date=day.isoformat(), time="10:00")

    assert response.status_code == 200
    assert "Only patients can book appointments." in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_is_a_404_for_a_doctor_without_pmdc_verification(
    client: Client, patient: User, day: date
) -> None:
    unverified = factories.DoctorFactory.create(pmdc_verified=False)
    client.force_login(patient)

    response = post_booking(client, unverified, date=day.isoformat(), time="10:00")

    assert response.status_code == 404
    assert not Appointment.objects.exists()


def test_it_is_a_404_for_a_soft_deleted_doctor(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    doctor.soft_delete()
    doctor.save()
    client.force_login(patient)

    response = post_booking(client, doctor, date=day.isoformat(), time="10:00")

    assert response.status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(
    client: Client, doctor: User, day: date
) -> None:
    response = post_booking(client, doctor, date=day.isoformat(), time="10:00")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Appointment.objects.exists()
