"""When a doctor can be booked: weekly hours and exceptions, minus booked time, in UTC.

A weekly block (DoctorAvailability) is wall-clock hours in its own time zone. For each date
the block falls on, its start and end are placed on that date's wall clock and turned into
UTC instants, so 13:00-18:00 in New York is 18:00-23:00 UTC in winter and 17:00-22:00 UTC
once daylight-saving time starts. Slots step through the block by its slot length from the
block's start (an end of 23:59 means midnight). Exceptions then apply on the same wall clock:

- EXTRA_HOURS adds a block on each date of its range (at its facility, or remote);
- DAY_OFF and LEAVE remove time on each date (the whole day when they carry no times) from
  every block at their facility, or from every block at all when they name no facility.
  Removals win over extra hours: a doctor on leave is not working.

A slot survives only if it fits entirely inside what is left, starts in the future, and no
SCHEDULED appointment of the doctor overlaps it (wherever that appointment takes place: the
doctor is one person). Free slots for any range cost three queries.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Role, User
from apps.appointments import errors
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    ConsultationType,
    DoctorAvailability,
    ExceptionKind,
    WaitlistStatus,
    Weekday,
)
from apps.appointments.prepared import prepared_cursor
from apps.facilities.models import DoctorFacility, Facility

logger = logging.getLogger(__name__)

MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240
MAX_EXCEPTION_DAYS = 366
MAX_WEEKS_AHEAD = 12  # how far ahead the booking page pages, in weeks
# A bookable appointment fits inside one block, and a block lies within one local date (at
# most 25 hours on the day clocks fall back), so nothing that started earlier than this
# before a slot can still be running when it begins.
# LIMITATION: an appointment longer than this, written around the booking service (admin,
# raw SQL), is not seen by free-slot search — the database still refuses a double booking.
BOOKED_LOOKBACK = timedelta(hours=25)

WEEKDAY_KEYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
REMOVING = (ExceptionKind.DAY_OFF, ExceptionKind.LEAVE)
REMOTE_TYPES = (ConsultationType.VIDEO_CALL, ConsultationType.PHONE)


@dataclass(frozen=True, order=True)
class Slot:
    """A bookable stretch of a doctor's time: UTC instants, and where (None: video or phone)."""

    start: datetime
    end: datetime
    facility_id: int | None

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def is_remote(self) -> bool:
        return self.facility_id is None

    @property
    def key(self) -> str:
        """The start as an ISO 8601 UTC instant: how a chosen slot travels in a form."""
        return self.start.astimezone(UTC).isoformat()


@dataclass(frozen=True)
class SlotOverview:
    """Offered slots in a range (future only, bookings ignored) and the ones still free."""

    offered: list[Slot]
    free: list[Slot]


@dataclass(frozen=True)
class _Block:
    """Usable time [start, end) on a grid of `step` that begins at `anchor` (all UTC)."""

    start: datetime
    end: datetime
    anchor: datetime
    step: timedelta
    facility_id: int | None

    def slots(self) -> Iterator[Slot]:
        steps_in = -((self.anchor - self.start) // self.step)  # ceil((start - anchor) / step)
        moment = self.anchor + max(steps_in, 0) * self.step
        while moment + self.step <= self.end:
            yield Slot(moment, moment + self.step, self.facility_id)
            moment += self.step

    def offers(self, start: datetime, end: datetime) -> bool:
        on_grid = (start - self.anchor) % self.step == timedelta(0)
        return on_grid and self.start <= start and end <= self.end


@dataclass(frozen=True)
class _Removal:
    start: datetime
    end: datetime
    facility_id: int | None  # None: removes time everywhere


# --- time zones -------------------------------------------------------------------------


@lru_cache(maxsize=64)
def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone called `name`, or the site's default zone if it is missing or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def wall_clock(day: date, moment: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of `moment` on `day` in `zone`.

    A wall time that does not exist (skipped when clocks spring forward) is read with the
    offset in force before the change, landing as far past the gap as it was into it.
    """
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


MIDNIGHT_MARKS = (time(23, 59), time.max)


def _end_of(day: date, moment: time, zone: zoneinfo.ZoneInfo) -> datetime:
    # An end of 23:59 stands for midnight at the end of the day: a time field cannot hold
    # 24:00, and "until 23:59" never means a last slot that stops a minute short.
    if moment in MIDNIGHT_MARKS:
        return wall_clock(day + timedelta(days=1), time.min, zone)
    return wall_clock(day, moment, zone)


def _dates(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# --- reading availability ---------------------------------------------------------------


def _location_matches(
    facility_id: int | None, consultation_type: str | None, facility: Facility | None
) -> bool:
    if consultation_type is None:
        return facility is None or facility_id == facility.pk
    if consultation_type == ConsultationType.IN_PERSON:
        return facility_id is not None and (facility is None or facility_id == facility.pk)
    if consultation_type in REMOTE_TYPES:
        return facility is None and facility_id is None
    return False


def _subtract(block: _Block, removals: Iterable[_Removal]) -> list[_Block]:
    pieces = [block]
    for removal in removals:
        if removal.facility_id is not None and removal.facility_id != block.facility_id:
            continue
        kept: list[_Block] = []
        for piece in pieces:
            if removal.end <= piece.start or piece.end <= removal.start:
                kept.append(piece)
                continue
            if piece.start < removal.start:
                kept.append(_Block(piece.start, removal.start, piece.anchor, piece.step,
                                   piece.facility_id))
            if removal.end < piece.end:
                kept.append(_Block(removal.end, piece.end, piece.anchor, piece.step,
                                   piece.facility_id))
        pieces = kept
    return pieces


def _blocks(doctor_id: int, start: datetime, end: datetime) -> list[_Block]:
    """Usable blocks touching [start, end): weekly hours and exceptions, two queries."""
    # Every zone is within a day of UTC, so these dates cover the range on any wall clock.
    first = start.astimezone(UTC).date() - timedelta(days=1)
    last = end.astimezone(UTC).date() + timedelta(days=1)
    weekly = DoctorAvailability.objects.filter(doctor_id=doctor_id).values_list(
        "weekday", "start_time", "end_time", "slot_minutes", "time_zone", "facility_id"
    )
    exceptions = AvailabilityException.objects.filter(
        doctor_id=doctor_id, start_date__lte=last, end_date__gte=first
    ).values_list(
        "kind", "start_date", "end_date", "start_time", "end_time", "slot_minutes",
        "time_zone", "facility_id",
    )
    return _usable_blocks(weekly, exceptions, start, end)


_WeeklyRow = tuple[int, time, time, int, str, int | None]
_ExceptionRow = tuple[str, date, date, time | None, time | None, int, str, int | None]


def _usable_blocks(
    weekly: Iterable[_WeeklyRow], exceptions: Iterable[_ExceptionRow], start: datetime,
    end: datetime,
) -> list[_Block]:
    """Weekly hours plus extra hours minus removals, for the blocks touching [start, end)."""
    first = start.astimezone(UTC).date() - timedelta(days=1)
    last = end.astimezone(UTC).date() + timedelta(days=1)
    blocks: list[_Block] = []
    by_weekday: dict[int, list[tuple[time, time, int, str, int | None]]] = {}
    for weekday, opens, closes, minutes, zone_name, facility_id in weekly:
        by_weekday.setdefault(weekday, []).append((opens, closes, minutes, zone_name,
                                                   facility_id))
    for day in _dates(first, last):
        for weekly_block in by_weekday.get(day.weekday(), []):
            blocks.append(_block(day, *weekly_block))

    removals: list[_Removal] = []
    for kind, from_day, to_day, from_time, to_time, length, zone_key, place in exceptions:
        zone = zone_named(zone_key)
        for day in _dates(max(from_day, first), min(to_day, last)):
            if kind == ExceptionKind.EXTRA_HOURS and from_time is not None \
                    and to_time is not None:
                blocks.append(_block(day, from_time, to_time, length, zone_key, place))
            elif kind in REMOVING:
                removal_start = wall_clock(day, from_time or time.min, zone)
                removal_end = _end_of(day, to_time or time.max, zone)
                removals.append(_Removal(removal_start, removal_end, place))

    usable: list[_Block] = []
    for block in blocks:
        if block.end <= start or block.start >= end:
            continue
        usable.extend(_subtract(block, removals))
    return usable


def _block(
    day: date, opens: time, closes: time, minutes: int, zone_name: str, facility_id: int | None
) -> _Block:
    zone = zone_named(zone_name)
    begins = wall_clock(day, opens, zone)
    return _Block(begins, _end_of(day, closes, zone), begins, timedelta(minutes=minutes),
                  facility_id)


def _offered(
    blocks: Sequence[_Block], start: datetime, end: datetime, *, consultation_type: str | None,
    facility: Facility | None, now: datetime,
) -> list[Slot]:
    seen: dict[tuple[datetime, int | None], Slot] = {}
    for block in blocks:
        if not _location_matches(block.facility_id, consultation_type, facility):
            continue
        for slot in block.slots():
            if slot.start < start or slot.start >= end or slot.start <= now:
                continue
            # Two blocks may offer one start (weekly hours and extra hours): keep one slot.
            seen.setdefault((slot.start, slot.facility_id), slot)
    return sorted(seen.values(), key=lambda slot: (slot.start, slot.facility_id or 0))


def _booked(
    doctor_id: int, start: datetime, end: datetime, exclude_appointment_id: int | None = None
) -> list[tuple[datetime, datetime]]:
    """The doctor's SCHEDULED time around [start, end), merged; one indexed range query."""
    rows = Appointment.objects.filter(
        doctor_id=doctor_id, status=AppointmentStatus.SCHEDULED,
        scheduled_at__gte=start - BOOKED_LOOKBACK, scheduled_at__lt=end,
    )
    if exclude_appointment_id is not None:
        rows = rows.exclude(pk=exclude_appointment_id)
    intervals = sorted(
        (begins, begins + timedelta(minutes=minutes))
        for begins, minutes in rows.values_list("scheduled_at", "duration_minutes")
    )
    merged: list[tuple[datetime, datetime]] = []
    for begins, ends in intervals:
        if merged and begins <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], ends))
        else:
            merged.append((begins, ends))
    return merged


def _is_free(slot: Slot, booked: Sequence[tuple[datetime, datetime]],
             ends: Sequence[datetime]) -> bool:
    index = bisect_right(ends, slot.start)  # the first booking still running at the start
    return index == len(booked) or booked[index][0] >= slot.end


def slot_overview(
    *,
    doctor: User,
    start: datetime,
    end: datetime,
    consultation_type: str | None = None,
    facility: Facility | None = None,
    now: datetime | None = None,
) -> SlotOverview:
    """Offered and free slots starting in [start, end); three queries whatever the data size.

    `consultation_type` IN_PERSON keeps slots at a facility (`facility`, or any), VIDEO_CALL
    and PHONE keep remote slots; no type keeps every slot (at `facility` if given).
    """
    now = now or timezone.now()
    blocks = _blocks(doctor.pk, start, end)
    offered = _offered(blocks, start, end, consultation_type=consultation_type,
                       facility=facility, now=now)
    if not offered:
        return SlotOverview(offered=[], free=[])
    booked = _booked(doctor.pk, offered[0].start, max(slot.end for slot in offered))
    ends = [ends_at for _, ends_at in booked]
    free = [slot for slot in offered if _is_free(slot, booked, ends)]
    return SlotOverview(offered=offered, free=free)


def free_slots(
    *,
    doctor: User,
    start: datetime,
    end: datetime,
    consultation_type: str | None = None,
    facility: Facility | None = None,
) -> list[Slot]:
    """Slots the doctor offers in [start, end), in the future, that no booking overlaps."""
    return slot_overview(
        doctor=doctor, start=start, end=end, consultation_type=consultation_type,
        facility=facility,
    ).free


def slot_is_offered(
    *,
    doctor: User,
    scheduled_at: datetime,
    duration_minutes: int,
    consultation_type: str,
    facility: Facility | None,
) -> bool:
    """Whether the doctor works then, there: a slot of their grid starts at `scheduled_at` and
    the whole appointment fits in what is left of that block. Bookings and "now" are ignored.
    """
    if duration_minutes <= 0:
        return False
    ends_at = scheduled_at + timedelta(minutes=duration_minutes)
    return _offers(_blocks(doctor.pk, scheduled_at, ends_at), scheduled_at, ends_at,
                   consultation_type, facility)


def _offers(
    blocks: Iterable[_Block], start: datetime, end: datetime, consultation_type: str,
    facility: Facility | None,
) -> bool:
    return any(
        block.offers(start, end) for block in blocks
        if _location_matches(block.facility_id, consultation_type, facility)
    )


def slot_at(
    *, doctor: User, scheduled_at: datetime, consultation_type: str, facility: Facility | None
) -> Slot | None:
    """The offered slot that starts at `scheduled_at` there, or None (bookings ignored)."""
    blocks = _blocks(doctor.pk, scheduled_at, scheduled_at + timedelta(minutes=1))
    return _slot_starting(blocks, scheduled_at, consultation_type, facility)


def _slot_starting(
    blocks: Iterable[_Block], scheduled_at: datetime, consultation_type: str,
    facility: Facility | None,
) -> Slot | None:
    for block in blocks:
        if not _location_matches(block.facility_id, consultation_type, facility):
            continue
        if block.offers(scheduled_at, scheduled_at + block.step):
            return Slot(scheduled_at, scheduled_at + block.step, block.facility_id)
    return None


def doctor_is_free(
    *, doctor: User, start: datetime, end: datetime, exclude_appointment_id: int | None = None
) -> bool:
    """No SCHEDULED appointment of the doctor overlaps [start, end) (one indexed query)."""
    booked = _booked(doctor.pk, start, end, exclude_appointment_id)
    return not any(begins < end and start < ends for begins, ends in booked)


@dataclass(frozen=True)
class BookingFacts:
    """What a booking check needs to know, read in one statement (see booking_facts)."""

    blocks: list[_Block]
    doctor_booked: list[tuple[datetime, datetime]]
    patient_booked: list[tuple[datetime, datetime]]
    waitlisted: bool

    def slot_starting(
        self, scheduled_at: datetime, consultation_type: str, facility: Facility | None
    ) -> Slot | None:
        """Like slot_at: the offered slot starting then, there (bookings ignored)."""
        return _slot_starting(self.blocks, scheduled_at, consultation_type, facility)

    def offers(self, start: datetime, end: datetime, consultation_type: str,
               facility: Facility | None) -> bool:
        """Like slot_is_offered, for [start, end)."""
        return start < end and _offers(self.blocks, start, end, consultation_type, facility)

    def doctor_is_free(self, start: datetime, end: datetime) -> bool:
        """Like doctor_is_free: no SCHEDULED appointment of the doctor overlaps [start, end)."""
        return not any(begins < end and start < ends for begins, ends in self.doctor_booked)

    def patient_is_free(self, start: datetime, end: datetime) -> bool:
        """No SCHEDULED appointment of the patient overlaps [start, end)."""
        return not any(begins < end and start < ends for begins, ends in self.patient_booked)


# One round trip for a booking check: the doctor's weekly hours, their exceptions near the
# date, their SCHEDULED time overlapping [start, until) (the index range is _booked's; only
# overlapping rows come back, not the doctor's whole day), the patient's SCHEDULED time
# overlapping it (the same bounded range on idx_appointments_patient_scheduled, so a long
# history is not read), and (when asked) whether the patient waits on the doctor's waitlist that
# day. Rows are told apart by the first column.
_BOOKING_FACTS_SQL = """
SELECT 'w', weekday, NULL::varchar, NULL::date, NULL::date, start_time, end_time,
       slot_minutes, time_zone, facility_id, NULL::timestamptz, NULL::integer
  FROM doctor_availability WHERE doctor_id = %(doctor)s
UNION ALL
SELECT 'x', NULL, kind, start_date, end_date, start_time, end_time, slot_minutes, time_zone,
       facility_id, NULL, NULL
  FROM doctor_availability_exceptions
 WHERE doctor_id = %(doctor)s AND start_date <= %(last)s AND end_date >= %(first)s
UNION ALL
SELECT 'd', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, scheduled_at, duration_minutes
  FROM appointments
 WHERE doctor_id = %(doctor)s AND status = %(scheduled)s
   AND scheduled_at >= %(booked_from)s AND scheduled_at < %(until)s AND id <> %(exclude)s
   AND scheduled_at + duration_minutes * interval '1 minute' > %(start)s
UNION ALL
SELECT 'p', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, scheduled_at, duration_minutes
  FROM appointments
 WHERE patient_id = %(patient)s AND status = %(scheduled)s
   AND scheduled_at >= %(booked_from)s AND scheduled_at < %(until)s AND id <> %(exclude)s
   AND scheduled_at + duration_minutes * interval '1 minute' > %(start)s
UNION ALL
SELECT 'q', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
 WHERE %(waitlist_day)s::date IS NOT NULL AND EXISTS (
       SELECT 1 FROM appointment_waitlist
        WHERE patient_id = %(patient)s AND doctor_id = %(doctor)s AND day = %(waitlist_day)s
          AND status = ANY(%(waitlist_active)s))
"""


def booking_facts(
    *,
    doctor_id: int,
    patient_id: int,
    start: datetime,
    until: datetime,
    exclude_appointment_id: int | None = None,
    waitlist_day: date | None = None,
) -> BookingFacts:
    """Everything a booking starting at `start` and ending by `until` is checked against.

    One query instead of the five the separate reads cost (weekly hours, exceptions, the
    doctor's booked time, the patient's, the waitlist). Call it after locking the patient's
    row, so the patient's calendar read cannot race another booking of theirs.
    """
    params: dict[str, Any] = {
        "doctor": doctor_id,
        "patient": patient_id,
        "start": start,
        "until": until,
        "booked_from": start - BOOKED_LOOKBACK,
        "first": start.astimezone(UTC).date() - timedelta(days=1),
        "last": until.astimezone(UTC).date() + timedelta(days=1),
        "scheduled": AppointmentStatus.SCHEDULED.value,
        "exclude": exclude_appointment_id or 0,
        "waitlist_day": waitlist_day,
        "waitlist_active": [WaitlistStatus.WAITING.value, WaitlistStatus.NOTIFIED.value],
    }
    weekly: list[_WeeklyRow] = []
    exceptions: list[_ExceptionRow] = []
    doctor_booked: list[tuple[datetime, datetime]] = []
    patient_booked: list[tuple[datetime, datetime]] = []
    waitlisted = False
    with prepared_cursor() as cursor:
        cursor.execute(_BOOKING_FACTS_SQL, params)
        rows = cursor.fetchall()
    for (tag, weekday, kind, from_day, to_day, opens, closes, minutes, zone_name, place,
         begins, length) in rows:
        if tag == "w":
            weekly.append((weekday, opens, closes, minutes, zone_name, place))
        elif tag == "x":
            exceptions.append((kind, from_day, to_day, opens, closes, minutes, zone_name, place))
        elif tag == "d":
            doctor_booked.append((begins, begins + timedelta(minutes=length)))
        elif tag == "p":
            patient_booked.append((begins, begins + timedelta(minutes=length)))
        else:
            waitlisted = True
    return BookingFacts(
        blocks=_usable_blocks(weekly, exceptions, start, until),
        doctor_booked=doctor_booked, patient_booked=patient_booked, waitlisted=waitlisted,
    )


def bookable_doctor_get(*, doctor_id: int) -> User:
    """A doctor patients may book (listed: PMDC-verified, not deleted); User.DoesNotExist else.

    The same doctors as facilities.selectors.doctor_get, in one query without their
    facilities: the booking request needs only the doctor's row. Plain SQL with the same
    filter as User.objects (alive), prepared once per connection (see prepared.py), and the
    row made into a User as the ORM does (each field's converters, then Model.from_db).
    """
    if not 0 < doctor_id < 2**63:  # not a bigint: no such row (as the ORM's lookup says)
        raise User.DoesNotExist("No bookable doctor with that id.")
    read = _bookable_doctor_read()
    with prepared_cursor() as cursor:
        cursor.execute(read.sql, [doctor_id, Role.DOCTOR.value])
        row = cursor.fetchone()
    if row is None:
        raise User.DoesNotExist("No bookable doctor with that id.")
    values = list(row)
    for index, converters in read.converters:
        for convert in converters:
            values[index] = convert(values[index], read.expressions[index], connection)
    return User.from_db(connection.alias, read.attnames, values)


@dataclass(frozen=True)
class _RowRead:
    sql: str
    attnames: list[str]
    expressions: list[Any]
    converters: list[tuple[int, list[Any]]]  # (column index, its converters) where any


@lru_cache(maxsize=1)
def _bookable_doctor_read() -> _RowRead:
    """The doctor's row, every concrete column named (a prepared statement must not use *)."""
    qn = connection.ops.quote_name
    table = User._meta.db_table
    fields = list(User._meta.concrete_fields)
    expressions = [field.get_col(table) for field in fields]
    converters = []
    for index, expression in enumerate(expressions):
        found = (connection.ops.get_db_converters(expression)
                 + expression.get_db_converters(connection))
        if found:
            converters.append((index, found))
    # Identifiers only, from the model and quoted; the values are parameters.
    sql = (
        f"SELECT {', '.join(qn(str(field.column)) for field in fields)} FROM {qn(table)}"  # noqa: S608
        " WHERE id = %s AND role = %s AND pmdc_verified AND deleted_at IS NULL"
    )
    return _RowRead(sql=sql, attnames=[field.attname for field in fields],
                    expressions=expressions, converters=converters)


# --- reads for the doctor's own pages ---------------------------------------------------


def weekly_hours_for(*, actor: User) -> QuerySet[DoctorAvailability]:
    """The doctor's own weekly blocks, by weekday and time; nothing for anyone else."""
    if actor.role != Role.DOCTOR or not actor.is_active:
        return DoctorAvailability.objects.none()
    return (
        DoctorAvailability.objects.filter(doctor_id=actor.pk)
        .select_related("facility")
        .order_by("weekday", "start_time", "pk")
    )


def exceptions_upcoming_for(
    *, actor: User, today: date | None = None
) -> QuerySet[AvailabilityException]:
    """The doctor's own exceptions that have not ended, soonest first."""
    if actor.role != Role.DOCTOR or not actor.is_active:
        return AvailabilityException.objects.none()
    today = today or timezone.localdate(timezone=zone_named(actor.time_zone))
    return (
        AvailabilityException.objects.filter(doctor_id=actor.pk, end_date__gte=today)
        .select_related("facility")
        .order_by("start_date", "start_time", "pk")
    )


# --- services: setting hours ------------------------------------------------------------


_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def operating_windows(facility: Facility, weekday: int) -> list[tuple[time, time]]:
    """The facility's opening hours on `weekday` (0 = Monday); [] when closed.

    `operating_hours` is {"monday": "09:00-17:00", ...}; a missing day, a missing document or
    "closed" is a closed day; "08:00-13:00, 14:00-18:00" gives two windows; a closing time of
    23:59 or 24:00 means midnight, and one earlier than the opening time runs past midnight
    (the part after midnight is counted on the same weekday: hours never cross dates here).
    The hours are read on the doctor's wall clock: facilities and their doctors share a zone.
    Raises ValueError when the value cannot be read.
    """
    hours = facility.operating_hours if isinstance(facility.operating_hours, dict) else {}
    value = hours.get(WEEKDAY_KEYS[weekday])
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "closed")):
        return []
    if not isinstance(value, str):
        raise ValueError("operating hours are not text")
    windows: list[tuple[time, time]] = []
    for part in value.split(","):
        match = _HOURS.match(part)
        if match is None:
            raise ValueError("operating hours are not HH:MM-HH:MM")
        open_h, open_m, close_h, close_m = (int(group) for group in match.groups())
        opens = time(open_h, open_m)
        closes = time.max if (close_h, close_m) in ((23, 59), (24, 0)) else time(close_h, close_m)
        if closes <= opens:
            windows += [(opens, time.max), (time.min, closes)]
        else:
            windows.append((opens, closes))
    return windows


def _clock(moment: time) -> str:
    return "24:00" if moment == time.max else moment.strftime("%H:%M")


def _check_within_operating_hours(
    facility: Facility, weekday: int, start_time: time, end_time: time
) -> None:
    day = Weekday(weekday).label
    try:
        windows = operating_windows(facility, weekday)
    except (ValueError, IndexError):
        raise errors.OutsideOperatingHours(
            _("The operating hours of %(facility)s for %(day)s cannot be read; ask the "
              "facility to correct them.") % {"facility": facility.name, "day": day}
        ) from None
    if not windows:
        raise errors.OutsideOperatingHours(
            _("%(facility)s is closed on %(day)s.") % {"facility": facility.name, "day": day}
        )
    if not any(opens <= start_time and end_time <= closes for opens, closes in windows):
        shown = ", ".join(f"{_clock(opens)}-{_clock(closes)}" for opens, closes in windows)
        raise errors.OutsideOperatingHours(
            _("%(facility)s is open %(hours)s on %(day)s; in-person hours must fall within "
              "them.") % {"facility": facility.name, "hours": shown, "day": day}
        )


def _check_hours(start_time: time, end_time: time, slot_minutes: int) -> None:
    if end_time <= start_time:
        raise errors.HoursOrder()
    closes = datetime.combine(date.min, end_time)
    if end_time in MIDNIGHT_MARKS:
        closes = datetime.combine(date.min, time.min) + timedelta(days=1)
    length = closes - datetime.combine(date.min, start_time)
    if not MIN_SLOT_MINUTES <= slot_minutes <= MAX_SLOT_MINUTES:
        raise errors.SlotLength()
    if timedelta(minutes=slot_minutes) > length:
        raise errors.SlotLength()


def _check_doctor(doctor: User) -> User:
    """Lock and re-read the doctor: one change to their hours at a time."""
    locked = (
        User.objects.select_for_update().filter(pk=doctor.pk, role=Role.DOCTOR).first()
    )
    if locked is None:
        raise errors.NotADoctor()
    return locked


def _check_facility(doctor: User, facility: Facility | None) -> None:
    if facility is None:
        return
    if not DoctorFacility.objects.filter(doctor_id=doctor.pk, facility_id=facility.pk).exists():
        raise errors.FacilityNotYours()


def weekly_hours_add(
    *,
    doctor: User,
    weekdays: Sequence[int],
    start_time: time,
    end_time: time,
    facility: Facility | None = None,
    slot_minutes: int = 30,
) -> list[DoctorAvailability]:
    """Add the same hours on each of `weekdays`: in person at `facility`, else remote.

    All or nothing: in-person hours must fall within the facility's operating hours that
    weekday, and no block may overlap another of the doctor's on the same weekday (in person
    or remote — the doctor is in one place at a time).
    """
    days = sorted(set(weekdays))
    if not days or any(day not in Weekday.values for day in days):
        raise errors.AvailabilityError(_("Choose at least one weekday."), field="weekdays")
    _check_hours(start_time, end_time, slot_minutes)

    with transaction.atomic():
        locked = _check_doctor(doctor)
        _check_facility(locked, facility)
        existing = DoctorAvailability.objects.filter(
            doctor_id=locked.pk, weekday__in=days
        ).select_related("facility")
        for day in days:
            if facility is not None:
                _check_within_operating_hours(facility, day, start_time, end_time)
            for block in existing:
                if block.weekday == day and block.start_time < end_time \
                        and start_time < block.end_time:
                    raise errors.HoursOverlap(_overlap_message(block))
        zone = zone_named(locked.time_zone).key
        # One by one rather than bulk_create, so each row gets its history record.
        created = [
            DoctorAvailability.objects.create(
                doctor=locked, facility=facility, weekday=day, start_time=start_time,
                end_time=end_time, slot_minutes=slot_minutes, time_zone=zone,
            )
            for day in days
        ]
    logger.info(
        "weekly hours added doctor=%s facility=%s days=%s", locked.pk,
        facility.pk if facility else None, len(created),
    )
    return created


def _overlap_message(block: DoctorAvailability) -> str:
    where = block.facility.name if block.facility else _("video and phone")
    return _(
        "These hours overlap your %(where)s hours on %(day)s (%(start)s-%(end)s)."
    ) % {
        "where": where, "day": Weekday(block.weekday).label,
        "start": _clock(block.start_time), "end": _clock(block.end_time),
    }


def weekly_hours_delete(*, doctor: User, availability_id: int) -> None:
    """Remove one of the doctor's own weekly blocks; DoesNotExist for anyone else's."""
    with transaction.atomic():
        block = DoctorAvailability.objects.select_for_update().get(
            pk=availability_id, doctor_id=doctor.pk, doctor__role=Role.DOCTOR
        )
        block.delete()
    logger.info("weekly hours deleted doctor=%s availability=%s", doctor.pk, availability_id)


def availability_exception_add(
    *,
    doctor: User,
    kind: str,
    start_date: date,
    end_date: date | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    facility: Facility | None = None,
    slot_minutes: int = 30,
    reason: str = "",
    today: date | None = None,
) -> AvailabilityException:
    """Record a day off, leave (whole days, or the given hours of each day) or extra hours.

    Existing appointments in removed time are not cancelled here: the doctor sees them on
    their schedule and cancels them with a reason.
    """
    end_date = end_date or start_date
    if kind not in ExceptionKind.values:
        raise errors.AvailabilityError(_("Choose a day off, leave or extra hours."),
                                       field="kind")
    today = today or timezone.localdate(timezone=zone_named(doctor.time_zone))
    if end_date < start_date:
        raise errors.ExceptionDates(_("The last day cannot be before the first day."))
    if end_date < today:
        raise errors.ExceptionDates(_("Choose dates from today on."))
    if (end_date - start_date).days >= MAX_EXCEPTION_DAYS:
        raise errors.ExceptionDates(_("An exception covers at most a year."))
    if (start_time is None) != (end_time is None):
        raise errors.ExceptionTimes(_("Give both a start and an end time, or neither."))
    if kind == ExceptionKind.EXTRA_HOURS and start_time is None:
        raise errors.ExceptionTimes(_("Extra hours need a start and an end time."))
    if start_time is not None and end_time is not None:
        if kind == ExceptionKind.EXTRA_HOURS:
            _check_hours(start_time, end_time, slot_minutes)
        elif end_time <= start_time:
            raise errors.HoursOrder()

    with transaction.atomic():
        locked = _check_doctor(doctor)
        _check_facility(locked, facility)
        if kind == ExceptionKind.EXTRA_HOURS and facility is not None:
            assert start_time is not None and end_time is not None  # noqa: S101 - checked above
            weekdays = sorted({day.weekday() for day in _dates(start_date, end_date)})
            for weekday in weekdays:
                _check_within_operating_hours(facility, weekday, start_time, end_time)
        exception = AvailabilityException.objects.create(
            doctor=locked, facility=facility, kind=kind, start_date=start_date,
            end_date=end_date, start_time=start_time, end_time=end_time,
            slot_minutes=slot_minutes, time_zone=zone_named(locked.time_zone).key,
            reason=reason.strip() or None,
        )
    logger.info("availability exception added id=%s doctor=%s kind=%s", exception.pk,
                locked.pk, kind)
    return exception


def availability_exception_delete(*, doctor: User, exception_id: int) -> None:
    """Remove one of the doctor's own exceptions; DoesNotExist for anyone else's."""
    with transaction.atomic():
        exception = AvailabilityException.objects.select_for_update().get(
            pk=exception_id, doctor_id=doctor.pk, doctor__role=Role.DOCTOR
        )
        exception.delete()
    logger.info("availability exception deleted doctor=%s exception=%s", doctor.pk,
                exception_id)


# --- the patient's booking page ---------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a listed slot takes place: a facility, or None for video and phone."""

    facility: Facility | None
    free_count: int

    @property
    def consultation_type(self) -> str:
        return ConsultationType.IN_PERSON if self.facility else ConsultationType.VIDEO_CALL


@dataclass(frozen=True)
class BookingDay:
    day: date
    slots: list[Slot]
    fully_booked: bool  # the doctor works then, but every slot is taken


@dataclass(frozen=True)
class BookingWeek:
    """Seven days of free slots on the viewer's wall clock, for one kind of visit and place."""

    zone: zoneinfo.ZoneInfo
    week: int
    consultation_type: str
    facility: Facility | None
    days: list[BookingDay]
    places: list[Place]

    @property
    def has_free(self) -> bool:
        return any(day.slots for day in self.days)

    @property
    def previous_week(self) -> int | None:
        return self.week - 1 if self.week > 0 else None

    @property
    def next_week(self) -> int | None:
        return self.week + 1 if self.week < MAX_WEEKS_AHEAD else None


def _choose_place(
    consultation_type: str | None, facility: Facility | None, facilities: Sequence[Facility],
    free_by_place: dict[int | None, int],
) -> tuple[str, Facility | None]:
    """The kind of visit and place to list: as asked, else where the first free time is."""
    if consultation_type in REMOTE_TYPES:
        return str(consultation_type), None
    if facility is not None:
        return ConsultationType.IN_PERSON, facility
    with_free = [place for place in facilities if free_by_place.get(place.pk)]
    if consultation_type == ConsultationType.IN_PERSON and facilities:
        return ConsultationType.IN_PERSON, (with_free or list(facilities))[0]
    if not free_by_place.get(None) and with_free:
        return ConsultationType.IN_PERSON, with_free[0]
    return ConsultationType.VIDEO_CALL, None


def booking_week(
    *,
    doctor: User,
    facilities: Sequence[Facility],
    zone: zoneinfo.ZoneInfo,
    week: int = 0,
    consultation_type: str | None = None,
    facility: Facility | None = None,
    now: datetime | None = None,
) -> BookingWeek:
    """Free slots for the week `week` weeks from today (viewer's zone), grouped by day.

    `facilities` are the doctor's own (already loaded); three queries in all.
    """
    now = now or timezone.now()
    first_day = timezone.localtime(now, zone).date() + timedelta(weeks=week)
    days = [first_day + timedelta(days=offset) for offset in range(7)]
    start = wall_clock(days[0], time.min, zone)
    end = wall_clock(days[-1] + timedelta(days=1), time.min, zone)
    overview = slot_overview(doctor=doctor, start=start, end=end, now=now)

    free_by_place: dict[int | None, int] = {}
    for slot in overview.free:
        free_by_place[slot.facility_id] = free_by_place.get(slot.facility_id, 0) + 1
    chosen_type, chosen_facility = _choose_place(
        consultation_type, facility, facilities, free_by_place
    )

    offered_on: dict[date, int] = {}
    free_on: dict[date, list[Slot]] = {day: [] for day in days}
    for slot in overview.offered:
        if not _location_matches(slot.facility_id, chosen_type, chosen_facility):
            continue
        local_day = timezone.localtime(slot.start, zone).date()
        offered_on[local_day] = offered_on.get(local_day, 0) + 1
    for slot in overview.free:
        if _location_matches(slot.facility_id, chosen_type, chosen_facility):
            free_on[timezone.localtime(slot.start, zone).date()].append(slot)

    places = [Place(facility=None, free_count=free_by_place.get(None, 0))]
    places += [Place(facility=place, free_count=free_by_place.get(place.pk, 0))
               for place in facilities]
    return BookingWeek(
        zone=zone, week=week, consultation_type=chosen_type, facility=chosen_facility,
        days=[
            BookingDay(day=day, slots=free_on[day],
                       fully_booked=bool(offered_on.get(day)) and not free_on[day])
            for day in days
        ],
        places=places,
    )
