"""Setting working hours: weekly blocks and exceptions, and every rule that refuses them."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import errors
from apps.appointments.availability import (
    availability_exception_add,
    availability_exception_delete,
    operating_windows,
    weekly_hours_add,
    weekly_hours_delete,
)
from apps.appointments.models import AvailabilityException, DoctorAvailability, ExceptionKind
from apps.facilities.models import DoctorFacility, Facility
from tests import factories

pytestmark = pytest.mark.django_db

MONDAY, TUESDAY, SUNDAY = 0, 1, 6


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create(
        name="Saddar Clinic",
        operating_hours={"monday": "09:00-17:00", "tuesday": "08:00-13:00, 14:00-20:00",
                         "saturday": "closed"},
    )


@pytest.fixture
def clinic_doctor(facility: Facility) -> User:
    return factories.DoctorFactory.create(facilities=[facility], time_zone="Asia/Karachi")


def add(doctor: User, *days: int, start: str = "09:00", end: str = "12:00",
        **kwargs: object) -> list[DoctorAvailability]:
    return weekly_hours_add(doctor=doctor, weekdays=list(days) or [MONDAY],
                            start_time=time.fromisoformat(start), end_time=time.fromisoformat(end),
                            **kwargs)  # type: ignore[arg-type]


def refused(exc_type: type[errors.AvailabilityError], message: str, call: object) -> None:
    with pytest.raises(exc_type) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value.message) == message


# --- operating hours --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "weekday", "windows"),
    [
        ({"monday": "09:00-17:00"}, MONDAY, [(time(9), time(17))]),
        ({"monday": "09:00-17:00"}, TUESDAY, []),
        ({"monday": "closed"}, MONDAY, []),
        ({"monday": ""}, MONDAY, []),
        ({"monday": "08:00-13:00, 14:00-20:00"}, MONDAY,
         [(time(8), time(13)), (time(14), time(20))]),
        ({"monday": "00:00-23:59"}, MONDAY, [(time(0), time.max)]),
        ({"monday": "00:00-24:00"}, MONDAY, [(time(0), time.max)]),
        ({"monday": "20:00-02:00"}, MONDAY, [(time(20), time.max), (time(0), time(2))]),
        (None, MONDAY, []),
    ],
)
def test_operating_windows_read_the_documented_format(
    hours: dict[str, str] | None, weekday: int, windows: list[tuple[time, time]]
) -> None:
    assert operating_windows(Facility(operating_hours=hours), weekday) == windows


@pytest.mark.parametrize("value", ["9 to 5", "25:00-26:00", 9, "09:00-"])
def test_operating_windows_refuse_what_they_cannot_read(value: object) -> None:
    with pytest.raises(ValueError):
        operating_windows(Facility(operating_hours={"monday": value}), MONDAY)


# --- weekly hours -----------------------------------------------------------------------


def test_it_adds_remote_hours_on_several_days_in_the_doctors_zone(doctor: User) -> None:
    doctor.time_zone = "America/New_York"
    doctor.save(update_fields=["time_zone"])

    created = add(doctor, MONDAY, TUESDAY, SUNDAY, start="13:00", end="18:00",
                  slot_minutes=20)

    rows = DoctorAvailability.objects.filter(doctor=doctor).order_by("weekday")
    assert len(created) == 3
    assert [r.weekday for r in rows] == [MONDAY, TUESDAY, SUNDAY]
    assert {(r.start_time, r.end_time, r.slot_minutes, r.time_zone, r.facility_id)
            for r in rows} == {(time(13), time(18), 20, "America/New_York", None)}


def test_it_adds_in_person_hours_inside_the_facilitys_opening_hours(
    clinic_doctor: User, facility: Facility
) -> None:
    add(clinic_doctor, MONDAY, start="09:00", end="17:00", facility=facility)
    add(clinic_doctor, TUESDAY, start="14:00", end="20:00", facility=facility)

    assert DoctorAvailability.objects.filter(doctor=clinic_doctor, facility=facility).count() == 2


def test_it_refuses_in_person_hours_outside_opening_hours(
    clinic_doctor: User, facility: Facility
) -> None:
    refused(errors.OutsideOperatingHours,
            "Saddar Clinic is open 09:00-17:00 on Monday; in-person hours must fall within "
            "them.",
            lambda: add(clinic_doctor, MONDAY, start="16:00", end="18:00", facility=facility))
    refused(errors.OutsideOperatingHours,
            "Saddar Clinic is open 08:00-13:00, 14:00-20:00 on Tuesday; in-person hours must "
            "fall within them.",
            lambda: add(clinic_doctor, TUESDAY, start="12:00", end="15:00", facility=facility))
    assert not DoctorAvailability.objects.exists()


@pytest.mark.parametrize("weekday", [5, 6])  # "closed", and missing from the document
def test_it_refuses_in_person_hours_on_a_closed_day(
    clinic_doctor: User, facility: Facility, weekday: int
) -> None:
    day = ["Saturday", "Sunday"][weekday - 5]
    refused(errors.OutsideOperatingHours, f"Saddar Clinic is closed on {day}.",
            lambda: add(clinic_doctor, weekday, facility=facility))


def test_remote_hours_ignore_facility_opening_hours(clinic_doctor: User) -> None:
    assert add(clinic_doctor, SUNDAY, start="20:00", end="23:00")


def test_it_refuses_unreadable_opening_hours_with_a_clear_message(clinic_doctor: User) -> None:
    odd = factories.FacilityFactory.create(name="Odd Clinic",
                                           operating_hours={"monday": "nine to five"})
    DoctorFacility.objects.create(doctor=clinic_doctor, facility=odd)

    refused(errors.OutsideOperatingHours,
            "The operating hours of Odd Clinic for Monday cannot be read; ask the facility to "
            "correct them.",
            lambda: add(clinic_doctor, MONDAY, facility=odd))


def test_it_refuses_a_facility_where_the_doctor_does_not_practise(doctor: User) -> None:
    elsewhere = factories.FacilityFactory.create()

    refused(errors.FacilityNotYours, "Choose one of the facilities where you practise.",
            lambda: add(doctor, MONDAY, facility=elsewhere))


def test_it_refuses_overlapping_blocks_on_the_same_weekday_wherever_they_are(
    clinic_doctor: User, facility: Facility
) -> None:
    add(clinic_doctor, MONDAY, start="09:00", end="12:00", facility=facility)

    refused(errors.HoursOverlap,
            "These hours overlap your Saddar Clinic hours on Monday (09:00-12:00).",
            lambda: add(clinic_doctor, MONDAY, start="11:30", end="13:00"))
    refused(errors.HoursOverlap,
            "These hours overlap your Saddar Clinic hours on Monday (09:00-12:00).",
            lambda: add(clinic_doctor, TUESDAY, MONDAY, start="08:00", end="09:30"))
    assert DoctorAvailability.objects.count() == 1  # all or nothing: no Tuesday either


def test_blocks_may_touch_and_other_days_or_doctors_do_not_overlap(
    clinic_doctor: User, other_doctor: User
) -> None:
    add(clinic_doctor, MONDAY, start="09:00", end="12:00")
    add(other_doctor, MONDAY, start="09:00", end="12:00")

    assert add(clinic_doctor, MONDAY, start="12:00", end="13:00")
    assert add(clinic_doctor, TUESDAY, start="09:00", end="12:00")


@pytest.mark.parametrize(
    ("start", "end", "minutes", "error", "message"),
    [
        ("12:00", "09:00", 30, errors.HoursOrder, "The end time must be after the start time."),
        ("09:00", "09:00", 30, errors.HoursOrder, "The end time must be after the start time."),
        ("09:00", "09:20", 30, errors.SlotLength,
         "A slot lasts 5 to 240 minutes and must fit between the start and end times."),
        ("09:00", "17:00", 4, errors.SlotLength,
         "A slot lasts 5 to 240 minutes and must fit between the start and end times."),
        ("09:00", "17:00", 241, errors.SlotLength,
         "A slot lasts 5 to 240 minutes and must fit between the start and end times."),
    ],
)
def test_it_refuses_hours_that_make_no_slots(
    doctor: User, start: str, end: str, minutes: int, error: type[errors.AvailabilityError],
    message: str,
) -> None:
    refused(error, message,
            lambda: add(doctor, MONDAY, start=start, end=end, slot_minutes=minutes))


@pytest.mark.parametrize("days", [[], [7], [-1]])
def test_it_refuses_no_or_unknown_weekdays(doctor: User, days: list[int]) -> None:
    with pytest.raises(errors.AvailabilityError) as caught:
        weekly_hours_add(doctor=doctor, weekdays=days, start_time=time(9), end_time=time(10))
    assert caught.value.field == "weekdays"


def test_only_doctors_set_hours(patient: User) -> None:
    refused(errors.NotADoctor, "Only doctors set working hours.", lambda: add(patient, MONDAY))


def test_a_doctor_deletes_their_own_block_and_not_another_doctors(
    doctor: User, other_doctor: User
) -> None:
    mine = add(doctor, MONDAY)[0]
    theirs = add(other_doctor, MONDAY)[0]

    with pytest.raises(DoctorAvailability.DoesNotExist):
        weekly_hours_delete(doctor=doctor, availability_id=theirs.pk)
    weekly_hours_delete(doctor=doctor, availability_id=mine.pk)

    assert list(DoctorAvailability.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert mine.history.count() == 2


# --- exceptions -------------------------------------------------------------------------


@pytest.fixture
def today() -> date:
    return timezone.localdate()


def test_it_records_a_whole_day_off(doctor: User, today: date) -> None:
    exception = availability_exception_add(doctor=doctor, kind=ExceptionKind.DAY_OFF,
                                           start_date=today + timedelta(days=2),
                                           reason="  Family wedding ")

    assert (exception.start_date, exception.end_date) == (today + timedelta(days=2),) * 2
    assert (exception.start_time, exception.end_time, exception.facility_id) == (None,) * 3
    assert exception.reason == "Family wedding"
    assert exception.time_zone == "Asia/Karachi"


def test_it_records_leave_for_some_hours_over_several_days(doctor: User, today: date) -> None:
    exception = availability_exception_add(
        doctor=doctor, kind=ExceptionKind.LEAVE, start_date=today, end_date=today
        + timedelta(days=6), start_time=time(14), end_time=time(16),
    )

    assert (exception.end_date - exception.start_date).days == 6


def test_it_records_extra_hours_at_a_facility_within_opening_hours(
    clinic_doctor: User, facility: Facility, today: date
) -> None:
    next_monday = today + timedelta(days=(MONDAY - today.weekday()) % 7 or 7)

    exception = availability_exception_add(
        doctor=clinic_doctor, kind=ExceptionKind.EXTRA_HOURS, start_date=next_monday,
        start_time=time(15), end_time=time(17), facility=facility, slot_minutes=15,
    )

    assert exception.slot_minutes == 15
    refused(errors.OutsideOperatingHours, "Saddar Clinic is closed on Wednesday.",
            lambda: availability_exception_add(
                doctor=clinic_doctor, kind=ExceptionKind.EXTRA_HOURS, start_date=next_monday,
                end_date=next_monday + timedelta(days=2), start_time=time(9),
                end_time=time(10), facility=facility))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start_date": 3, "end_date": 2}, errors.ExceptionDates,
         "The last day cannot be before the first day."),
        ({"start_date": -3, "end_date": -1}, errors.ExceptionDates, "Choose dates from today on."),
        ({"start_date": 0, "end_date": 400}, errors.ExceptionDates,
         "An exception covers at most a year."),
        ({"start_time": time(9)}, errors.ExceptionTimes,
         "Give both a start and an end time, or neither."),
        ({"kind": ExceptionKind.EXTRA_HOURS}, errors.ExceptionTimes,
         "Extra hours need a start and an end time."),
        ({"start_time": time(12), "end_time": time(9)}, errors.HoursOrder,
         "The end time must be after the start time."),
        ({"kind": ExceptionKind.EXTRA_HOURS, "start_time": time(9), "end_time": time(9, 10)},
         errors.SlotLength,
         "A slot lasts 5 to 240 minutes and must fit between the start and end times."),
        ({"kind": "HOLIDAY"}, errors.AvailabilityError, "Choose a day off, leave or extra hours."),
    ],
)
def test_it_refuses_exceptions_that_make_no_sense(
    doctor: User, today: date, kwargs: dict[str, object], error: type[errors.AvailabilityError],
    message: str,
) -> None:
    values: dict[str, object] = {"kind": ExceptionKind.DAY_OFF, "start_date": 1}
    values.update(kwargs)
    for name in ("start_date", "end_date"):
        if isinstance(values.get(name), int):
            values[name] = today + timedelta(days=values[name])  # type: ignore[arg-type]

    refused(error, message, lambda: availability_exception_add(doctor=doctor, **values))  # type: ignore[arg-type]
    assert not AvailabilityException.objects.exists()


def test_an_exception_at_another_doctors_facility_is_refused(doctor: User, today: date) -> None:
    elsewhere = factories.FacilityFactory.create()

    refused(errors.FacilityNotYours, "Choose one of the facilities where you practise.",
            lambda: availability_exception_add(doctor=doctor, kind=ExceptionKind.DAY_OFF,
                                               start_date=today, facility=elsewhere))


def test_a_doctor_deletes_their_own_exception_and_not_another_doctors(
    doctor: User, other_doctor: User, today: date
) -> None:
    mine = availability_exception_add(doctor=doctor, kind="DAY_OFF", start_date=today)
    theirs = availability_exception_add(doctor=other_doctor, kind="DAY_OFF", start_date=today)

    with pytest.raises(AvailabilityException.DoesNotExist):
        availability_exception_delete(doctor=doctor, exception_id=theirs.pk)
    availability_exception_delete(doctor=doctor, exception_id=mine.pk)

    assert list(AvailabilityException.objects.values_list("pk", flat=True)) == [theirs.pk]
