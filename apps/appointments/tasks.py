"""Celery tasks for appointments: thin wrappers around the services."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.appointments import reminders, services

logger = logging.getLogger(__name__)


@shared_task(name="appointments.send_due_reminders", ignore_result=False)
def send_due_reminders() -> dict[str, int]:
    """Beat runs this every minute; overlapping or repeated runs never send a reminder twice."""
    run = reminders.reminders_send_due()
    return {"sent": run.sent, "superseded": run.superseded, "batches": run.batches}


@shared_task(name="appointments.send_booking_notices")
def send_booking_notices() -> int:
    """Beat runs this every few seconds: the notifications of new bookings (the outbox)."""
    return services.booking_notices_send()


@shared_task(name="appointments.booked_notify", acks_late=True, ignore_result=True)
def appointment_booked_notify(appointment_id: int, language: str | None = None) -> int:
    """Messages queued by releases before the booking outbox: they become outbox notices.

    Kept so such messages still in the queue at an upgrade are worked off, by the same job
    and under the same claim as every booking's, then sent at once. A rerun writes nothing
    twice. `language` is ignored (each notification is in its recipient's).
    """
    services.booking_notice_add(appointment_id=appointment_id)
    return services.booking_notices_send()


@shared_task(name="appointments.waitlist_offer_next")
def waitlist_offer_next_task(
    *, doctor_id: int, start: str, facility_id: int | None, consultation_type: str | None,
    skip_patient_ids: list[int],
) -> int:
    """The next patient in line hears of a freed time, if it is still free by now."""
    from datetime import datetime

    from django.db import transaction

    from apps.appointments import lifecycle

    with transaction.atomic():
        return lifecycle.waitlist_offer_next(
            doctor_id=doctor_id, start=datetime.fromisoformat(start), facility_id=facility_id,
            consultation_type=consultation_type, skip_patient_ids=skip_patient_ids,
        )
