"""Celery jobs for payments: settle JazzCash payments left PENDING, send refunds."""

from __future__ import annotations

import logging
import time

from celery import shared_task

from apps.payments import refunds, services

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


@shared_task(name="payments.settle_pending_jazzcash", ignore_result=False)
def settle_pending_jazzcash() -> dict[str, int]:
    """Ask JazzCash about pending payments (oldest first); counts of asked and changed."""
    started = time.monotonic()
    payment_ids = services.pending_gateway_payment_ids(limit=BATCH_SIZE)
    changed = sum(
        services.payment_settle_from_inquiry(payment_id=payment_id) for payment_id in payment_ids
    )
    logger.info("settle pending jazzcash asked=%s changed=%s seconds=%.2f",
                len(payment_ids), changed, time.monotonic() - started)
    return {"asked": len(payment_ids), "changed": changed}


@shared_task(name="payments.refund_send")
def refund_send_task(refund_id: int) -> str:
    """Send one PENDING gateway refund; a refund already sent is skipped."""
    return refunds.refund_send(refund_id=refund_id)
