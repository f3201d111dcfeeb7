"""Shared set-up for the cancel, reschedule, status, waitlist and calendar tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from apps.accounts.models import User
from apps.appointments.models import Appointment, ConsultationType
from apps.facilities.models import Facility
from tests import factories


def in_hours(hours: float) -> datetime:
    """A whole minute `hours` from now (negative: in the past)."""
    return (timezone.now() + timedelta(hours=hours)).replace(second=0, microsecond=0)


@dataclass
class Clinic:
    """A facility, a doctor who works there, one of its staff and a patient."""

    facility: Facility
    doctor: User
    staff: User
    patient: User

    def appointment(self, **overrides: Any) -> Appointment:
        values: dict[str, Any] = {
            "patient": self.patient, "doctor": self.doctor, "facility": self.facility,
            "consultation_type": ConsultationType.IN_PERSON,
            "scheduled_at": in_hours(24),
        }
        values.update(overrides)
        return factories.AppointmentFactory.create(**values)


def make_clinic() -> Clinic:
    facility = factories.FacilityFactory.create()
    return Clinic(
        facility=facility,
        doctor=factories.DoctorFactory.create(facilities=[facility]),
        staff=factories.StaffFactory.create(facility=facility),
        patient=factories.PatientFactory.create(),
    )


def on_the_hour(hours: int) -> datetime:
    """The start of the hour `hours` from now: on the 30-minute grid of `working_everyday`."""
    return (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


def working_everyday(clinic: Clinic) -> None:
    """The clinic's doctor offers 30-minute slots all day, every day, remote and in person."""
    factories.available_all_week(clinic.doctor, facilities=[clinic.facility])
