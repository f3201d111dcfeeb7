"""Free slots: weekly wall-clock hours per date and zone, exceptions, bookings, the past."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments import availability
from apps.appointments.availability import Slot, free_slots, slot_is_offered, slot_overview
from apps.appointments.models import AppointmentStatus, ConsultationType, ExceptionKind
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def day_bounds(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
    return (datetime.combine(day, time.min, tzinfo=zone),
            datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone))


def starts(slots: list[Slot]) -> list[datetime]:
    return [slot.start for slot in slots]


def future_weekday(weekday: int, weeks: int = 1) -> date:
    """A date `weeks` weeks ahead (Karachi) that falls on `weekday` (0 = Monday)."""
    today = timezone.localdate(timezone=KARACHI)
    return today + timedelta(days=(weekday - today.weekday()) % 7 + 7 * weeks)


def karachi(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KARACHI).astimezone(UTC)


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create()


@pytest.fixture
def clinic_doctor(facility: Facility) -> User:
    return factories.DoctorFactory.create(facilities=[facility])


# --- wall clock and daylight saving -----------------------------------------------------


def test_new_york_hours_on_the_day_dst_starts_are_17_to_22_utc(doctor: User) -> None:
    # 2026-03-08 is a Sunday: clocks in New York jump from 02:00 to 03:00 that morning.
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=6, start_time=time(13), end_time=time(18),
        time_zone="America/New_York",
    )
    start, end = day_bounds(date(2026, 3, 8), NEW_YORK)

    offered = slot_overview(doctor=doctor, start=start, end=end, now=utc(2026, 3, 1)).free

    assert offered[0].start == utc(2026, 3, 8, 17, 0)
    assert offered[-1].end == utc(2026, 3, 8, 22, 0)
    assert len(offered) == 10
    assert all(slot.start.tzinfo is not None for slot in offered)


def test_the_same_hours_a_week_earlier_are_18_to_23_utc(doctor: User) -> None:
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=6, start_time=time(13), end_time=time(18),
        time_zone="America/New_York",
    )
    start, end = day_bounds(date(2026, 3, 1), NEW_YORK)

    offered = slot_overview(doctor=doctor, start=start, end=end, now=utc(2026, 2, 1)).free

    assert (offered[0].start, offered[-1].end) == (utc(2026, 3, 1, 18), utc(2026, 3, 1, 23))


def test_slot_is_offered_follows_the_dst_shift(doctor: User) -> None:
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=6, start_time=time(13), end_time=time(18),
        time_zone="America/New_York",
    )

    def offered(moment: datetime) -> bool:
        return slot_is_offered(doctor=doctor, scheduled_at=moment, duration_minutes=30,
                               consultation_type=ConsultationType.VIDEO_CALL, facility=None)

    assert offered(utc(2026, 3, 8, 17, 0))
    assert offered(utc(2026, 3, 8, 21, 30))
    assert not offered(utc(2026, 3, 8, 22, 0))
    assert not offered(utc(2026, 3, 1, 17, 0))  # a week earlier New York was UTC-5
    assert offered(utc(2026, 3, 1, 18, 0))


def test_free_slots_keep_wall_clock_hours_across_a_future_dst_change(doctor: User) -> None:
    # 2027-03-14 (Sunday): New York springs forward; the Sunday before is still winter time.
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=6, start_time=time(13), end_time=time(18),
        time_zone="America/New_York",
    )

    before = free_slots(doctor=doctor, start=utc(2027, 3, 7), end=utc(2027, 3, 8))
    after = free_slots(doctor=doctor, start=utc(2027, 3, 14), end=utc(2027, 3, 15))

    assert (before[0].start, before[-1].end) == (utc(2027, 3, 7, 18), utc(2027, 3, 7, 23))
    assert (after[0].start, after[-1].end) == (utc(2027, 3, 14, 17), utc(2027, 3, 14, 22))


def test_karachi_hours_are_five_hours_ahead_of_utc(doctor: User) -> None:
    day = future_weekday(2)
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=2, start_time=time(9), end_time=time(10), slot_minutes=20
    )

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert [(s.start, s.end) for s in slots] == [
        (karachi(day, 9, 0), karachi(day, 9, 20)),
        (karachi(day, 9, 20), karachi(day, 9, 40)),
        (karachi(day, 9, 40), karachi(day, 10, 0)),
    ]
    assert slots[0].start == datetime.combine(day, time(4), tzinfo=UTC)


def test_a_slot_that_does_not_fit_before_the_end_is_not_offered(doctor: User) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=0, start_time=time(9), end_time=time(10, 45)
    )

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 9), karachi(day, 9, 30), karachi(day, 10)]


def test_an_end_of_23_59_means_midnight(doctor: User) -> None:
    day = future_weekday(4)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=4, start_time=time(22, 30),
                                         end_time=time(23, 59))

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23, 59))

    assert starts(slots) == [karachi(day, 22, 30), karachi(day, 23), karachi(day, 23, 30)]
    assert slots[-1].end == karachi(day + timedelta(days=1), 0)


def test_only_slots_starting_inside_the_range_are_returned(doctor: User) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0)

    slots = free_slots(doctor=doctor, start=karachi(day, 10), end=karachi(day, 11))

    assert starts(slots) == [karachi(day, 10), karachi(day, 10, 30)]


def test_no_slot_starts_in_the_past(doctor: User) -> None:
    factories.available_all_week(doctor)
    now = timezone.now()

    slots = free_slots(doctor=doctor, start=now - timedelta(days=2),
                       end=now + timedelta(days=1))

    assert slots
    assert all(slot.start > now for slot in slots)
    assert slots[0].start - now <= timedelta(minutes=30)


# --- where ------------------------------------------------------------------------------


def test_it_filters_by_kind_of_visit_and_facility(clinic_doctor: User, facility: Facility) -> None:
    day = future_weekday(1)
    other = factories.FacilityFactory.create()
    factories.DoctorFactory.create()  # unrelated doctor, unrelated hours
    factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=1, facility=facility,
                                         start_time=time(9), end_time=time(10))
    factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=1,
                                         start_time=time(14), end_time=time(15))
    start, end = karachi(day, 0), karachi(day, 23, 59)

    def listed(**kwargs: object) -> list[datetime]:
        return starts(free_slots(doctor=clinic_doctor, start=start, end=end, **kwargs))  # type: ignore[arg-type]

    in_person = [karachi(day, 9), karachi(day, 9, 30)]
    remote = [karachi(day, 14), karachi(day, 14, 30)]
    assert listed() == in_person + remote
    assert listed(consultation_type=ConsultationType.IN_PERSON) == in_person
    assert listed(consultation_type=ConsultationType.IN_PERSON, facility=facility) == in_person
    assert listed(consultation_type=ConsultationType.IN_PERSON, facility=other) == []
    assert listed(consultation_type=ConsultationType.VIDEO_CALL) == remote
    assert listed(consultation_type=ConsultationType.PHONE) == remote
    assert listed(consultation_type=ConsultationType.PHONE, facility=facility) == []
    assert listed(facility=facility) == in_person
    assert listed(consultation_type="FAX") == []
    slots = free_slots(doctor=clinic_doctor, start=start, end=end)
    assert [slot.facility_id for slot in slots] == [facility.pk] * 2 + [None] * 2


# --- exceptions -------------------------------------------------------------------------


def test_a_day_off_removes_the_whole_day_and_only_that_day(doctor: User) -> None:
    day = future_weekday(3)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=3)
    factories.AvailabilityExceptionFactory.create(doctor=doctor, start_date=day,
                                                  kind=ExceptionKind.DAY_OFF)

    that_day = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))
    next_week = free_slots(doctor=doctor, start=karachi(day + timedelta(days=7), 0),
                           end=karachi(day + timedelta(days=7), 23))

    assert that_day == []
    assert len(next_week) == 16


def test_leave_over_a_date_range_removes_every_date_in_it(doctor: User) -> None:
    day = future_weekday(0)
    for weekday in range(7):
        factories.AvailabilityFactory.create(doctor=doctor, weekday=weekday,
                                             start_time=time(9), end_time=time(10))
    factories.AvailabilityExceptionFactory.create(
        doctor=doctor, kind=ExceptionKind.LEAVE, start_date=day + timedelta(days=1),
        end_date=day + timedelta(days=3),
    )

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 0)
                       + timedelta(days=5))

    days = sorted({timezone.localtime(slot.start, KARACHI).date() for slot in slots})
    assert days == [day, day + timedelta(days=4)]


def test_leave_for_some_hours_removes_overlapping_slots_and_keeps_the_grid(doctor: User) -> None:
    day = future_weekday(4)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=4, start_time=time(9),
                                         end_time=time(12))
    factories.AvailabilityExceptionFactory.create(
        doctor=doctor, kind=ExceptionKind.LEAVE, start_date=day, start_time=time(9, 15),
        end_time=time(10, 10),
    )

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    # 09:00 overlaps the leave; 10:10 is not on the half-hour grid, so 10:30 is next.
    assert starts(slots) == [karachi(day, 10, 30), karachi(day, 11), karachi(day, 11, 30)]


def test_extra_hours_add_slots_with_their_own_length(doctor: User) -> None:
    day = future_weekday(6)  # no weekly hours on Sundays
    factories.AvailabilityExceptionFactory.create(
        doctor=doctor, kind=ExceptionKind.EXTRA_HOURS, start_date=day, start_time=time(18),
        end_time=time(19), slot_minutes=20,
    )

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23, 59))

    assert starts(slots) == [karachi(day, 18), karachi(day, 18, 20), karachi(day, 18, 40)]
    assert all(slot.facility_id is None for slot in slots)


def test_extra_hours_at_a_facility_are_in_person(clinic_doctor: User, facility: Facility) -> None:
    day = future_weekday(6)
    factories.AvailabilityExceptionFactory.create(
        doctor=clinic_doctor, kind=ExceptionKind.EXTRA_HOURS, start_date=day,
        start_time=time(10), end_time=time(11), facility=facility,
    )

    remote = free_slots(doctor=clinic_doctor, start=karachi(day, 0), end=karachi(day, 23),
                        consultation_type=ConsultationType.VIDEO_CALL)
    in_person = free_slots(doctor=clinic_doctor, start=karachi(day, 0), end=karachi(day, 23),
                           consultation_type=ConsultationType.IN_PERSON)

    assert remote == []
    assert starts(in_person) == [karachi(day, 10), karachi(day, 10, 30)]


def test_extra_hours_overlapping_weekly_hours_do_not_duplicate_slots(doctor: User) -> None:
    day = future_weekday(2)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=2, start_time=time(9),
                                         end_time=time(10))
    factories.AvailabilityExceptionFactory.create(
        doctor=doctor, kind=ExceptionKind.EXTRA_HOURS, start_date=day, start_time=time(9, 30),
        end_time=time(11),
    )

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 9), karachi(day, 9, 30), karachi(day, 10),
                             karachi(day, 10, 30)]


def test_a_day_off_at_one_facility_leaves_other_hours(
    clinic_doctor: User, facility: Facility
) -> None:
    day = future_weekday(1)
    factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=1, facility=facility,
                                         start_time=time(9), end_time=time(10))
    factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=1, start_time=time(14),
                                         end_time=time(15))
    factories.AvailabilityExceptionFactory.create(doctor=clinic_doctor, start_date=day,
                                                  facility=facility)

    slots = free_slots(doctor=clinic_doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 14), karachi(day, 14, 30)]


def test_a_day_off_wins_over_extra_hours_that_day(doctor: User) -> None:
    day = future_weekday(5)
    factories.AvailabilityExceptionFactory.create(
        doctor=doctor, kind=ExceptionKind.EXTRA_HOURS, start_date=day, start_time=time(9),
        end_time=time(10),
    )
    factories.AvailabilityExceptionFactory.create(doctor=doctor, start_date=day,
                                                  kind=ExceptionKind.LEAVE)

    assert free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23)) == []


def test_another_doctors_exceptions_change_nothing(doctor: User, other_doctor: User) -> None:
    day = future_weekday(3)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=3)
    factories.AvailabilityExceptionFactory.create(doctor=other_doctor, start_date=day)

    assert len(free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))) == 16


# --- booked time ------------------------------------------------------------------------


def test_booked_time_is_removed_and_neighbours_stay(doctor: User) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0, start_time=time(9),
                                         end_time=time(11))
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=karachi(day, 9, 30))

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 9), karachi(day, 10), karachi(day, 10, 30)]


def test_a_booking_off_the_grid_removes_every_slot_it_touches(doctor: User) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0, start_time=time(9),
                                         end_time=time(11))
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=karachi(day, 9, 15),
                                        duration_minutes=50)

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 10, 30)]


def test_a_booking_that_started_the_day_before_still_blocks(doctor: User) -> None:
    day = future_weekday(1)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=1, start_time=time(0),
                                         end_time=time(2))
    factories.AppointmentFactory.create(doctor=doctor, duration_minutes=120,
                                        scheduled_at=karachi(day, 0) - timedelta(minutes=30))

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 1, 30)]


def test_a_booking_at_a_facility_blocks_the_same_time_for_calls(
    clinic_doctor: User, facility: Facility
) -> None:
    day = future_weekday(2)
    factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=2, start_time=time(9),
                                         end_time=time(10))
    factories.AppointmentFactory.create(
        doctor=clinic_doctor, scheduled_at=karachi(day, 9), facility=facility,
        consultation_type=ConsultationType.IN_PERSON,
    )

    slots = free_slots(doctor=clinic_doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(slots) == [karachi(day, 9, 30)]


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW,
                                    AppointmentStatus.COMPLETED])
def test_only_scheduled_appointments_take_time(doctor: User, status: str) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0, start_time=time(9),
                                         end_time=time(10))
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=karachi(day, 9),
                                        status=status)

    slots = free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert len(slots) == 2


def test_another_doctors_bookings_take_none_of_this_doctors_time(
    doctor: User, other_doctor: User
) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0, start_time=time(9),
                                         end_time=time(10))
    factories.AppointmentFactory.create(doctor=other_doctor, scheduled_at=karachi(day, 9))

    assert len(free_slots(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))) == 2


def test_the_overview_keeps_booked_slots_among_the_offered(doctor: User) -> None:
    day = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0, start_time=time(9),
                                         end_time=time(10))
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=karachi(day, 9))

    overview = slot_overview(doctor=doctor, start=karachi(day, 0), end=karachi(day, 23))

    assert starts(overview.offered) == [karachi(day, 9), karachi(day, 9, 30)]
    assert starts(overview.free) == [karachi(day, 9, 30)]


# --- slot_is_offered --------------------------------------------------------------------


def test_slot_is_offered_on_the_grid_inside_the_block(
    clinic_doctor: User, facility: Facility
) -> None:
    day = future_weekday(3)
    factories.AvailabilityFactory.create(doctor=clinic_doctor, weekday=3, facility=facility,
                                         start_time=time(9), end_time=time(11))
    factories.AvailabilityExceptionFactory.create(
        doctor=clinic_doctor, kind=ExceptionKind.LEAVE, start_date=day,
        start_time=time(10, 30), end_time=time(11),
    )

    def offered(hour: int, minute: int = 0, *, minutes: int = 30, kind: str = "IN_PERSON",
                where: Facility | None = facility) -> bool:
        return slot_is_offered(doctor=clinic_doctor, scheduled_at=karachi(day, hour, minute),
                               duration_minutes=minutes, consultation_type=kind,
                               facility=where)

    assert offered(9)
    assert offered(9, 30, minutes=60)  # two slots in a row
    assert not offered(9, 15)  # off the grid
    assert not offered(10, minutes=60)  # runs into the leave
    assert not offered(10, 30)  # on leave
    assert not offered(8, 30)  # before the block
    assert not offered(9, kind=ConsultationType.VIDEO_CALL, where=None)
    assert not offered(9, minutes=0)
    day_after = karachi(day, 9) + timedelta(days=1)
    assert not slot_is_offered(doctor=clinic_doctor, scheduled_at=day_after,
                               duration_minutes=30, consultation_type="IN_PERSON",
                               facility=facility)


# --- cost -------------------------------------------------------------------------------


def test_a_week_of_free_slots_takes_three_queries_however_many_bookings(
    doctor: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    monday = future_weekday(0)
    factories.available_all_week(doctor, facilities=[factories.FacilityFactory.create()])
    factories.AvailabilityExceptionFactory.create(doctor=doctor, start_date=monday)
    patient = factories.PatientFactory.create()
    for hour in range(24):
        factories.AppointmentFactory.create(
            doctor=doctor, patient=patient,
            scheduled_at=karachi(monday + timedelta(days=2), hour),
        )

    with django_assert_max_num_queries(3):
        slots = free_slots(doctor=doctor, start=karachi(monday, 0),
                           end=karachi(monday, 0) + timedelta(days=7))

    # Two places, 48 slots a day; Monday off; 24 of Wednesday's taken in each.
    assert len(slots) == 2 * (5 * 48 + 24)


def test_the_booked_time_query_uses_the_doctor_scheduled_index(doctor: User) -> None:
    monday = future_weekday(0)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=0)
    doctors = [doctor, *(factories.DoctorFactory.create() for _ in range(4))]
    patients = [factories.PatientFactory.create() for _ in doctors]
    with connection.cursor() as cursor:
        # 10,000 back-to-back half hours over five doctors (each with a patient of their
        # own: a patient's appointments never overlap either), then fresh statistics.
        cursor.execute(
            """
            INSERT INTO appointments (patient_id, doctor_id, scheduled_at, duration_minutes,
                                      status, consultation_type)
            SELECT (%s::bigint[])[1 + g %% 5], (%s::bigint[])[1 + g %% 5],
                   %s::timestamptz + (g / 5) * interval '30 minutes', 30, 'SCHEDULED', 'PHONE'
            FROM generate_series(0, 9999) AS g
            """,
            [[p.pk for p in patients], [d.pk for d in doctors],
             karachi(monday, 0) - timedelta(days=60)],
        )
        cursor.execute("ANALYZE appointments")

    with CaptureQueriesContext(connection) as captured:
        free_slots(doctor=doctor, start=karachi(monday, 0), end=karachi(monday, 23))
    booked_sql, params = next((q["sql"], None) for q in captured.captured_queries
                              if 'FROM "appointments"' in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + booked_sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "idx_appointments_doctor_scheduled" in plan


def test_a_doctor_without_hours_costs_two_queries_and_has_no_slots(
    doctor: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    factories.AppointmentFactory.create(doctor=doctor)

    with django_assert_max_num_queries(2):
        slots = free_slots(doctor=doctor, start=timezone.now(),
                           end=timezone.now() + timedelta(days=7))

    assert slots == []


def test_an_unknown_zone_falls_back_to_the_site_zone() -> None:
    assert availability.zone_named("Mars/Olympus_Mons") == KARACHI
    assert availability.zone_named(None) == KARACHI
