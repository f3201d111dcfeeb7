"""The landing page and each role's dashboard: the right rows, and a flat query count."""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments.models import AppointmentStatus
from apps.appointments.selectors import PAGE_SIZE, doctor_schedule
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


def in_days(days: int, hour: int = 10) -> datetime:
    return (timezone.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def dashboard(client: Client, user: User) -> str:
    client.force_login(user)
    response = client.get(reverse("core:dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_home_offers_the_doctor_search_to_anyone(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    factories.DoctorFactory.create(specialty="Urologist",
                                   facilities=[factories.FacilityFactory.create(city="Multan")])

    with django_assert_max_num_queries(3):
        response = client.get(reverse("core:home"))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="{reverse("facilities:doctor_search")}"' in html
    assert 'name="specialty"' in html
    assert 'name="city"' in html
    assert '<option value="Urologist">' in html
    assert '<option value="Multan">' in html


def test_dashboard_sends_an_anonymous_visitor_to_log_in(client: Client) -> None:
    response = client.get(reverse("core:dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_patient_dashboard_lists_only_their_upcoming_scheduled_appointments(
    client: Client, patient: User, other_patient: User
) -> None:
    mine = factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(2))
    factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(-2))
    factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(3),
                                        status=AppointmentStatus.CANCELLED)
    factories.AppointmentFactory.create(patient=other_patient, scheduled_at=in_days(2))

    html = dashboard(client, patient)

    assert mine.doctor.name in html
    assert html.count(reverse("appointments:detail", args=[mine.pk])) == 1
    assert len(re.findall(r'href="/appointments/\d+/"', html)) == 1
    assert reverse("facilities:doctor_search") in html


def test_patient_dashboard_keeps_an_appointment_that_is_under_way(
    client: Client, patient: User
) -> None:
    started = timezone.now() - timedelta(minutes=10)
    ongoing = factories.AppointmentFactory.create(patient=patient, scheduled_at=started)

    html = dashboard(client, patient)

    assert reverse("appointments:detail", args=[ongoing.pk]) in html


def test_patient_dashboard_paginates(client: Client, patient: User) -> None:
    for n in range(PAGE_SIZE + 2):
        factories.AppointmentFactory.create(patient=patient, scheduled_at=in_days(n + 1))
    client.force_login(patient)

    second = client.get(reverse("core:dashboard"), {"page": 2}).content.decode()

    assert len(re.findall(r'href="/appointments/\d+/"', second)) == 2
    assert "Page 2 of 2" in second


def test_doctor_schedule_splits_today_and_upcoming_in_the_doctors_time_zone(
    doctor: User, other_doctor: User
) -> None:
    # 20:00 UTC on 1 January is already 01:00 on 2 January in Karachi.
    now = datetime(2030, 1, 1, 20, 0, tzinfo=UTC)
    just_after_midnight = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime(2030, 1, 1, 19, 30, tzinfo=UTC))
    this_morning = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime(2030, 1, 2, 3, 0, tzinfo=UTC))
    factories.AppointmentFactory.create(  # 23:30 on 1 January in Karachi: yesterday
        doctor=doctor, scheduled_at=datetime(2030, 1, 1, 18, 30, tzinfo=UTC))
    factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime(2030, 1, 2, 5, 0, tzinfo=UTC),
        status=AppointmentStatus.CANCELLED)
    tomorrow = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=datetime(2030, 1, 2, 19, 0, tzinfo=UTC))
    factories.AppointmentFactory.create(
        doctor=other_doctor, scheduled_at=datetime(2030, 1, 2, 4, 0, tzinfo=UTC))

    schedule = doctor_schedule(actor=doctor, now=now)

    assert schedule.day.isoformat() == "2030-01-02"
    assert schedule.today == [just_after_midnight, this_morning]
    assert schedule.upcoming == [tomorrow]


def test_doctor_schedule_follows_a_doctor_in_another_zone() -> None:
    doctor = factories.DoctorFactory.create(time_zone="America/New_York")
    now = datetime(2030, 1, 1, 20, 0, tzinfo=UTC)  # 15:00 on 1 January in New York

    schedule = doctor_schedule(actor=doctor, now=now)

    assert schedule.day.isoformat() == "2030-01-01"


def test_doctor_dashboard_shows_today_and_upcoming(
    client: Client, doctor: User
) -> None:
    local_now = timezone.localtime(timezone.now(), KARACHI)
    later_today = local_now.replace(hour=23, minute=30, second=0, microsecond=0)
    today = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=later_today)
    next_week = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=in_days(7))

    html = dashboard(client, doctor)

    assert "Today" in html
    assert "Upcoming" in html
    assert today.patient.name in html
    assert next_week.patient.name in html
    assert "23:30" in html
    assert "Asia/Karachi" in html


def test_staff_dashboard_lists_their_facilitys_appointments_only(
    client: Client,
) -> None:
    staff = factories.StaffFactory.create()
    assert staff.facility is not None
    here = factories.AppointmentFactory.create(facility=staff.facility, scheduled_at=in_days(1))
    elsewhere = factories.AppointmentFactory.create(facility=factories.FacilityFactory.create(),
                                                    scheduled_at=in_days(1))

    html = dashboard(client, staff)

    assert staff.facility.name in html
    assert reverse("appointments:detail", args=[here.pk]) in html
    assert reverse("appointments:detail", args=[elsewhere.pk]) not in html
    assert here.chief_complaint
    assert here.chief_complaint not in html


def test_organization_dashboard_counts_appointments_per_facility(client: Client) -> None:
    organization = factories.OrganizationFactory.create()
    busy = factories.FacilityFactory.create(organization=organization, name="Busy Hospital")
    factories.FacilityFactory.create(organization=organization, name="Quiet Clinic")
    factories.FacilityFactory.create(name="Someone Elses Clinic")
    for days in (1, 2):
        factories.AppointmentFactory.create(facility=busy, scheduled_at=in_days(days))
    factories.AppointmentFactory.create(facility=busy, scheduled_at=in_days(-1),
                                        status=AppointmentStatus.COMPLETED)

    html = dashboard(client, organization)

    assert "Busy Hospital" in html
    assert "Quiet Clinic" in html
    assert "Someone Elses Clinic" not in html
    assert "<td>2</td>\n        <td>3</td>" in html


@pytest.mark.parametrize("factory", [factories.AdminFactory, factories.PlatformOwnerFactory])
def test_admin_dashboard_links_to_django_admin(client: Client, factory: type) -> None:
    html = dashboard(client, factory())

    assert f'href="{reverse("admin:index")}"' in html


def many_appointments(*, count: int, **fields: object) -> None:
    for n in range(count):
        factories.AppointmentFactory.create(scheduled_at=in_days(n + 1, hour=n % 24), **fields)


@pytest.mark.parametrize("count", [1, 30])
def test_dashboard_query_counts_do_not_grow_with_data(
    client: Client, count: int, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    patient = factories.PatientFactory.create()
    doctor = factories.DoctorFactory.create()
    facility: Facility = factories.FacilityFactory.create()
    staff = factories.StaffFactory.create(facility=facility)
    assert facility.organization is not None
    for n in range(count):
        factories.FacilityFactory.create(organization=facility.organization)
        factories.AppointmentFactory.create(
            patient=patient, facility=facility, scheduled_at=in_days(n + 1, hour=n % 24)
        )
        factories.AppointmentFactory.create(doctor=doctor, scheduled_at=in_days(n + 1, hour=n % 24))

    for user, bound in ((patient, 5), (doctor, 5), (staff, 6), (facility.organization, 4)):
        client.force_login(user)
        with django_assert_max_num_queries(bound):
            response = client.get(reverse("core:dashboard"))
        assert response.status_code == 200
