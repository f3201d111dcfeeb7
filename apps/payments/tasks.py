"""Celery tasks for payments: thin wrappers that take ids and return what they did."""

from __future__ import annotations

from celery import shared_task

from apps.payments import refunds


@shared_task(name="payments.refund_send")
def refund_send_task(refund_id: int) -> str:
    """Send one PENDING gateway refund; a refund already sent is skipped."""
    return refunds.refund_send(refund_id=refund_id)
