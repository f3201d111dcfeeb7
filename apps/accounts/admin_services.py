"""What admins do to accounts in bulk: verify doctors, soft-delete and restore users.

Each function takes the acting admin and the selected ids, applies the change to the rows
it may change, and reports how many it changed and why it left the others alone.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import OperationalError, transaction
from django.utils import timezone

from apps.accounts.lifecycle import users_deleted_cleanup
from apps.accounts.models import Role, User
from apps.audit.models import AdminAuditAction
from apps.audit.services import AdminChange, admin_events_record
from apps.core.db import DEADLOCK_ATTEMPTS, is_deadlock

logger = logging.getLogger(__name__)

# Why a selected user was left unchanged.
SKIP_MISSING = "missing"
SKIP_NOT_DOCTOR = "not_doctor"
SKIP_ALREADY_VERIFIED = "already_verified"
SKIP_NO_LICENSE = "no_license"
SKIP_SELF = "self"
SKIP_PLATFORM_OWNER = "platform_owner"
SKIP_ALREADY_DELETED = "already_deleted"
SKIP_NOT_DELETED = "not_deleted"
SKIP_ERASED = "erased"

# Changes recorded in admin_audit_events with their old and new values.
AUDITED_FIELDS = ("role", "is_verified", "pmdc_verified", "deleted_at")


def _audited_fields(action: str) -> tuple[str, ...]:
    # A soft delete also revokes tokens; only "log out everywhere" is recorded for that alone.
    if action == AdminAuditAction.LOGOUT_EVERYWHERE:
        return (*AUDITED_FIELDS, "tokens_revoked_at")
    return AUDITED_FIELDS


@dataclass(frozen=True)
class BulkOutcome:
    changed_ids: tuple[int, ...]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> int:
        return len(self.changed_ids)


def admin_may_manage(actor: User, user: User) -> bool:
    """ADMIN may not change a PLATFORM_OWNER's account; only a platform owner may."""
    return actor.role == Role.PLATFORM_OWNER or user.role != Role.PLATFORM_OWNER


def _apply(
    *, actor: User, user_ids: Iterable[int], skip_reason: Callable[[User], str | None],
    changes: dict[str, Any], audit_action: str,
) -> BulkOutcome:
    """Lock the selected rows, update those `skip_reason` lets through, count the rest.

    Each change to an audited field is recorded with its old and new value, in the same
    transaction.
    """
    if not actor.is_staff:
        raise PermissionDenied("Only admins and platform owners manage accounts.")
    ids = {int(pk) for pk in user_ids}
    skipped: Counter[str] = Counter()
    changed: list[int] = []
    with transaction.atomic():
        # Locked so that two admins acting on one row apply their changes one at a time.
        users = list(
            User.all_objects.filter(pk__in=ids).select_for_update()
            .only("pk", "role", "pmdc_verified", "pmdc_license_number", "deleted_at",
                  "erased_at", "tokens_revoked_at")
        )
        skipped[SKIP_MISSING] = len(ids) - len(users)
        for user in users:
            reason = skip_reason(user)
            if reason is None:
                changed.append(user.pk)
            else:
                skipped[reason] += 1
        if changed:
            User.all_objects.filter(pk__in=changed).update(**changes)
            admin_events_record(actor=actor, action=audit_action, changes=[
                AdminChange(user.pk, name, getattr(user, name), changes[name])
                for user in users if user.pk in changed
                for name in _audited_fields(audit_action) if name in changes
            ])
    return BulkOutcome(
        changed_ids=tuple(sorted(changed)),
        skipped={reason: count for reason, count in sorted(skipped.items()) if count},
    )


def user_verify_pmdc(*, actor: User, user_ids: Iterable[int]) -> BulkOutcome:
    """Mark the selected doctors' PMDC licenses verified; other roles are left alone."""

    def skip_reason(user: User) -> str | None:
        if user.role != Role.DOCTOR:
            return SKIP_NOT_DOCTOR
        if user.pmdc_verified:
            return SKIP_ALREADY_VERIFIED
        if not user.pmdc_license_number:
            return SKIP_NO_LICENSE
        return None

    outcome = _apply(
        actor=actor, user_ids=user_ids, skip_reason=skip_reason,
        changes={"pmdc_verified": True, "updated_at": timezone.now()},
        audit_action=AdminAuditAction.PMDC_VERIFY,
    )
    logger.info(
        "pmdc verified actor=%s count=%d users=%s skipped=%s", actor.pk, outcome.changed,
        outcome.changed_ids, outcome.skipped,
    )
    return outcome


def user_soft_delete(*, actor: User, user_ids: Iterable[int]) -> BulkOutcome:
    """Set deleted_at: the user can no longer log in and vanishes from every list."""

    def skip_reason(user: User) -> str | None:
        if user.pk == actor.pk:
            return SKIP_SELF
        if not admin_may_manage(actor, user):
            return SKIP_PLATFORM_OWNER
        if user.deleted_at is not None:
            return SKIP_ALREADY_DELETED
        return None

    user_ids = list(user_ids)
    # Closing accounts locks the rows of every patient with a booking to cancel; a booking
    # of one of them at that instant can deadlock with it. PostgreSQL then ends one side: if
    # it is this one (and no caller's transaction is open), it is simply done again.
    attempts = 1 if transaction.get_connection().in_atomic_block else DEADLOCK_ATTEMPTS
    for attempt in range(1, attempts + 1):
        now = timezone.now()
        try:
            # Revoking tokens ends API access at once; web sessions end because the user is
            # inactive.
            with transaction.atomic():
                outcome = _apply(
                    actor=actor, user_ids=user_ids, skip_reason=skip_reason,
                    changes={"deleted_at": now, "tokens_revoked_at": now, "updated_at": now},
                    audit_action=AdminAuditAction.SOFT_DELETE,
                )
                # Lifecycle: their future appointments are cancelled and the other party told.
                users_deleted_cleanup(actor=actor, user_ids=outcome.changed_ids, now=now)
            break
        except OperationalError as exc:
            if not is_deadlock(exc) or attempt == attempts:
                raise
            logger.info("users soft-delete deadlocked, again attempt=%s actor=%s",
                        attempt, actor.pk)
    logger.info(
        "users soft-deleted actor=%s count=%d users=%s skipped=%s", actor.pk, outcome.changed,
        outcome.changed_ids, outcome.skipped,
    )
    return outcome


def user_restore(*, actor: User, user_ids: Iterable[int]) -> BulkOutcome:
    """Clear deleted_at so the user can log in again; tokens issued before stay revoked."""

    def skip_reason(user: User) -> str | None:
        if not admin_may_manage(actor, user):
            return SKIP_PLATFORM_OWNER
        if user.deleted_at is None:
            return SKIP_NOT_DELETED
        if user.erased_at is not None:
            return SKIP_ERASED  # its identity is gone: nobody could log in as it again
        return None

    outcome = _apply(
        actor=actor, user_ids=user_ids, skip_reason=skip_reason,
        changes={"deleted_at": None, "updated_at": timezone.now()},
        audit_action=AdminAuditAction.RESTORE,
    )
    logger.info(
        "users restored actor=%s count=%d users=%s skipped=%s", actor.pk, outcome.changed,
        outcome.changed_ids, outcome.skipped,
    )
    return outcome


# --- Forced logout (lifecycle) ------------------------------------------------------------


def user_force_logout(*, actor: User, user_ids: Iterable[int]) -> BulkOutcome:
    """Set tokens_revoked_at: every web session and API token issued before now ends."""

    def skip_reason(user: User) -> str | None:
        if not admin_may_manage(actor, user):
            return SKIP_PLATFORM_OWNER
        return None

    now = timezone.now()
    outcome = _apply(
        actor=actor, user_ids=user_ids, skip_reason=skip_reason,
        changes={"tokens_revoked_at": now, "updated_at": now},
        audit_action=AdminAuditAction.LOGOUT_EVERYWHERE,
    )
    logger.info(
        "users logged out everywhere actor=%s count=%d users=%s skipped=%s", actor.pk,
        outcome.changed, outcome.changed_ids, outcome.skipped,
    )
    return outcome
