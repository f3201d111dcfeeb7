"""The doctor's day and week views, and everyone's upcoming and past lists."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.appointments.selectors import (
    PAGE_SIZE,
    appointments_past,
    appointments_upcoming,
    doctor_calendar,
    week_start,
)
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def detail_url(appointment: Appointment) -> str:
    return reverse("appointments:detail", args=[appointment.pk])


def get(client: Client, user: User, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- Day view ---------------------------------------------------------------------------


def test_the_day_view_shows_that_day_in_the_doctors_zone(client: Client, doctor: User) -> None:
    day = date(2031, 3, 10)
    morning = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime.combine(day, time(0, 30), tzinfo=KARACHI))
    # 23:30 Karachi the evening before is the same UTC date as `morning`: not this day.
    evening_before = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime.combine(day, time(0), tzinfo=KARACHI)
        - timedelta(minutes=30))
    someone_elses = factories.AppointmentFactory.create(
        scheduled_at=datetime.combine(day, time(11), tzinfo=KARACHI))

    html = get(client, doctor, f"{reverse('appointments:doctor_day')}?date=2031-03-10")

    assert detail_url(morning) in html
    assert "00:30" in html
    assert detail_url(evening_before) not in html
    assert detail_url(someone_elses) not in html
    assert "?date=2031-03-09" in html and "?date=2031-03-11" in html


def test_the_day_view_shows_cancelled_and_completed_with_their_status(
    client: Client, doctor: User
) -> None:
    day = timezone.localdate(timezone=KARACHI)
    start = datetime.combine(day, time(9), tzinfo=KARACHI)
    done = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=start,
                                               status=AppointmentStatus.COMPLETED)
    off = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=start,
                                              status=AppointmentStatus.CANCELLED)

    html = get(client, doctor, reverse("appointments:doctor_day"))

    assert detail_url(done) in html and "Completed" in html
    assert detail_url(off) in html and "Cancelled" in html


def test_the_day_view_answers_a_bad_date_with_a_message(client: Client, doctor: User) -> None:
    html = get(client, doctor, f"{reverse('appointments:doctor_day')}?date=2031-02-30")

    assert "Enter a valid date" in html


def test_a_doctor_in_new_york_sees_a_new_york_day(client: Client) -> None:
    doctor = factories.DoctorFactory.create(time_zone="America/New_York")
    day = date(2031, 3, 9)  # daylight-saving time starts: a 23-hour day
    late = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime.combine(day, time(23), tzinfo=NEW_YORK))

    calendar = doctor_calendar(actor=doctor, start=day, days=1)
    html = get(client, doctor, f"{reverse('appointments:doctor_day')}?date=2031-03-09")

    assert calendar.days[0].appointments == [late]
    assert "America/New_York" in html
    assert "23:00" in html


# --- Week view --------------------------------------------------------------------------


def test_the_week_view_groups_monday_to_sunday(client: Client, doctor: User) -> None:
    wednesday = date(2031, 3, 12)
    monday, sunday = week_start(wednesday), week_start(wednesday) + timedelta(days=6)
    first = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime.combine(monday, time(8), tzinfo=KARACHI))
    last = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime.combine(sunday, time(22), tzinfo=KARACHI))
    next_week = factories.AppointmentFactory.create(
        doctor=doctor,
        scheduled_at=datetime.combine(sunday + timedelta(days=1), time(8), tzinfo=KARACHI))

    html = get(client, doctor, f"{reverse('appointments:doctor_week')}?date=2031-03-12")

    assert monday == date(2031, 3, 10)
    assert detail_url(first) in html and detail_url(last) in html
    assert detail_url(next_week) not in html
    assert "?date=2031-03-03" in html and "?date=2031-03-17" in html
    calendar = doctor_calendar(actor=doctor, start=monday, days=7)
    assert [len(d.appointments) for d in calendar.days] == [1, 0, 0, 0, 0, 0, 1]


@pytest.mark.parametrize("name", ["appointments:doctor_day", "appointments:doctor_week"])
@pytest.mark.parametrize("role", ["patient", "staff", "organization", "admin"])
def test_the_calendars_are_for_doctors_only(client: Client, name: str, role: str) -> None:
    client.force_login({
        "patient": factories.PatientFactory.create,
        "staff": factories.StaffFactory.create,
        "organization": factories.OrganizationFactory.create,
        "admin": factories.AdminFactory.create,
    }[role]())

    assert client.get(reverse(name)).status_code == 404


@pytest.mark.parametrize("name", ["appointments:doctor_day", "appointments:doctor_week"])
def test_the_calendars_run_a_bounded_number_of_queries(
    client: Client, doctor: User, name: str,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    monday = week_start(timezone.localdate(timezone=KARACHI))
    for n in range(20):
        factories.AppointmentFactory.create(
            doctor=doctor, facility=factories.FacilityFactory.create(),
            scheduled_at=datetime.combine(monday + timedelta(days=n % 7), time(8 + n % 9),
                                          tzinfo=KARACHI))
    client.force_login(doctor)

    # Session, user, the header's unread count, the appointments.
    with django_assert_max_num_queries(4):
        response = client.get(reverse(name))

    assert response.status_code == 200


# --- Upcoming and past ------------------------------------------------------------------


def in_days(days: float) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(microsecond=0)


def test_upcoming_and_past_split_the_patients_appointments(
    client: Client, patient: User
) -> None:
    soon = factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(1))
    cancelled_ahead = factories.AppointmentFactory.create(
        patient=patient, scheduled_at=in_days(2), status=AppointmentStatus.CANCELLED)
    done = factories.AppointmentFactory.create(
        patient=patient, scheduled_at=in_days(-3), status=AppointmentStatus.COMPLETED)
    missed = factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(-1))
    theirs = factories.AppointmentFactory.create(scheduled_at=in_days(-2))

    upcoming = get(client, patient, reverse("appointments:upcoming"))
    past = get(client, patient, reverse("appointments:past"))

    assert detail_url(soon) in upcoming
    for appointment in (cancelled_ahead, done, missed):
        assert detail_url(appointment) not in upcoming
        assert detail_url(appointment) in past
    assert detail_url(soon) not in past
    assert detail_url(theirs) not in past
    # Latest first.
    assert past.index(detail_url(cancelled_ahead)) < past.index(detail_url(missed)) \
        < past.index(detail_url(done))


def test_the_past_list_paginates(client: Client, patient: User) -> None:
    for n in range(PAGE_SIZE + 3):
        factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(-1 - n))

    first = appointments_past(actor=patient, page=1)
    second = appointments_past(actor=patient, page=2)
    html = get(client, patient, f"{reverse('appointments:past')}?page=2")

    assert len(first.object_list) == PAGE_SIZE
    assert len(second.object_list) == 3
    assert "Page 2 of 2" in html


def test_the_upcoming_list_paginates(patient: User) -> None:
    for n in range(PAGE_SIZE + 1):
        factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(1 + n))

    assert appointments_upcoming(actor=patient, page=2).number == 2
    assert len(appointments_upcoming(actor=patient, page=2).object_list) == 1


def test_a_doctor_sees_their_own_past_appointments_only(client: Client, doctor: User) -> None:
    mine = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=in_days(-1))
    theirs = factories.AppointmentFactory.create(scheduled_at=in_days(-1))

    html = get(client, doctor, reverse("appointments:past"))

    assert detail_url(mine) in html and detail_url(theirs) not in html


@pytest.mark.parametrize("name", ["appointments:upcoming", "appointments:past"])
def test_the_lists_run_a_bounded_number_of_queries(
    client: Client, patient: User, name: str,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for n in range(PAGE_SIZE):
        factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(n - 5),
                                            facility=factories.FacilityFactory.create())
    client.force_login(patient)

    # Session, user, the header's unread count, the page count, the page.
    with django_assert_max_num_queries(5):
        response = client.get(reverse(name))

    assert response.status_code == 200


def test_the_lists_send_an_anonymous_visitor_to_log_in(client: Client) -> None:
    for name in ("appointments:upcoming", "appointments:past", "appointments:doctor_day",
                 "appointments:doctor_week", "appointments:waitlist"):
        assert client.get(reverse(name)).status_code == 302
