"""Celery tasks for appointments: thin wrappers around the services."""

from __future__ import annotations

from celery import shared_task

from apps.appointments import reminders


@shared_task(name="appointments.send_due_reminders")
def send_due_reminders() -> dict[str, int]:
    """Beat runs this every minute; overlapping or repeated runs never send a reminder twice."""
    run = reminders.reminders_send_due()
    return {"sent": run.sent, "superseded": run.superseded, "batches": run.batches}
