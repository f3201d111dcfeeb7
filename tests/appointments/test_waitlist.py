"""The waitlist: join a full day, hear in join order when a time frees up, leave at will."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments import errors, lifecycle
from apps.appointments.models import Appointment, WaitlistEntry, WaitlistStatus
from apps.notifications.models import Notification, NotificationEvent
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


@pytest.fixture
def day() -> date:
    return timezone.localdate(timezone=KARACHI) + timedelta(days=3)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KARACHI)


@pytest.fixture
def doctor(day: date) -> User:
    """Works 10:00-11:00 (Karachi) on `day`'s weekday: two 30-minute slots."""
    doctor = factories.DoctorFactory.create()
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=day.weekday(), start_time=time(10), end_time=time(11)
    )
    return doctor


@pytest.fixture
def full_day(doctor: User, day: date) -> list[Appointment]:
    return [
        factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10)),
        factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10, 30)),
    ]


def join(patient: User, doctor: User, day: date, joined_minutes_ago: int = 0) -> WaitlistEntry:
    entry = lifecycle.waitlist_join(patient=patient, doctor=doctor, day=day)
    if joined_minutes_ago:
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            created_at=timezone.now() - timedelta(minutes=joined_minutes_ago)
        )
    return entry


# --- Joining ----------------------------------------------------------------------------


@pytest.mark.usefixtures("full_day")
def test_a_patient_joins_a_day_with_no_free_slot(patient: User, doctor: User, day: date) -> None:
    entry = lifecycle.waitlist_join(patient=patient, doctor=doctor, day=day)

    assert (entry.patient_id, entry.doctor_id, entry.day) == (patient.pk, doctor.pk, day)
    assert entry.status == WaitlistStatus.WAITING


def test_joining_a_day_with_free_slots_is_refused(patient: User, doctor: User, day: date) -> None:
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10))

    with pytest.raises(errors.WaitlistSlotsFree):
        lifecycle.waitlist_join(patient=patient, doctor=doctor, day=day)


@pytest.mark.usefixtures("full_day")
def test_joining_twice_is_refused_with_a_clear_message(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    lifecycle.waitlist_join(patient=patient, doctor=doctor, day=day)
    client.force_login(patient)

    response = client.post(reverse("appointments:waitlist_join"),
                           {"doctor": doctor.pk, "day": day.isoformat()})

    assert response.status_code == 200
    assert "already on the waitlist" in response.content.decode()
    assert WaitlistEntry.objects.count() == 1


def test_a_day_the_doctor_does_not_work_is_refused(
    patient: User, doctor: User, day: date
) -> None:
    with pytest.raises(errors.WaitlistNoHours):
        lifecycle.waitlist_join(patient=patient, doctor=doctor, day=day + timedelta(days=1))


def test_a_past_day_is_refused(patient: User, doctor: User) -> None:
    yesterday = timezone.localdate(timezone=KARACHI) - timedelta(days=1)

    with pytest.raises(errors.WaitlistDayInPast):
        lifecycle.waitlist_join(patient=patient, doctor=doctor, day=yesterday)


def test_an_unverified_doctor_is_refused(patient: User) -> None:
    unverified = factories.DoctorFactory.create(pmdc_verified=False)

    with pytest.raises(errors.DoctorUnavailable):
        lifecycle.waitlist_join(patient=patient, doctor=unverified,
                                day=timezone.localdate() + timedelta(days=1))


@pytest.mark.usefixtures("full_day")
def test_the_join_page_is_prefilled_and_joins_on_post(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)
    url = reverse("appointments:waitlist_join")

    html = client.get(f"{url}?doctor={doctor.pk}&day={day.isoformat()}").content.decode()
    assert f'value="{day.isoformat()}"' in html
    assert doctor.name in html

    response = client.post(url, {"doctor": doctor.pk, "day": day.isoformat()}, follow=True)

    assert "You are on the waitlist." in response.content.decode()
    assert WaitlistEntry.objects.get().patient_id == patient.pk


def test_the_join_page_shows_why_a_day_with_free_time_is_refused(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    client.force_login(patient)

    response = client.post(reverse("appointments:waitlist_join"),
                           {"doctor": doctor.pk, "day": day.isoformat()})

    assert "still has free times on that day" in response.content.decode()
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("query", ["", "?doctor=abc", "?doctor=999999"])
def test_the_join_page_is_a_404_without_a_listed_doctor(
    client: Client, patient: User, query: str
) -> None:
    client.force_login(patient)

    assert client.get(reverse("appointments:waitlist_join") + query).status_code == 404


def test_a_bad_day_is_a_form_message(client: Client, patient: User, doctor: User) -> None:
    client.force_login(patient)

    response = client.post(reverse("appointments:waitlist_join"),
                           {"doctor": doctor.pk, "day": "31/02/2026"})

    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


@pytest.mark.parametrize("role", ["doctor", "staff", "organization"])
def test_the_waitlist_pages_are_for_patients_only(
    client: Client, doctor: User, day: date, role: str
) -> None:
    client.force_login({
        "doctor": factories.DoctorFactory.create,
        "staff": factories.StaffFactory.create,
        "organization": factories.OrganizationFactory.create,
    }[role]())

    assert client.get(reverse("appointments:waitlist")).status_code == 404
    join_url = f"{reverse('appointments:waitlist_join')}?doctor={doctor.pk}"
    assert client.get(join_url).status_code == 404


# --- My waitlist and leaving ------------------------------------------------------------


@pytest.mark.usefixtures("full_day")
def test_my_waitlist_lists_only_my_entries(
    client: Client, patient: User, other_patient: User, doctor: User, day: date,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    mine = join(patient, doctor, day)
    theirs = join(other_patient, doctor, day)
    client.force_login(patient)

    with django_assert_max_num_queries(4):
        html = client.get(reverse("appointments:waitlist")).content.decode()

    assert reverse("appointments:waitlist_leave", args=[mine.pk]) in html
    assert reverse("appointments:waitlist_leave", args=[theirs.pk]) not in html


@pytest.mark.usefixtures("full_day")
def test_a_patient_leaves_the_waitlist(
    client: Client, patient: User, doctor: User, day: date
) -> None:
    entry = join(patient, doctor, day)
    client.force_login(patient)

    response = client.post(reverse("appointments:waitlist_leave", args=[entry.pk]), follow=True)

    assert "You have left the waitlist." in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.CANCELLED
    # Leaving frees the place: the patient may join again.
    join(patient, doctor, day)


@pytest.mark.usefixtures("full_day")
def test_leaving_someone_elses_entry_is_a_404(
    client: Client, patient: User, other_patient: User, doctor: User, day: date
) -> None:
    entry = join(other_patient, doctor, day)
    client.force_login(patient)

    response = client.post(reverse("appointments:waitlist_leave", args=[entry.pk]))

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


# --- Offers when a time frees up --------------------------------------------------------


def waitlist_notes() -> list[Notification]:
    return list(
        Notification.objects.filter(event=NotificationEvent.WAITLIST_SLOT_FREE).order_by("pk")
    )


def test_waitlisted_patients_are_notified_in_the_order_they_joined(
    doctor: User, day: date, full_day: list[Appointment], django_capture_on_commit_callbacks: Any
) -> None:
    # Joined in the order second, first, third; ids run the other way for two of them.
    first, second, third = (factories.PatientFactory.create() for _ in range(3))
    join(second, doctor, day, joined_minutes_ago=20)
    join(first, doctor, day, joined_minutes_ago=30)
    join(third, doctor, day, joined_minutes_ago=10)

    with django_capture_on_commit_callbacks() as queued:
        lifecycle.appointment_cancel(actor=full_day[0].patient, appointment_id=full_day[0].pk)

    # Only the first in line hears at once; the rest wait for the offer window.
    assert [note.user_id for note in waitlist_notes()] == [first.pk]
    # The window passes with the time still free: the queued offers run, in line order.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in queued:
            callback()
    assert [note.user_id for note in waitlist_notes()] == [first.pk, second.pk, third.pk]
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"NOTIFIED"}


def test_the_next_in_line_is_not_told_once_the_time_is_taken(
    doctor: User, day: date, full_day: list[Appointment], django_capture_on_commit_callbacks: Any
) -> None:
    first, second = factories.PatientFactory.create(), factories.PatientFactory.create()
    join(first, doctor, day, joined_minutes_ago=20)
    join(second, doctor, day, joined_minutes_ago=10)
    freed = full_day[0]
    with django_capture_on_commit_callbacks() as queued:
        lifecycle.appointment_cancel(actor=freed.patient, appointment_id=freed.pk)

    # The first in line books the time before the window ends.
    factories.AppointmentFactory.create(
        patient=first, doctor=doctor, scheduled_at=freed.scheduled_at,
        consultation_type=freed.consultation_type, facility=freed.facility,
    )
    for callback in queued:
        callback()

    assert [note.user_id for note in waitlist_notes()] == [first.pk]


def test_the_offer_links_to_the_booking_page_with_the_freed_slot(
    doctor: User, day: date, full_day: list[Appointment]
) -> None:
    join(factories.PatientFactory.create(), doctor, day)

    lifecycle.appointment_cancel(actor=doctor, appointment_id=full_day[1].pk, reason="Ill")

    (note,) = waitlist_notes()
    assert note.action_url is not None
    link = urlparse(note.action_url)
    assert link.path == reverse("appointments:book", args=[doctor.pk])
    slot = parse_qs(link.query)["slot"][0]
    # The same string the booking form posts for that slot (Slot.key).
    assert slot == at(day, 10, 30).astimezone(UTC).isoformat()
    assert parse_qs(link.query)["consultation_type"] == [full_day[1].consultation_type]


def test_only_that_doctor_and_that_day_are_offered(
    doctor: User, day: date, full_day: list[Appointment]
) -> None:
    waiting = factories.PatientFactory.create()
    other_day = WaitlistEntry.objects.create(patient=waiting, doctor=doctor,
                                             day=day + timedelta(days=1))
    other_doctor = WaitlistEntry.objects.create(
        patient=factories.PatientFactory.create(), doctor=factories.DoctorFactory.create(),
        day=day,
    )
    left = WaitlistEntry.objects.create(patient=factories.PatientFactory.create(),
                                        doctor=doctor, day=day,
                                        status=WaitlistStatus.CANCELLED)

    lifecycle.appointment_cancel(actor=full_day[0].patient, appointment_id=full_day[0].pk)

    assert waitlist_notes() == []
    for entry in (other_day, other_doctor, left):
        status = entry.status
        entry.refresh_from_db()
        assert entry.status == status


def test_a_patient_who_has_since_booked_that_day_is_not_offered_again(
    doctor: User, day: date, full_day: list[Appointment]
) -> None:
    booked, waiting = factories.PatientFactory.create(), factories.PatientFactory.create()
    booked_entry = join(booked, doctor, day, joined_minutes_ago=10)
    join(waiting, doctor, day)
    # `booked` got the 10:30 slot some other way.
    Appointment.objects.filter(pk=full_day[1].pk).update(patient=booked)

    lifecycle.appointment_cancel(actor=full_day[0].patient, appointment_id=full_day[0].pk)

    assert [note.user_id for note in waitlist_notes()] == [waiting.pk]
    booked_entry.refresh_from_db()
    assert booked_entry.status == WaitlistStatus.BOOKED


def test_a_notified_patient_who_did_not_book_hears_of_the_next_free_time(
    doctor: User, day: date, full_day: list[Appointment]
) -> None:
    waiting = factories.PatientFactory.create()
    join(waiting, doctor, day)
    lifecycle.appointment_cancel(actor=full_day[0].patient, appointment_id=full_day[0].pk)

    lifecycle.appointment_cancel(actor=full_day[1].patient, appointment_id=full_day[1].pk)

    assert [note.user_id for note in waitlist_notes()] == [waiting.pk, waiting.pk]


def test_a_time_freed_after_it_started_is_not_offered(doctor: User) -> None:
    started = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=timezone.now() - timedelta(minutes=5)
    )
    today = timezone.localdate(timezone=KARACHI)
    WaitlistEntry.objects.create(patient=factories.PatientFactory.create(), doctor=doctor,
                                 day=today)

    lifecycle.appointment_cancel(actor=doctor, appointment_id=started.pk, reason="Late")

    assert waitlist_notes() == []


def test_the_day_is_the_doctors_calendar_day() -> None:
    # 23:30 in New York is already the next day in UTC (and in Karachi).
    new_york = zoneinfo.ZoneInfo("America/New_York")
    doctor = factories.DoctorFactory.create(time_zone="America/New_York")
    ny_day = timezone.localdate(timezone=new_york) + timedelta(days=3)
    late = datetime.combine(ny_day, time(23, 30), tzinfo=new_york)
    appointment = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=late)
    right = WaitlistEntry.objects.create(patient=factories.PatientFactory.create(),
                                         doctor=doctor, day=ny_day)
    WaitlistEntry.objects.create(patient=factories.PatientFactory.create(), doctor=doctor,
                                 day=ny_day + timedelta(days=1))

    lifecycle.appointment_cancel(actor=doctor, appointment_id=appointment.pk, reason="Off")

    assert [note.user_id for note in waitlist_notes()] == [right.patient_id]


def test_the_offer_link_opens_the_booking_page_with_that_time_chosen(
    client: Client, doctor: User, day: date, full_day: list[Appointment]
) -> None:
    waiting = factories.PatientFactory.create()
    join(waiting, doctor, day)
    lifecycle.appointment_cancel(actor=doctor, appointment_id=full_day[1].pk, reason="Ill")
    (note,) = waitlist_notes()
    assert note.action_url is not None
    client.force_login(waiting)

    html = client.get(note.action_url).content.decode()

    key = at(day, 10, 30).astimezone(UTC).isoformat()
    assert f'value="{key}" checked' in html
