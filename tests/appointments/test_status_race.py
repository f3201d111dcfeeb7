"""A cancel and a complete racing for one appointment: the row lock lets exactly one win."""

from __future__ import annotations

import time
from typing import Any

import pytest

from apps.appointments import errors, lifecycle
from apps.appointments.models import Appointment, AppointmentStatus
from tests.appointments.lifecycle_support import in_hours, make_clinic
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# Long enough that, without the lock, both threads would have read SCHEDULED before either
# writes; the test then fails with two winners.
HOLD_SECONDS = 0.4




@pytest.fixture
def slow_saves(monkeypatch: pytest.MonkeyPatch) -> None:
    real_save = lifecycle._save

    def save_after_a_pause(*args: Any, **kwargs: Any) -> None:
        time.sleep(HOLD_SECONDS)
        real_save(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "_save", save_after_a_pause)


@pytest.mark.usefixtures("slow_saves")
def test_a_concurrent_cancel_and_complete_have_exactly_one_winner() -> None:
    clinic = make_clinic()
    appointment = clinic.appointment(scheduled_at=in_hours(-0.5))

    results = race([
        lambda: lifecycle.appointment_cancel(
            actor=clinic.doctor, appointment_id=appointment.pk, reason="Patient phoned"),
        lambda: lifecycle.appointment_complete(
            actor=clinic.doctor, appointment_id=appointment.pk),
    ])

    winners = [r for r in results if isinstance(r, Appointment)]
    losers = [r for r in results if not isinstance(r, Appointment)]
    assert len(winners) == 1, results
    assert len(losers) == 1 and isinstance(losers[0], errors.AppointmentNotScheduled), results
    appointment.refresh_from_db()
    assert appointment.status == winners[0].status
    assert appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.COMPLETED)
    # One change after the booking, not two.
    assert appointment.history.count() == 2


def test_a_cancel_racing_a_reschedule_never_deadlocks() -> None:
    from tests.appointments.lifecycle_support import on_the_hour, working_everyday

    clinic = make_clinic()
    working_everyday(clinic)
    appointment = clinic.appointment(scheduled_at=on_the_hour(30))
    new_time = on_the_hour(40)

    for _ in range(3):  # the deadlock showed up in two tries out of three
        results = race([
            lambda: lifecycle.appointment_cancel(
                actor=clinic.patient, appointment_id=appointment.pk),
            lambda: lifecycle.appointment_reschedule(
                actor=clinic.patient, appointment_id=appointment.pk, scheduled_at=new_time),
        ])

        assert not [r for r in results if isinstance(r, Exception)
                    and not isinstance(r, errors.AppointmentChangeError | errors.BookingError)
                    ], results
        assert any(isinstance(r, Appointment) for r in results), results
        Appointment.objects.filter(pk=appointment.pk).update(
            status=AppointmentStatus.SCHEDULED, scheduled_at=on_the_hour(30)
        )
