"""factory_boy factories for every role and the core objects; synthetic data only."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import factory
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityException,
    ConsultationType,
    DoctorAvailability,
    ExceptionKind,
)
from apps.facilities.models import DoctorFacility, Facility, FacilityType
from apps.payments.models import Payment, PaymentMethod, PaymentStatus

TEST_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test fixture


class UserFactory(factory.django.DjangoModelFactory[User]):
    if TYPE_CHECKING:
        # factory_boy types `Factory()` as the factory; the call returns the model.
        def __new__(cls, *args: Any, **kwargs: Any) -> User: ...  # type: ignore[misc]

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@test.healthlink.pk")
    name = factory.Sequence(lambda n: f"Test User {n}")
    role = Role.PATIENT
    is_verified = True

    @factory.post_generation
    def password(obj: User, create: bool, extracted: str | None, **kwargs: Any) -> None:  # noqa: N805
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class PatientFactory(UserFactory):
    role = Role.PATIENT
    email = factory.Sequence(lambda n: f"patient{n}@test.healthlink.pk")
    name = factory.Sequence(lambda n: f"Test Patient {n}")


class OrganizationFactory(UserFactory):
    role = Role.ORGANIZATION
    email = factory.Sequence(lambda n: f"org{n}@test.healthlink.pk")
    name = factory.Sequence(lambda n: f"Test Organization {n}")


class FacilityFactory(factory.django.DjangoModelFactory[Facility]):
    if TYPE_CHECKING:
        # factory_boy types `Factory()` as the factory; the call returns the model.
        def __new__(cls, *args: Any, **kwargs: Any) -> Facility: ...  # type: ignore[misc]

    class Meta:
        model = Facility

    name = factory.Sequence(lambda n: f"Test Clinic {n}")
    organization = factory.SubFactory(OrganizationFactory)
    facility_type = FacilityType.CLINIC
    address = "1 Test Road"
    city = "Lahore"
    province = "Punjab"
    latitude = "31.52040000"
    longitude = "74.35870000"
    operating_hours = factory.LazyFunction(
        lambda: {day: "00:00-23:59" for day in (
            "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    )


class DoctorFactory(UserFactory):
    role = Role.DOCTOR
    email = factory.Sequence(lambda n: f"doctor{n}@test.healthlink.pk")
    name = factory.Sequence(lambda n: f"Dr Test {n}")
    specialty = "General Physician"
    pmdc_verified = True
    pmdc_license_number = factory.Sequence(lambda n: f"TEST-{n:06d}")
    license_number = factory.Sequence(lambda n: f"LIC-{n:06d}")
    years_of_experience = 5

    @factory.post_generation
    def facilities(obj: User, create: bool, extracted: list[Facility] | None,  # noqa: N805
                   **kwargs: Any) -> None:
        if create and extracted:
            for facility in extracted:
                DoctorFacility.objects.create(doctor=obj, facility=facility)


class StaffFactory(UserFactory):
    role = Role.STAFF
    email = factory.Sequence(lambda n: f"staff{n}@test.healthlink.pk")
    name = factory.Sequence(lambda n: f"Test Staff {n}")
    position = "Receptionist"
    facility = factory.SubFactory(FacilityFactory)


class AdminFactory(UserFactory):
    role = Role.ADMIN
    email = factory.Sequence(lambda n: f"admin{n}@test.healthlink.pk")


class PlatformOwnerFactory(UserFactory):
    role = Role.PLATFORM_OWNER
    email = factory.Sequence(lambda n: f"owner{n}@test.healthlink.pk")


class AppointmentFactory(factory.django.DjangoModelFactory[Appointment]):
    if TYPE_CHECKING:
        # factory_boy types `Factory()` as the factory; the call returns the model.
        def __new__(cls, *args: Any, **kwargs: Any) -> Appointment: ...  # type: ignore[misc]

    class Meta:
        model = Appointment

    patient = factory.SubFactory(PatientFactory)
    doctor = factory.SubFactory(DoctorFactory)
    scheduled_at = factory.LazyFunction(
        lambda: (timezone.now() + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    )
    duration_minutes = 30
    status = AppointmentStatus.SCHEDULED
    consultation_type = ConsultationType.VIDEO_CALL
    chief_complaint = "Persistent cough"


# --- Availability (issue 3) -------------------------------------------------------------

class AvailabilityFactory(factory.django.DjangoModelFactory[DoctorAvailability]):
    """One weekly block; remote (video and phone) unless a facility is given."""

    if TYPE_CHECKING:
        # factory_boy types `Factory()` as the factory; the call returns the model.
        def __new__(cls, *args: Any, **kwargs: Any) -> DoctorAvailability: ...  # type: ignore[misc]

    class Meta:
        model = DoctorAvailability

    doctor = factory.SubFactory(DoctorFactory)
    facility = None
    weekday = 0
    start_time = time(9, 0)
    end_time = time(17, 0)
    slot_minutes = 30
    time_zone = factory.LazyAttribute(lambda obj: obj.doctor.time_zone or "Asia/Karachi")


class AvailabilityExceptionFactory(
    factory.django.DjangoModelFactory[AvailabilityException]
):
    if TYPE_CHECKING:
        # factory_boy types `Factory()` as the factory; the call returns the model.
        def __new__(  # type: ignore[misc]
            cls, *args: Any, **kwargs: Any
        ) -> AvailabilityException: ...

    class Meta:
        model = AvailabilityException

    doctor = factory.SubFactory(DoctorFactory)
    facility = None
    kind = ExceptionKind.DAY_OFF
    start_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=1))
    end_date = factory.LazyAttribute(lambda obj: obj.start_date)
    start_time = None
    end_time = None
    slot_minutes = 30
    time_zone = factory.LazyAttribute(lambda obj: obj.doctor.time_zone or "Asia/Karachi")


def available_all_week(
    doctor: User,
    *,
    facilities: list[Facility] | None = None,
    remote: bool = True,
    start: time = time(0, 0),
    end: time = time(23, 59),
    slot_minutes: int = 30,
) -> list[DoctorAvailability]:
    """Give `doctor` bookable hours every day: remote, and at each facility in `facilities`.

    Remote and in-person blocks share the same hours here (the availability pages refuse
    that overlap; tests that only need "the doctor works now" do not care). Facilities
    default to the doctor's own (DoctorFacility) ones.
    """
    if facilities is None:
        facilities = list(Facility.objects.filter(doctor_links__doctor_id=doctor.pk))
    places: list[Facility | None] = [*facilities]
    if remote:
        places.insert(0, None)
    rows = [
        DoctorAvailability(
            doctor=doctor, facility=place, weekday=weekday, start_time=start, end_time=end,
            slot_minutes=slot_minutes, time_zone=doctor.time_zone or "Asia/Karachi",
        )
        for place in places
        for weekday in range(7)
    ]
    return DoctorAvailability.objects.bulk_create(rows)


# --- Payments (issue 6, dispute) -----------------------------------------------------------

class PaidPaymentFactory(factory.django.DjangoModelFactory[Payment]):
    """A COMPLETED JazzCash payment for a completed appointment (payer and payee from it)."""

    if TYPE_CHECKING:
        def __new__(cls, *args: Any, **kwargs: Any) -> Payment: ...  # type: ignore[misc]

    class Meta:
        model = Payment

    appointment = factory.SubFactory(
        AppointmentFactory, status=AppointmentStatus.COMPLETED,
        scheduled_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=3)),
    )
    payer = factory.LazyAttribute(lambda obj: obj.appointment.patient)
    payee = factory.LazyAttribute(lambda obj: obj.appointment.doctor)
    amount = Decimal("2000.00")
    payment_method = PaymentMethod.JAZZCASH
    status = PaymentStatus.COMPLETED
    transaction_id = factory.Sequence(lambda n: f"TTEST{n:08d}")
