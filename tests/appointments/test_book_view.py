"""The booking page: a week of truly free times in the viewer's zone, then one click to book."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType, ExceptionKind
from apps.appointments.services import booking_notices_send
from apps.facilities.models import Facility
from apps.notifications.models import Notification
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


@pytest.fixture
def day() -> date:
    return timezone.localdate(timezone=KARACHI) + timedelta(days=3)


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create(city="Islamabad", name="Blue Area Clinic")


@pytest.fixture
def doctor(doctor: User, day: date) -> User:
    """Works remotely 09:00-11:00 Karachi time on `day`'s weekday."""
    factories.AvailabilityFactory.create(doctor=doctor, weekday=day.weekday(),
                                         start_time=time(9), end_time=time(11))
    return doctor


@pytest.fixture
def clinic_doctor(facility: Facility, day: date) -> User:
    """Sees patients at `facility` 14:00-15:00 on `day`'s weekday, and nothing remote."""
    doctor = factories.DoctorFactory.create(facilities=[facility])
    factories.AvailabilityFactory.create(doctor=doctor, weekday=day.weekday(), facility=facility,
                                         start_time=time(14), end_time=time(15))
    return doctor


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KARACHI).astimezone(UTC)


def page(client: Client, doctor: User, **params: str | int) -> tuple[int, str]:
    response = client.get(reverse("appointments:book", args=[doctor.pk]), params)
    return response.status_code, response.content.decode()


def post_booking(client: Client, doctor: User, **fields: object) -> HttpResponse:
    data: dict[str, object] = {
        "consultation_type": ConsultationType.VIDEO_CALL,
        "chief_complaint": "Headache",
        "facility": "",
        "week": "0",
    }
    data.update(fields)
    response = client.post(reverse("appointments:book", args=[doctor.pk]), data)
    return cast(HttpResponse, response)


def listed_slots(html: str) -> list[str]:
    return re.findall(r'name="slot" value="([^"]+)"', html)


# --- the list of free times -------------------------------------------------------------


def test_it_lists_the_free_times_of_the_week_as_utc_values(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    status, html = page(client, doctor)

    assert status == 200
    assert listed_slots(html) == [at(day, h, m).isoformat() for h, m in
                                  ((9, 0), (9, 30), (10, 0), (10, 30))]
    assert day.strftime("%A") in html
    assert "Free times for a video call" in html
    assert "Times are in your time zone (Asia/Karachi)." in html


def test_it_shows_a_utc_stored_time_on_the_karachi_wall_clock(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    _, html = page(client, doctor)

    # 09:00 in Karachi is 04:00 UTC: the value carries UTC, the label Karachi's time.
    assert f'value="{day.isoformat()}T04:00:00+00:00"> <time datetime="' \
           f'{day.isoformat()}T04:00:00+00:00">09:00</time>' in html


def test_a_viewer_in_another_zone_sees_the_same_instant_on_their_own_clock(
    client: Client, doctor: User, day: date
) -> None:
    dubai = factories.PatientFactory.create(time_zone="Asia/Dubai")
    client.force_login(dubai)

    _, html = page(client, doctor)

    assert f'datetime="{day.isoformat()}T04:00:00+00:00">08:00</time>' in html
    assert "Times are in your time zone (Asia/Dubai)." in html


def test_booked_and_past_times_are_not_listed(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 9, 30))
    client.force_login(patient)

    _, html = page(client, doctor)

    assert at(day, 9, 30).isoformat() not in listed_slots(html)
    assert len(listed_slots(html)) == 3
    assert all(datetime.fromisoformat(v) > timezone.now() for v in listed_slots(html))


def test_a_day_off_empties_that_day(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    factories.AvailabilityExceptionFactory.create(doctor=doctor, start_date=day,
                                                  kind=ExceptionKind.DAY_OFF)
    client.force_login(patient)

    _, html = page(client, doctor)

    assert listed_slots(html) == []
    assert "No free times this week for this kind of visit." in html


def test_a_fully_booked_day_offers_the_waitlist(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 9),
                                        duration_minutes=120)
    client.force_login(patient)

    _, html = page(client, doctor)

    assert "Fully booked." in html
    waitlist = reverse("appointments:waitlist_join")
    assert f"{waitlist}?doctor={doctor.pk}&amp;day={day.isoformat()}" in html
    assert html.count("Join the waitlist") == 1  # days without hours get no waitlist link


def test_it_pages_week_by_week(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    _, next_week = page(client, doctor, week=1)
    _, too_far = page(client, doctor, week=99)

    assert listed_slots(next_week)[0] == at(day + timedelta(days=7), 9).isoformat()
    assert 'rel="prev"' in next_week
    assert listed_slots(too_far)[0] == at(day, 9).isoformat()  # out of range: this week
    assert 'rel="prev"' not in too_far
    assert "week=1" in too_far


def test_it_lists_in_person_times_at_the_chosen_facility(
    client: Client, patient: User, clinic_doctor: User, facility: Facility, day: date
) -> None:
    client.force_login(patient)

    _, video = page(client, clinic_doctor, consultation_type=ConsultationType.VIDEO_CALL)
    _, in_person = page(client, clinic_doctor, consultation_type=ConsultationType.IN_PERSON,
                        facility=facility.pk)
    _, default = page(client, clinic_doctor)

    assert listed_slots(video) == []
    assert listed_slots(in_person) == [at(day, 14).isoformat(), at(day, 14, 30).isoformat()]
    assert "Free times for an in-person visit at Blue Area Clinic" in in_person
    assert f'name="facility" value="{facility.pk}"' in in_person
    # With no choice made, the page lists the place that has free times.
    assert listed_slots(default) == listed_slots(in_person)


def test_it_ignores_filters_that_do_not_parse(
    client: Client, patient: User, doctor: User
) -> None:
    client.force_login(patient)

    status, html = page(client, doctor, consultation_type="FAX", facility="abc", week="x")

    assert status == 200
    assert len(listed_slots(html)) == 4


def test_the_page_costs_a_bounded_number_of_queries(
    client: Client, patient: User, clinic_doctor: User, facility: Facility, day: date,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    factories.available_all_week(clinic_doctor)
    for hour in range(24):
        factories.AppointmentFactory.create(doctor=clinic_doctor, scheduled_at=at(day, hour))
    client.force_login(patient)

    with django_assert_max_num_queries(12):
        status, html = page(client, clinic_doctor, consultation_type="IN_PERSON",
                            facility=facility.pk)

    assert status == 200
    assert listed_slots(html)


# --- booking ----------------------------------------------------------------------------


def test_it_books_the_chosen_time_and_redirects_to_the_appointment(
    client: Client, patient: User, doctor: User, day: date,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(patient)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_booking(client, doctor, slot=at(day, 10).isoformat())
        booking_notices_send()  # the beat job, seconds later

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("appointments:detail", args=[appointment.pk])
    assert appointment.scheduled_at == datetime.combine(day, time(5), tzinfo=UTC)
    assert appointment.duration_minutes == 30
    assert appointment.chief_complaint == "Headache"
    assert Notification.objects.filter(user__in=[patient, doctor]).count() == 2
    follow = client.get(response["Location"])
    assert "Your appointment is booked." in follow.content.decode()


def test_it_books_in_person_at_the_facility(
    client: Client, patient: User, clinic_doctor: User, facility: Facility, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(client, clinic_doctor, slot=at(day, 14, 30).isoformat(),
                            consultation_type=ConsultationType.IN_PERSON, facility=facility.pk)

    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert (appointment.facility_id, appointment.scheduled_at) == (facility.pk, at(day, 14, 30))


def test_a_time_taken_meanwhile_is_refused_in_the_form(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 9))
    client.force_login(patient)

    response = post_booking(client, doctor, slot=at(day, 9).isoformat())

    html = response.content.decode()
    assert response.status_code == 200
    assert "This time is no longer available." in html
    assert Appointment.objects.count() == 1
    assert len(listed_slots(html)) == 3  # the list is shown again, without that time


def test_a_time_outside_the_doctors_hours_is_refused(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(client, doctor, slot=at(day, 11).isoformat())

    assert response.status_code == 200
    assert "The doctor does not offer this time for this kind of visit." in \
        response.content.decode()
    assert not Appointment.objects.exists()


def test_a_remote_time_cannot_be_booked_as_an_in_person_visit(
    client: Client, patient: User, facility: Facility, day: date
) -> None:
    doctor = factories.DoctorFactory.create(facilities=[facility])
    factories.AvailabilityFactory.create(doctor=doctor, weekday=day.weekday())
    client.force_login(patient)

    response = post_booking(client, doctor, slot=at(day, 9).isoformat(),
                            consultation_type=ConsultationType.IN_PERSON, facility=facility.pk)

    assert response.status_code == 200
    assert "The doctor does not offer this time for this kind of visit." in \
        response.content.decode()
    assert not Appointment.objects.exists()


def test_it_refuses_a_time_in_the_past_in_the_form(
    client: Client, patient: User, doctor: User
) -> None:
    client.force_login(patient)

    response = post_booking(client, doctor,
                            slot=(timezone.now() - timedelta(hours=1)).isoformat())

    assert response.status_code == 200
    assert "Choose a time in the future." in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_asks_for_a_facility_for_an_in_person_visit(
    client: Client, patient: User, clinic_doctor: User, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(client, clinic_doctor, slot=at(day, 14).isoformat(),
                            consultation_type=ConsultationType.IN_PERSON)

    assert response.status_code == 200
    assert ("Choose one of this doctor&#x27;s facilities for an in-person visit."
            in response.content.decode())
    assert not Appointment.objects.exists()


def test_it_refuses_a_facility_for_a_phone_call(
    client: Client, patient: User, clinic_doctor: User, facility: Facility, day: date
) -> None:
    client.force_login(patient)

    response = post_booking(client, clinic_doctor, slot=at(day, 14).isoformat(),
                            consultation_type=ConsultationType.PHONE, facility=facility.pk)

    assert response.status_code == 200
    assert ("Video and phone consultations do not take place at a facility."
            in response.content.decode())
    assert not Appointment.objects.exists()


def test_it_refuses_a_facility_the_doctor_does_not_practise_at(
    client: Client, patient: User, clinic_doctor: User, day: date
) -> None:
    elsewhere = factories.FacilityFactory.create()
    client.force_login(patient)

    response = post_booking(client, clinic_doctor, slot=at(day, 14).isoformat(),
                            consultation_type=ConsultationType.IN_PERSON, facility=elsewhere.pk)

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Appointment.objects.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slot": "not-a-date"}, "Choose one of the free times listed."),
        ({"slot": "2099-02-30T10:00:00+00:00"}, "Choose one of the free times listed."),
        ({"slot": "2099-01-01T10:00:00"}, "Choose one of the free times listed."),
        ({"slot": ""}, "Choose one of the free times listed."),
        ({"slot": "2099-01-01T10:00:00+00:00", "consultation_type": "FAX"},
         "Select a valid choice."),
        ({"slot": "2099-01-01T10:00:00+00:00", "consultation_type": ""},
         "This field is required."),
        ({"slot": "2099-01-01T10:00:00+00:00", "facility": "abc"}, "Select a valid choice."),
        ({"slot": "x" * 500}, "Choose one of the free times listed."),
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

    response = post_booking(client, doctor, slot=at(day, 9).isoformat())

    assert response.status_code == 200
    assert ("Verify your email address before booking an appointment."
            in response.content.decode())
    assert not Appointment.objects.exists()


def test_it_refuses_a_doctor_booking_another_doctor(
    client: Client, doctor: User, other_doctor: User, day: date
) -> None:
    client.force_login(other_doctor)

    response = post_booking(client, doctor, slot=at(day, 9).isoformat())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Only patients can book appointments." in html
    assert listed_slots(html) == []
    assert not Appointment.objects.exists()


def test_it_is_a_404_for_a_doctor_without_pmdc_verification(
    client: Client, patient: User, day: date
) -> None:
    unverified = factories.DoctorFactory.create(pmdc_verified=False)
    factories.available_all_week(unverified)
    client.force_login(patient)

    response = post_booking(client, unverified, slot=at(day, 9).isoformat())

    assert response.status_code == 404
    assert page(client, unverified)[0] == 404
    assert not Appointment.objects.exists()


def test_it_is_a_404_for_a_soft_deleted_doctor(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    doctor.soft_delete()
    doctor.save()
    client.force_login(patient)

    response = post_booking(client, doctor, slot=at(day, 9).isoformat())

    assert response.status_code == 404


def test_it_sends_an_anonymous_visitor_to_log_in(
    client: Client, doctor: User, day: date
) -> None:
    response = post_booking(client, doctor, slot=at(day, 9).isoformat())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Appointment.objects.exists()
