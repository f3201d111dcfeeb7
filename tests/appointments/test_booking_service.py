"""appointment_book: what it books, and every reason it refuses, with the exact message."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import errors, services
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultationType,
    WaitlistEntry,
    WaitlistStatus,
)
from apps.appointments.services import appointment_book, check_bookable
from apps.facilities.models import Facility
from apps.notifications.models import Notification, NotificationEvent
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


@pytest.fixture(autouse=True)
def working_doctors(doctor: User, other_doctor: User) -> None:
    """The shared doctors work every day, all day, remotely (30-minute slots)."""
    factories.available_all_week(doctor)
    factories.available_all_week(other_doctor)


@pytest.fixture
def slot() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create(city="Karachi")


@pytest.fixture
def clinic_doctor(facility: Facility) -> User:
    doctor = factories.DoctorFactory.create(facilities=[facility])
    factories.available_all_week(doctor)
    return doctor


def book(patient: User, doctor: User, when: datetime, **kwargs: object) -> Appointment:
    kwargs.setdefault("consultation_type", ConsultationType.VIDEO_CALL)
    return appointment_book(patient=patient, doctor=doctor, scheduled_at=when, **kwargs)  # type: ignore[arg-type]


def test_it_books_a_video_call(patient: User, doctor: User, slot: datetime) -> None:
    appointment = book(patient, doctor, slot, chief_complaint="  Fever for three days  ")

    appointment.refresh_from_db()
    assert appointment.patient_id == patient.pk
    assert appointment.doctor_id == doctor.pk
    assert appointment.scheduled_at == slot
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.facility_id is None
    assert appointment.duration_minutes == 30
    assert appointment.chief_complaint == "Fever for three days"


def test_it_books_in_person_at_one_of_the_doctors_facilities(
    patient: User, clinic_doctor: User, facility: Facility, slot: datetime
) -> None:
    appointment = book(
        patient, clinic_doctor, slot, consultation_type=ConsultationType.IN_PERSON,
        facility=facility,
    )

    assert appointment.facility_id == facility.pk


def test_it_stores_an_empty_complaint_as_null(patient: User, doctor: User, slot: datetime) -> None:
    appointment = book(patient, doctor, slot, chief_complaint="   ")

    appointment.refresh_from_db()
    assert appointment.chief_complaint is None


def test_it_lets_back_to_back_slots_touch(
    patient: User, other_patient: User, doctor: User, slot: datetime
) -> None:
    book(patient, doctor, slot)
    second = book(other_patient, doctor, slot + timedelta(minutes=30))

    assert second.pk is not None


def refused(exc_type: type[errors.BookingError], message: str, call: object) -> None:
    with pytest.raises(exc_type) as caught:
        call()  # type: ignore[operator]
    assert str(caught.value.message) == message
    assert isinstance(caught.value, errors.BookingError)


def test_it_refuses_a_doctor_as_patient(doctor: User, other_doctor: User, slot: datetime) -> None:
    refused(errors.NotAPatient, "Only patients can book appointments.",
            lambda: book(other_doctor, doctor, slot))
    assert not Appointment.objects.exists()


def test_it_refuses_staff_as_patient(doctor: User, slot: datetime) -> None:
    staff = factories.StaffFactory.create()
    refused(errors.NotAPatient, "Only patients can book appointments.",
            lambda: book(staff, doctor, slot))


def test_it_refuses_a_patient_with_an_unverified_email(doctor: User, slot: datetime) -> None:
    patient = factories.PatientFactory.create(is_verified=False)
    refused(errors.PatientEmailUnverified,
            "Verify your email address before booking an appointment.",
            lambda: book(patient, doctor, slot))
    assert not Appointment.objects.exists()


def test_it_refuses_a_doctor_without_pmdc_verification(patient: User, slot: datetime) -> None:
    unverified = factories.DoctorFactory.create(pmdc_verified=False)
    refused(errors.DoctorUnavailable, "This doctor is not available for booking.",
            lambda: book(patient, unverified, slot))
    assert not Appointment.objects.exists()


def test_it_refuses_a_soft_deleted_doctor(patient: User, doctor: User, slot: datetime) -> None:
    doctor.soft_delete()
    doctor.save()
    refused(errors.DoctorUnavailable, "This doctor is not available for booking.",
            lambda: book(patient, doctor, slot))


def test_it_refuses_a_patient_who_is_not_a_doctor_as_doctor(
    patient: User, other_patient: User, slot: datetime
) -> None:
    refused(errors.DoctorUnavailable, "This doctor is not available for booking.",
            lambda: book(patient, other_patient, slot))


def test_it_refuses_a_time_in_the_past(patient: User, doctor: User) -> None:
    an_hour_ago = timezone.now() - timedelta(hours=1)
    refused(errors.SlotInPast, "Choose a time in the future.",
            lambda: book(patient, doctor, an_hour_ago))
    assert not Appointment.objects.exists()


def test_it_refuses_a_naive_datetime(patient: User, doctor: User) -> None:
    naive = datetime(2099, 1, 1, 10, 0)  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError, match="timezone-aware"):
        book(patient, doctor, naive)


def test_it_refuses_a_non_positive_duration(patient: User, doctor: User, slot: datetime) -> None:
    refused(errors.InvalidDuration, "An appointment lasts at least one minute.",
            lambda: book(patient, doctor, slot, duration_minutes=0))


def test_it_refuses_an_unknown_consultation_type(
    patient: User, doctor: User, slot: datetime
) -> None:
    refused(errors.InvalidConsultationType, "Choose video call, phone or in person.",
            lambda: book(patient, doctor, slot, consultation_type="CARRIER_PIGEON"))


def test_it_refuses_in_person_without_a_facility(
    patient: User, clinic_doctor: User, slot: datetime
) -> None:
    refused(errors.FacilityRequired,
            "Choose one of this doctor's facilities for an in-person visit.",
            lambda: book(patient, clinic_doctor, slot,
                         consultation_type=ConsultationType.IN_PERSON))


def test_it_refuses_in_person_at_a_facility_where_the_doctor_does_not_practise(
    patient: User, clinic_doctor: User, slot: datetime
) -> None:
    elsewhere = factories.FacilityFactory.create()
    refused(errors.FacilityRequired,
            "Choose one of this doctor's facilities for an in-person visit.",
            lambda: book(patient, clinic_doctor, slot,
                         consultation_type=ConsultationType.IN_PERSON, facility=elsewhere))


@pytest.mark.parametrize("kind", [ConsultationType.VIDEO_CALL, ConsultationType.PHONE])
def test_it_refuses_a_facility_for_remote_consultations(
    patient: User, clinic_doctor: User, facility: Facility, slot: datetime, kind: str
) -> None:
    refused(errors.FacilityNotAllowed,
            "Video and phone consultations do not take place at a facility.",
            lambda: book(patient, clinic_doctor, slot, consultation_type=kind,
                         facility=facility))


def test_it_refuses_the_patients_own_overlapping_appointment_with_another_doctor(
    patient: User, doctor: User, slot: datetime
) -> None:
    quarter_hours = factories.DoctorFactory.create()
    factories.available_all_week(quarter_hours, slot_minutes=15)
    book(patient, doctor, slot)
    refused(errors.PatientOverlap, "You already have an appointment at this time.",
            lambda: book(patient, quarter_hours, slot + timedelta(minutes=15)))
    assert Appointment.objects.count() == 1


def test_it_refuses_the_same_patient_with_two_doctors_at_the_same_time(
    patient: User, doctor: User, other_doctor: User, slot: datetime
) -> None:
    book(patient, doctor, slot)
    refused(errors.PatientOverlap, "You already have an appointment at this time.",
            lambda: book(patient, other_doctor, slot))
    assert list(Appointment.objects.values_list("doctor_id", flat=True)) == [doctor.pk]


def test_it_ignores_the_patients_cancelled_appointment_when_checking_overlap(
    patient: User, doctor: User, other_doctor: User, slot: datetime
) -> None:
    factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, scheduled_at=slot, status=AppointmentStatus.CANCELLED
    )
    appointment = book(patient, other_doctor, slot)

    assert appointment.status == AppointmentStatus.SCHEDULED


def test_it_refuses_a_slot_the_doctor_already_has_booked(
    patient: User, other_patient: User, doctor: User, slot: datetime
) -> None:
    book(patient, doctor, slot)
    refused(errors.SlotUnavailable, "This time is no longer available.",
            lambda: book(other_patient, doctor, slot))
    assert Appointment.objects.filter(doctor=doctor).count() == 1


def test_it_maps_the_databases_overlap_refusal_to_slot_unavailable(
    patient: User, other_patient: User, doctor: User, slot: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book(patient, doctor, slot)
    # As if the competing booking committed after our own check: only the database sees it.
    monkeypatch.setattr(services.availability, "doctor_is_free", lambda **kwargs: True)

    refused(errors.SlotUnavailable, "This time is no longer available.",
            lambda: book(other_patient, doctor, slot, duration_minutes=60))
    assert Appointment.objects.filter(doctor=doctor).count() == 1


def test_it_books_a_slot_whose_previous_booking_was_cancelled(
    patient: User, other_patient: User, doctor: User, slot: datetime
) -> None:
    factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, scheduled_at=slot, status=AppointmentStatus.CANCELLED
    )
    appointment = book(other_patient, doctor, slot)

    assert appointment.pk is not None


def test_it_logs_ids_and_never_the_complaint(
    patient: User, doctor: User, slot: datetime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="apps.appointments.services")
    appointment = book(patient, doctor, slot, chief_complaint="Chest pain at night")

    text = caplog.text
    assert f"appointment booked id={appointment.pk} patient={patient.pk}" in text
    assert "Chest pain" not in text
    assert patient.email not in text
    assert patient.name not in text


def test_it_rereads_the_patient_row_and_refuses_a_stale_verified_copy(
    patient: User, doctor: User, slot: datetime
) -> None:
    User.objects.filter(pk=patient.pk).update(is_verified=False)  # patient is now stale

    refused(errors.PatientEmailUnverified,
            "Verify your email address before booking an appointment.",
            lambda: book(patient, doctor, slot))
    assert not Appointment.objects.exists()


def test_it_refuses_a_patient_soft_deleted_since_loading(
    patient: User, doctor: User, slot: datetime
) -> None:
    User.objects.filter(pk=patient.pk).update(deleted_at=timezone.now())

    refused(errors.NotAPatient, "Only patients can book appointments.",
            lambda: book(patient, doctor, slot))


# --- availability ----------------------------------------------------------------------


def test_it_refuses_a_doctor_who_has_no_hours_then(patient: User, slot: datetime) -> None:
    idle = factories.DoctorFactory.create()
    refused(errors.NotInAvailability,
            "The doctor does not offer this time for this kind of visit. Choose one of the "
            "free times listed.",
            lambda: book(patient, idle, slot))
    assert not Appointment.objects.exists()


def test_it_refuses_a_time_just_outside_the_doctors_hours(patient: User) -> None:
    doctor = factories.DoctorFactory.create()
    day = timezone.localdate(timezone=KARACHI) + timedelta(days=7)
    factories.AvailabilityFactory.create(doctor=doctor, weekday=day.weekday(),
                                         start_time=time(9), end_time=time(12))
    inside = datetime.combine(day, time(11, 30), tzinfo=KARACHI)

    refused(errors.NotInAvailability, str(errors.NotInAvailability.default_message),
            lambda: book(patient, doctor, inside + timedelta(minutes=30)))
    refused(errors.NotInAvailability, str(errors.NotInAvailability.default_message),
            lambda: book(patient, doctor, inside - timedelta(hours=3)))
    refused(errors.NotInAvailability, str(errors.NotInAvailability.default_message),
            lambda: book(patient, doctor, inside, duration_minutes=60))
    assert book(patient, doctor, inside).pk is not None


def test_it_refuses_an_in_person_visit_when_the_doctor_only_works_remotely_then(
    patient: User, facility: Facility, slot: datetime
) -> None:
    remote_only = factories.DoctorFactory.create(facilities=[facility])
    factories.available_all_week(remote_only, facilities=[])

    refused(errors.NotInAvailability, str(errors.NotInAvailability.default_message),
            lambda: book(patient, remote_only, slot,
                         consultation_type=ConsultationType.IN_PERSON, facility=facility))


def test_it_refuses_a_call_during_in_person_only_hours(
    patient: User, facility: Facility, slot: datetime
) -> None:
    clinic_only = factories.DoctorFactory.create(facilities=[facility])
    factories.available_all_week(clinic_only, remote=False)

    refused(errors.NotInAvailability, str(errors.NotInAvailability.default_message),
            lambda: book(patient, clinic_only, slot, consultation_type=ConsultationType.PHONE))
    appointment = book(patient, clinic_only, slot, consultation_type=ConsultationType.IN_PERSON,
                       facility=facility)
    assert appointment.facility_id == facility.pk


def test_it_refuses_a_time_on_a_day_off(patient: User, slot: datetime) -> None:
    doctor = factories.DoctorFactory.create()
    factories.available_all_week(doctor)
    factories.AvailabilityExceptionFactory.create(
        doctor=doctor, start_date=timezone.localdate(slot, KARACHI)
    )

    refused(errors.NotInAvailability, str(errors.NotInAvailability.default_message),
            lambda: book(patient, doctor, slot))


def test_a_past_time_is_refused_as_past_before_availability(patient: User) -> None:
    idle = factories.DoctorFactory.create()
    refused(errors.SlotInPast, "Choose a time in the future.",
            lambda: book(patient, idle, timezone.now() - timedelta(days=1)))


def test_without_a_duration_it_books_one_slot_of_the_doctors_hours(
    patient: User, slot: datetime
) -> None:
    doctor = factories.DoctorFactory.create()
    factories.available_all_week(doctor, slot_minutes=20)
    twenty_past = slot + timedelta(minutes=20)

    appointment = book(patient, doctor, twenty_past)

    assert appointment.duration_minutes == 20
    assert appointment.ends_at == slot + timedelta(minutes=40)


# --- notifications ---------------------------------------------------------------------


def test_it_notifies_patient_and_doctor_with_a_link_once_the_booking_commits(
    patient: User, doctor: User, slot: datetime,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        appointment = book(patient, doctor, slot, chief_complaint="Chest pain")
    # Nothing is written or queued by the booking: it leaves a notice (the outbox).
    assert not Notification.objects.exists()
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True) as deliveries:
        services.booking_notices_send()  # what the beat job runs a few seconds later

    notes = Notification.objects.filter(event=NotificationEvent.APPOINTMENT_BOOKED)
    url = reverse("appointments:detail", args=[appointment.pk])
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([patient.pk, doctor.pk])
    assert set(notes.values_list("action_url", flat=True)) == {url}
    assert len(deliveries) >= 2  # each delivery is queued for after the task's commit
    for note in notes:
        assert "Chest pain" not in note.message
    doctor_note = notes.get(user=doctor)
    assert patient.name not in doctor_note.message
    local = timezone.localtime(slot, KARACHI).strftime("%H:%M")
    assert f"{local} (Asia/Karachi)" in doctor_note.message
    assert doctor.name in notes.get(user=patient).message


def test_a_refused_booking_notifies_nobody(
    patient: User, doctor: User, other_patient: User, slot: datetime
) -> None:
    book(other_patient, doctor, slot)
    Notification.objects.all().delete()

    with pytest.raises(errors.SlotUnavailable):
        book(patient, doctor, slot)

    assert not Notification.objects.exists()


def test_a_booking_closes_the_patients_waitlist_entry_for_that_day(
    patient: User, doctor: User, slot: datetime
) -> None:
    entry = WaitlistEntry.objects.create(
        patient=patient, doctor=doctor, day=timezone.localdate(slot, KARACHI)
    )

    book(patient, doctor, slot)

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED


# --- staff participant -----------------------------------------------------------------


def test_it_adds_staff_of_the_appointments_facility(
    patient: User, clinic_doctor: User, facility: Facility, slot: datetime
) -> None:
    staff = factories.StaffFactory.create(facility=facility)

    appointment = book(patient, clinic_doctor, slot, consultation_type="IN_PERSON",
                       facility=facility, staff=staff)

    appointment.refresh_from_db()
    assert appointment.staff_id == staff.pk


def test_it_refuses_staff_of_another_facility(
    patient: User, clinic_doctor: User, facility: Facility, slot: datetime
) -> None:
    outsider = factories.StaffFactory.create()

    refused(errors.StaffNotAllowed, "Only staff of the appointment's facility can join it.",
            lambda: book(patient, clinic_doctor, slot, consultation_type="IN_PERSON",
                         facility=facility, staff=outsider))
    assert not Appointment.objects.exists()


def test_staff_of_one_of_the_doctors_facilities_can_join_a_call(
    patient: User, clinic_doctor: User, facility: Facility, slot: datetime
) -> None:
    staff = factories.StaffFactory.create(facility=facility)
    outsider = factories.StaffFactory.create()

    refused(errors.StaffNotAllowed, "Only staff of the appointment's facility can join it.",
            lambda: book(patient, clinic_doctor, slot, staff=outsider))
    appointment = book(patient, clinic_doctor, slot, staff=staff)

    assert appointment.staff_id == staff.pk


@pytest.mark.parametrize("role", ["patient", "doctor", "deleted_staff"])
def test_it_refuses_anyone_but_active_staff_as_participant(
    patient: User, clinic_doctor: User, facility: Facility, slot: datetime, role: str
) -> None:
    participant = {
        "patient": lambda: factories.PatientFactory.create(),
        "doctor": lambda: factories.DoctorFactory.create(),
        "deleted_staff": lambda: factories.StaffFactory.create(
            facility=facility, deleted_at=timezone.now()),
    }[role]()

    refused(errors.StaffNotAllowed, "Only staff of the appointment's facility can join it.",
            lambda: book(patient, clinic_doctor, slot, consultation_type="IN_PERSON",
                         facility=facility, staff=participant))


# --- check_bookable --------------------------------------------------------------------


def check(patient: User, doctor: User, when: datetime, **kwargs: Any) -> None:
    kwargs.setdefault("consultation_type", ConsultationType.VIDEO_CALL)
    kwargs.setdefault("facility", None)
    kwargs.setdefault("duration_minutes", 30)
    check_bookable(patient=patient, doctor=doctor, scheduled_at=when, **kwargs)


def test_check_bookable_passes_a_free_offered_time_and_writes_nothing(
    patient: User, doctor: User, slot: datetime
) -> None:
    check(patient, doctor, slot)

    assert not Appointment.objects.exists()
    assert not Notification.objects.exists()


def test_check_bookable_ignores_the_appointment_being_moved(
    patient: User, doctor: User, slot: datetime
) -> None:
    moving = book(patient, doctor, slot)

    check(patient, doctor, slot, duration_minutes=60, exclude_appointment_id=moving.pk)
    with pytest.raises(errors.SlotUnavailable):
        check(patient, doctor, slot, duration_minutes=60)
    other_doctor_same_time = factories.DoctorFactory.create()
    factories.available_all_week(other_doctor_same_time)
    with pytest.raises(errors.PatientOverlap):
        check(patient, other_doctor_same_time, slot)
    check(patient, other_doctor_same_time, slot, exclude_appointment_id=moving.pk)


def test_check_bookable_refuses_a_time_another_patient_holds(
    patient: User, other_patient: User, doctor: User, slot: datetime
) -> None:
    theirs = book(other_patient, doctor, slot)
    mine = book(patient, doctor, slot + timedelta(hours=2))

    refused(errors.SlotUnavailable, "This time is no longer available.",
            lambda: check(patient, doctor, slot, exclude_appointment_id=mine.pk))
    assert theirs.pk != mine.pk


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"duration_minutes": 0}, errors.InvalidDuration),
        ({"consultation_type": "FAX"}, errors.InvalidConsultationType),
        ({"consultation_type": "IN_PERSON"}, errors.FacilityRequired),
        ({"duration_minutes": 45}, errors.NotInAvailability),
    ],
)
def test_check_bookable_raises_the_booking_errors(
    patient: User, doctor: User, slot: datetime, kwargs: dict[str, Any],
    error: type[errors.BookingError],
) -> None:
    with pytest.raises(error):
        check(patient, doctor, slot + timedelta(minutes=15 if error is errors.NotInAvailability
                                                else 0), **kwargs)


def test_check_bookable_refuses_a_naive_datetime(patient: User, doctor: User) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check(patient, doctor, datetime(2099, 1, 1, 10))  # noqa: DTZ001 - the point
