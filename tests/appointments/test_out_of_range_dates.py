"""Dates at the ends of the calendar get a form error, never a 500 from date arithmetic."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.appointments.lifecycle_support import make_clinic, on_the_hour, working_everyday

pytestmark = pytest.mark.django_db

EXTREMES = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:30:00+05:00"]


@pytest.mark.parametrize("slot", EXTREMES)
def test_booking_an_extreme_slot_is_refused_in_the_form(client: Client, slot: str) -> None:
    clinic = make_clinic()
    working_everyday(clinic)
    client.force_login(clinic.patient)

    response = client.post(
        reverse("appointments:book", args=[clinic.doctor.pk]),
        {"slot": slot, "consultation_type": "VIDEO_CALL", "chief_complaint": "x"},
    )

    assert response.status_code in (200, 400)
    assert "between 2000 and 2100" in response.content.decode()


@pytest.mark.parametrize("slot", EXTREMES)
def test_rescheduling_to_an_extreme_slot_is_refused(client: Client, slot: str) -> None:
    clinic = make_clinic()
    working_everyday(clinic)
    appointment = clinic.appointment(scheduled_at=on_the_hour(30))
    client.force_login(clinic.patient)

    response = client.post(reverse("appointments:reschedule", args=[appointment.pk]),
                           {"slot": slot})

    assert response.status_code < 500
    appointment.refresh_from_db()
    assert appointment.scheduled_at == on_the_hour(30)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_calendar_pages_refuse_extreme_days(client: Client, day: str) -> None:
    clinic = make_clinic()
    appointment = clinic.appointment(scheduled_at=on_the_hour(30))
    client.force_login(clinic.doctor)

    for url in (reverse("appointments:doctor_day"), reverse("appointments:doctor_week")):
        assert client.get(url, {"date": day}).status_code < 500
    client.force_login(clinic.patient)
    url = reverse("appointments:reschedule", args=[appointment.pk])
    assert client.get(url, {"day": day}).status_code < 500
