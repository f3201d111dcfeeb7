"""appointment_book: what it books, and every reason it refuses, with the exact message."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.appointments import errors
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType
from apps.appointments.services import appointment_book
from apps.facilities.models import Facility
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def slot() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def facility() -> Facility:
    return factories.FacilityFactory.create(city="Karachi")


@pytest.fixture
def clinic_doctor(facility: Facility) -> User:
    return factories.DoctorFactory.create(facilities=[facility])


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
    patient: User, doctor: User, other_doctor: User, slot: datetime
) -> None:
    book(patient, doctor, slot)
    refused(errors.PatientOverlap, "You already have an appointment at this time.",
            lambda: book(patient, other_doctor, slot + timedelta(minutes=15)))
    assert Appointment.objects.count() == 1


def test_it_ignores_the_patients_cancelled_appointment_when_checking_overlap(
    patient: User, doctor: User, other_doctor: User, slot: datetime
) -> None:
    factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, scheduled_at=slot, status=AppointmentStatus.CANCELLED
    )
    appointment = book(patient, other_doctor, slot)

    assert appointment.status == AppointmentStatus.SCHEDULED


def test_it_maps_the_databases_overlap_refusal_to_slot_unavailable(
    patient: User, other_patient: User, doctor: User, slot: datetime
) -> None:
    book(patient, doctor, slot)
    refused(errors.SlotUnavailable, "This time is no longer available.",
            lambda: book(other_patient, doctor, slot + timedelta(minutes=29)))
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
