"""Celery tasks for appointments: thin wrappers around the services."""

from __future__ import annotations

import logging

from celery import shared_task
from redis.exceptions import RedisError

from apps.appointments import reminders
from apps.core import task_queue

logger = logging.getLogger(__name__)


@shared_task(name="appointments.send_due_reminders", ignore_result=False)
def send_due_reminders() -> dict[str, int]:
    """Beat runs this every minute; overlapping or repeated runs never send a reminder twice."""
    run = reminders.reminders_send_due()
    return {"sent": run.sent, "superseded": run.superseded, "batches": run.batches}


# ignore_result: nobody reads the count, and a Redis result backend would otherwise
# subscribe to the result channel on every booking request that queues this.
@shared_task(name="appointments.booked_notify", acks_late=True, ignore_result=True)
def appointment_booked_notify(appointment_id: int, language: str | None = None) -> int:
    """Write the booking's notifications for patient and doctor; a rerun writes nothing twice.

    Queued by appointment_book once the booking commits. Each notification is written in
    its recipient's language; `language` (the booker's, sent by older releases) is ignored.
    """
    # Imported here: services queues this task, so it imports this module lazily too.
    from apps.appointments import services

    return services.appointment_booked_notifications_create(
        appointment_id=appointment_id
    )


def appointment_booked_notify_queue(appointment_id: int) -> None:
    """Queue appointment_booked_notify for a worker, as .delay() would, at less cost.

    On the plain Redis setup the message goes out with one LPUSH (apps.core.task_queue);
    otherwise, or when that push fails, through .delay() with kombu's own retries. Raises
    when the task cannot be queued at all (the caller then writes the notifications).
    """
    try:
        if task_queue.push(appointment_booked_notify, (appointment_id,)):
            return
    except RedisError as exc:
        logger.warning("booked_notify for appointment %s: direct push failed error=%s",
                       appointment_id, type(exc).__name__)
    appointment_booked_notify.delay(appointment_id)


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
