"""Celery tasks for appointments: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from apps.appointments import reminders


@shared_task(name="appointments.send_due_reminders")
def send_due_reminders() -> dict[str, int]:
    """Beat runs this every minute; overlapping or repeated runs never send a reminder twice."""
    run = reminders.reminders_send_due()
    return {"sent": run.sent, "superseded": run.superseded, "batches": run.batches}


@shared_task(name="appointments.booked_notify", acks_late=True)
def appointment_booked_notify(appointment_id: int, language: str | None = None) -> int:
    """Write the booking's notifications for patient and doctor; a rerun writes nothing twice.

    Queued by appointment_book once the booking commits, with the booker's language.
    """
    # Imported here: services queues this task, so it imports this module lazily too.
    from apps.appointments import services

    return services.appointment_booked_notifications_create(
        appointment_id=appointment_id, language=language
    )
