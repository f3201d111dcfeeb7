"""Erase the identity of users soft-deleted long enough ago; keep what the law keeps.

A soft-deleted account can be restored for ACCOUNT_ERASURE_AFTER_DAYS (default 90). After
that the job pseudonymises it, once (`users.erased_at`), each user in its own transaction:

- removed: name ("Erased user"), email (erased-<id>@erased.invalid), phone, CNIC and its
  blind index, address, date of birth, gender, emergency contact, years of experience; the
  password becomes unusable and every token and session is revoked;
- the user's notifications are deleted: copies of events whose facts live elsewhere, and
  their text may name people; no retention rule covers them;
- the user's family-history rows lose the relative's name and the free-text notes, which
  identify third parties who never had an account; relation, age and conditions stay, as
  part of the clinical history kept with the records;
- kept: allergies and blood type (clinical data that records and prescriptions written for
  this patient rely on; encrypted, and with no identity left they point at no one), and a
  doctor's PMDC and license numbers: records kept for 7 years must stay attributable to a
  registered practitioner, and the number is public in the PMDC register;
- untouched: medical records (7 years), prescriptions, appointments, payments (10 years) and
  the PHI access log (5 years) keep pointing at the same, now pseudonymous, row. Nothing is
  deleted through a foreign key: they all PROTECT the user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.records.models import FamilyMedicalHistory

logger = logging.getLogger(__name__)

ERASED_EMAIL_DOMAIN = "erased.invalid"  # RFC 2606: can never receive mail


def erased_email(user_id: int) -> str:
    return f"erased-{user_id}@{ERASED_EMAIL_DOMAIN}"


def erasure_cutoff(now: datetime | None = None) -> datetime:
    """Users soft-deleted at or before this moment are due for erasure."""
    return (now or timezone.now()) - timedelta(days=settings.ACCOUNT_ERASURE_AFTER_DAYS)


@dataclass(frozen=True)
class ErasureRun:
    erased: int
    failed: int


def users_erase_due(*, now: datetime | None = None, batch_size: int = 100) -> ErasureRun:
    """Erase every user due, `batch_size` ids at a time, each user in its own transaction.

    Safe to interrupt and to rerun: a user is erased or not, never half, and an erased user
    is never selected again. A user who fails is logged by id and skipped; the run goes on.
    """
    now = now or timezone.now()
    cutoff = erasure_cutoff(now)
    erased = failed = 0
    last_id = 0
    while True:
        ids = list(
            User.all_objects.filter(
                erased_at__isnull=True, deleted_at__isnull=False, deleted_at__lte=cutoff,
                pk__gt=last_id,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            break
        for user_id in ids:
            try:
                if user_erase(user_id=user_id, now=now):
                    erased += 1
            except Exception:
                failed += 1
                logger.exception("erasure failed user=%s", user_id)
        last_id = ids[-1]
    logger.info("erasure run erased=%d failed=%d", erased, failed)
    return ErasureRun(erased=erased, failed=failed)


@transaction.atomic
def user_erase(*, user_id: int, now: datetime | None = None) -> bool:
    """Pseudonymise one soft-deleted user if still due; False when there is nothing to do.

    The row is locked and the conditions checked again, so an admin restoring the user
    while the job runs either wins (the user stays) or waits for the erasure to finish.
    """
    now = now or timezone.now()
    user = (
        User.all_objects.select_for_update()
        .filter(pk=user_id, erased_at__isnull=True, deleted_at__lte=erasure_cutoff(now))
        .first()
    )
    if user is None:
        return False

    user.name = gettext("Erased user")
    user.email = erased_email(user.pk)
    for field in ("phone", "cnic", "address", "date_of_birth", "gender",
                  "emergency_contact", "years_of_experience"):
        setattr(user, field, None)
    user.set_unusable_password()
    user.tokens_revoked_at = now
    user.erased_at = now
    user.save()

    notifications, _by_model = Notification.objects.filter(user_id=user.pk).delete()
    relatives = FamilyMedicalHistory.objects.filter(patient_id=user.pk).update(
        relation_name=None, notes=None
    )
    logger.info("user erased user=%s notifications=%d family_rows=%d",
                user.pk, notifications, relatives)
    return True
