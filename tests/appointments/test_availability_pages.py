"""The doctor's working-hours pages: only the doctor sees and changes their own hours."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.models import AvailabilityException, DoctorAvailability, ExceptionKind
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db

PAGE = "appointments:availability"


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create(name="Clifton Clinic",
                                            operating_hours={"monday": "09:00-13:00"})


@pytest.fixture
def clinic_doctor(facility: Facility) -> User:
    return factories.DoctorFactory.create(facilities=[facility])


def weekly_post(client: Client, **fields: object) -> tuple[int, str, str]:
    data: dict[str, object] = {
        "weekly-weekdays": ["0", "2"], "weekly-facility": "", "weekly-start_time": "09:00",
        "weekly-end_time": "12:00", "weekly-slot_minutes": "30",
    }
    data.update({f"weekly-{name}": value for name, value in fields.items()})
    response = client.post(reverse("appointments:availability_weekly_add"), data)
    return response.status_code, response.get("Location", ""), response.content.decode()


def exception_post(client: Client, **fields: object) -> tuple[int, str, str]:
    data: dict[str, object] = {
        "exception-kind": ExceptionKind.DAY_OFF,
        "exception-start_date": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "exception-end_date": "", "exception-start_time": "", "exception-end_time": "",
        "exception-facility": "", "exception-slot_minutes": "30", "exception-reason": "",
    }
    data.update({f"exception-{name}": value for name, value in fields.items()})
    response = client.post(reverse("appointments:availability_exception_add"), data)
    return response.status_code, response.get("Location", ""), response.content.decode()


# --- the page ---------------------------------------------------------------------------


def test_it_lists_the_doctors_own_hours_and_exceptions_in_bounded_queries(
    client: Client, clinic_doctor: User, facility: Facility, other_doctor: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    for weekday in range(6):
        factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=weekday,
                                             facility=facility, start_time=time(9),
                                             end_time=time(13))
    factories.AvailabilityFactory.create(doctor=other_doctor, weekday=6, start_time=time(7),
                                         end_time=time(8))
    factories.AvailabilityExceptionFactory.create(doctor=clinic_doctor, reason="Conference",
                                                  kind=ExceptionKind.LEAVE)
    factories.AvailabilityExceptionFactory.create(
        doctor=clinic_doctor, start_date=timezone.localdate() - timedelta(days=3),
        reason="Long over",
    )
    client.force_login(clinic_doctor)

    with django_assert_max_num_queries(10):
        response = client.get(reverse(PAGE))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Clifton Clinic</td>") == 6
    assert "09:00\u201313:00" in html
    assert "Saturday" in html
    assert "07:00" not in html  # the other doctor's Sunday hours
    assert "Conference" in html
    assert "Long over" not in html
    assert 'name="weekly-weekdays"' in html and 'name="exception-kind"' in html


def test_the_doctor_dashboard_links_to_it(client: Client, doctor: User) -> None:
    client.force_login(doctor)

    html = client.get(reverse("core:dashboard")).content.decode()

    assert f'href="{reverse(PAGE)}"' in html


@pytest.mark.parametrize("role", ["patient", "staff", "organization"])
def test_it_is_a_404_for_anyone_but_a_doctor(client: Client, role: str) -> None:
    user = {
        "patient": factories.PatientFactory.create,
        "staff": factories.StaffFactory.create,
        "organization": factories.OrganizationFactory.create,
    }[role]()
    client.force_login(user)

    assert client.get(reverse(PAGE)).status_code == 404
    assert weekly_post(client)[0] == 404
    assert exception_post(client)[0] == 404
    assert not DoctorAvailability.objects.exists()
    assert not AvailabilityException.objects.exists()


def test_it_sends_an_anonymous_visitor_to_log_in(client: Client) -> None:
    response = client.get(reverse(PAGE))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- weekly hours -----------------------------------------------------------------------


def test_a_doctor_adds_weekly_hours(client: Client, doctor: User) -> None:
    client.force_login(doctor)

    status, location, _ = weekly_post(client)

    assert (status, location) == (302, reverse(PAGE))
    assert sorted(DoctorAvailability.objects.filter(doctor=doctor)
                  .values_list("weekday", "start_time", "end_time")) == [
        (0, time(9), time(12)), (2, time(9), time(12))]
    assert "Working hours added." in client.get(location).content.decode()


def test_in_person_hours_outside_opening_hours_are_refused_with_the_reason(
    client: Client, clinic_doctor: User, facility: Facility
) -> None:
    client.force_login(clinic_doctor)

    status, _, html = weekly_post(client, weekdays=["0"], facility=facility.pk,
                                  end_time="14:00")

    assert status == 200
    assert ("Clifton Clinic is open 09:00-13:00 on Monday; in-person hours must fall within "
            "them.") in html
    assert not DoctorAvailability.objects.exists()


def test_overlapping_hours_are_refused_with_the_reason(client: Client, doctor: User) -> None:
    factories.AvailabilityFactory.create(doctor=doctor, weekday=2, start_time=time(11),
                                         end_time=time(15))
    client.force_login(doctor)

    status, _, html = weekly_post(client)

    assert status == 200
    assert "These hours overlap your video and phone hours on Wednesday (11:00-15:00)." in html
    assert DoctorAvailability.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"weekdays": []}, "Choose at least one weekday."),
        ({"weekdays": ["9"]}, "Select a valid choice."),
        ({"start_time": "25:00"}, "Enter a valid time."),
        ({"end_time": "08:00"}, "The end time must be after the start time."),
        ({"slot_minutes": "2"}, "Ensure this value is greater than or equal to 5."),
        ({"slot_minutes": "abc"}, "Enter a whole number."),
        ({"facility": "abc"}, "Select a valid choice."),
    ],
)
def test_bad_weekly_input_gets_a_form_error(
    client: Client, doctor: User, fields: dict[str, object], message: str
) -> None:
    client.force_login(doctor)

    status, _, html = weekly_post(client, **fields)

    assert status == 200
    assert message in html
    assert not DoctorAvailability.objects.exists()


def test_a_facility_of_another_doctor_is_not_a_choice(
    client: Client, doctor: User, facility: Facility
) -> None:
    client.force_login(doctor)

    html = client.get(reverse(PAGE)).content.decode()
    status, _, posted = weekly_post(client, facility=facility.pk)

    assert "Clifton Clinic" not in html
    assert status == 200
    assert "Select a valid choice." in posted
    assert not DoctorAvailability.objects.exists()


def test_a_doctor_removes_their_own_weekly_hours(client: Client, doctor: User) -> None:
    block = factories.AvailabilityFactory.create(doctor=doctor)
    client.force_login(doctor)

    response = client.post(reverse("appointments:availability_weekly_delete", args=[block.pk]))

    assert response.status_code == 302
    assert not DoctorAvailability.objects.exists()


def test_another_doctors_weekly_hours_are_a_404(
    client: Client, doctor: User, other_doctor: User, patient: User
) -> None:
    theirs = factories.AvailabilityFactory.create(doctor=other_doctor)
    url = reverse("appointments:availability_weekly_delete", args=[theirs.pk])

    client.force_login(doctor)
    as_doctor = client.post(url).status_code
    client.force_login(patient)
    as_patient = client.post(url).status_code

    assert (as_doctor, as_patient) == (404, 404)
    assert DoctorAvailability.objects.filter(pk=theirs.pk).exists()


def test_removing_takes_a_post(client: Client, doctor: User) -> None:
    block = factories.AvailabilityFactory.create(doctor=doctor)
    client.force_login(doctor)

    response = client.get(reverse("appointments:availability_weekly_delete", args=[block.pk]))

    assert response.status_code == 405
    assert DoctorAvailability.objects.exists()


# --- exceptions -------------------------------------------------------------------------


def test_a_doctor_adds_a_day_off(client: Client, doctor: User) -> None:
    client.force_login(doctor)

    status, location, _ = exception_post(client, reason="Eid")

    exception = AvailabilityException.objects.get()
    assert (status, location) == (302, reverse(PAGE))
    assert (exception.doctor_id, exception.kind, exception.reason) == (doctor.pk, "DAY_OFF", "Eid")
    assert exception.end_date == exception.start_date


def test_a_doctor_adds_extra_hours_at_their_facility(
    client: Client, clinic_doctor: User, facility: Facility
) -> None:
    today = timezone.localdate()
    monday = today + timedelta(days=(0 - today.weekday()) % 7 or 7)
    client.force_login(clinic_doctor)

    status, _, _ = exception_post(client, kind="EXTRA_HOURS", start_date=monday.isoformat(),
                                  start_time="10:00", end_time="12:00", facility=facility.pk)

    assert status == 302
    assert AvailabilityException.objects.get().facility_id == facility.pk


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "EXTRA_HOURS"}, "Extra hours need a start and an end time."),
        ({"start_time": "10:00"}, "Give both a start and an end time, or neither."),
        ({"start_date": "2020-01-01"}, "Choose dates from today on."),
        ({"start_date": "not a date"}, "Enter a valid date."),
        ({"end_date": "2000-01-01"}, "The last day cannot be before the first day."),
        ({"kind": "HOLIDAY"}, "Select a valid choice."),
    ],
)
def test_bad_exception_input_gets_a_form_error(
    client: Client, doctor: User, fields: dict[str, object], message: str
) -> None:
    client.force_login(doctor)

    status, _, html = exception_post(client, **fields)

    assert status == 200
    assert message in html
    assert not AvailabilityException.objects.exists()


def test_a_doctor_removes_their_own_exception_and_not_another_doctors(
    client: Client, doctor: User, other_doctor: User
) -> None:
    mine = factories.AvailabilityExceptionFactory.create(doctor=doctor)
    theirs = factories.AvailabilityExceptionFactory.create(doctor=other_doctor)
    client.force_login(doctor)

    removed = client.post(reverse("appointments:availability_exception_delete",
                                  args=[mine.pk]))
    outsider = client.post(reverse("appointments:availability_exception_delete",
                                   args=[theirs.pk]))

    assert (removed.status_code, outsider.status_code) == (302, 404)
    assert list(AvailabilityException.objects.values_list("pk", flat=True)) == [theirs.pk]
