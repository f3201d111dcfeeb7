"""factory_boy factories for every role and the core objects; synthetic data only."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import factory
from django.utils import timezone

from apps.accounts.models import Role, User
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType
from apps.facilities.models import DoctorFacility, Facility, FacilityType

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
