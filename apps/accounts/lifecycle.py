"""What follows a soft delete: the account's bookings are cancelled, the others told."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from apps.accounts.models import User
from apps.appointments.lifecycle import appointments_cancel_for_deleted_user

logger = logging.getLogger(__name__)


def users_deleted_cleanup(
    *, actor: User, user_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Cancel the future appointments of users just soft-deleted; return how many.

    Runs in the caller's transaction (the one that set deleted_at), so the deletion and
    its cancellations commit together; notifications go out after that commit.
    """
    cancelled = 0
    with transaction.atomic():
        for user_id in user_ids:
            cancelled += appointments_cancel_for_deleted_user(
                actor=actor, user_id=user_id, now=now
            )
    return cancelled
