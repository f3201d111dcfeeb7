"""Account jobs run by Celery beat."""

from __future__ import annotations

from celery import shared_task

from apps.accounts import erasure


@shared_task(name="accounts.erase_deleted_users")
def erase_deleted_users() -> dict[str, int]:
    """Pseudonymise users soft-deleted more than ACCOUNT_ERASURE_AFTER_DAYS ago (daily)."""
    run = erasure.users_erase_due()
    return {"erased": run.erased, "failed": run.failed}
