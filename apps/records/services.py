"""Writes to medical records, and every logged read of them.

A read of a record (or of a patient's record list) writes exactly one phi_access_logs row in
the same request, granted or refused. A refused read is answered as if the record did not
exist (the caller turns RecordNotFound into a 404).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Role, User
from apps.appointments.models import Appointment
from apps.appointments.selectors import doctor_has_treated
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.core.errors import RuleError
from apps.core.i18n import in_language_of
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.records import attachments
from apps.records.models import BreakGlassGrant, BreakGlassLookup, MedicalRecord
from apps.records.permissions import (
    NO_ACCESS,
    Actor,
    RecordAccess,
    active_grant,
    can_write_for,
    is_practising_doctor,
    records_access,
)
from apps.records.selectors import appointments_for_record, record_get

logger = logging.getLogger(__name__)

BREAK_GLASS_REASON_MIN_LENGTH = 20
BREAK_GLASS_REASON_MIN_WORDS = 3
_WORD = re.compile(r"[^\W\d_]{2,}")  # two or more letters, in any script
# Look-ups by CNIC or email, found or not, per doctor per hour: a brake on enumeration.
BREAK_GLASS_LOOKUPS_PER_HOUR = 10


class RecordNotFound(Exception):
    """Not there, or not for this actor: the same answer either way."""


class RecordError(RuleError):
    pass


@dataclass(frozen=True)
class OpenedRecord:
    record: MedicalRecord
    access: RecordAccess


def _log(
    *, actor: User, action: str, resource_type: str, resource_id: int, patient_id: int | None,
    request: HttpRequest | None, access: RecordAccess,
) -> None:
    grant = access.grant
    phi_access_record(
        actor=actor, action=action, resource_type=resource_type, resource_id=resource_id,
        patient=patient_id, request=request, refused=not access.allowed,
        break_glass=grant is not None, reason=grant.reason if grant is not None else None,
    )


def _as_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_active else None


# --- Reads -------------------------------------------------------------------------------

def record_open(
    *, actor: Actor, record_id: int, request: HttpRequest | None = None,
) -> OpenedRecord:
    """The record if `actor` may read it, with one VIEW row logged; RecordNotFound otherwise.

    A refused attempt on an existing record is logged too (refused=True), against the record
    and its patient, so the patient sees it in their access log.
    """
    user = _as_user(actor)
    if user is None:
        raise RecordNotFound
    try:
        record = record_get(record_id=record_id)
    except MedicalRecord.DoesNotExist:
        raise RecordNotFound from None
    access = records_access(user, record.patient_id)
    _log(actor=user, action=PhiAction.VIEW, resource_type=PhiResource.MEDICAL_RECORD,
         resource_id=record.pk, patient_id=record.patient_id, request=request, access=access)
    if not access.allowed:
        raise RecordNotFound
    return OpenedRecord(record=record, access=access)


def patient_records_open(
    *, actor: Actor, patient_id: int, request: HttpRequest | None = None,
) -> RecordAccess:
    """A doctor opens a patient's record list: one VIEW row of the patient's profile.

    RecordNotFound when there is no such patient or the actor may not read them (logged
    as refused when the patient exists, whatever the actor's role).
    """
    user = _as_user(actor)
    if user is None:
        raise RecordNotFound
    if not User.objects.filter(pk=patient_id, role=Role.PATIENT).exists():
        raise RecordNotFound
    # A doctor's page: every other role (the patient included) is refused, and logged.
    access = records_access(user, patient_id) if user.role == Role.DOCTOR else NO_ACCESS
    _log(actor=user, action=PhiAction.VIEW, resource_type=PhiResource.PATIENT_PROFILE,
         resource_id=patient_id, patient_id=patient_id, request=request, access=access)
    if not access.allowed:
        raise RecordNotFound
    return access


@dataclass(frozen=True)
class AttachmentHandle:
    key: str
    kind: attachments.AttachmentKind
    filename: str


def attachment_open(
    *, actor: Actor, record_id: int, index: int, request: HttpRequest | None = None,
) -> AttachmentHandle:
    """One of the record's attachments, read as a VIEW of the record (logged once)."""
    opened = record_open(actor=actor, record_id=record_id, request=request)
    keys = opened.record.file_urls or []
    if not 0 <= index < len(keys):
        raise RecordNotFound
    key = keys[index]
    kind = attachments.kind_of_key(key)
    return AttachmentHandle(
        key=key, kind=kind, filename=f"record-{opened.record.pk}-{index + 1}.{kind.extension}"
    )


# --- Writes ------------------------------------------------------------------------------

def record_write_check(
    *, doctor: Actor, patient_id: int, request: HttpRequest | None = None, view: bool = False,
) -> User:
    """Whether `doctor` may write a record for this existing patient; RecordNotFound if not.

    `view` is a GET of the new-record form: it shows the patient's name and appointments,
    so it is logged like the doctor's patient page, as a VIEW of the patient's profile. A
    refusal (any role) is logged with the action the request would have been: VIEW for the
    form, UPDATE for a submission (whose granted UPDATE row record_create writes).
    """
    user = _as_user(doctor)
    if user is None:
        raise RecordNotFound
    if not User.objects.filter(pk=patient_id, role=Role.PATIENT).exists():
        raise RecordNotFound
    allowed = can_write_for(user, patient_id)
    if not allowed or view:
        phi_access_record(actor=user, action=PhiAction.VIEW if view else PhiAction.UPDATE,
                          resource_type=PhiResource.PATIENT_PROFILE, resource_id=patient_id,
                          patient=patient_id, request=request, refused=not allowed)
    if not allowed:
        raise RecordNotFound
    return user


def record_edit_check(
    *, doctor: Actor, record_id: int, request: HttpRequest | None = None, view: bool = False,
) -> MedicalRecord:
    """The record if `doctor` wrote it and still treats the patient; RecordNotFound if not.

    `view` is a GET of the edit form, which shows the record: logged as a VIEW of it,
    granted or refused. A refused submission (any role) is logged as a refused UPDATE.
    """
    user = _as_user(doctor)
    if user is None:
        raise RecordNotFound
    try:
        record = record_get(record_id=record_id)
    except MedicalRecord.DoesNotExist:
        raise RecordNotFound from None
    allowed = record.doctor_id == user.pk and can_write_for(user, record.patient_id)
    if not allowed or view:
        phi_access_record(
            actor=user, action=PhiAction.VIEW if view else PhiAction.UPDATE,
            resource_type=PhiResource.MEDICAL_RECORD, resource_id=record.pk,
            patient=record.patient_id, request=request, refused=not allowed,
        )
    if not allowed:
        raise RecordNotFound
    return record


def _check_appointment(
    *, doctor: User, patient_id: int, appointment: Appointment | None
) -> None:
    if appointment is None:
        return
    allowed = appointments_for_record(doctor_id=doctor.pk, patient_id=patient_id)
    if not allowed.filter(pk=appointment.pk).exists():
        raise RecordError(
            _("Choose one of your own appointments with this patient."), field="appointment"
        )


def _check_record_date(record_date: datetime) -> None:
    if timezone.is_naive(record_date):
        raise RecordError(_("Give the date with a time zone."), field="record_date")
    if record_date > timezone.now() + timedelta(days=1):
        raise RecordError(_("A record cannot be dated in the future."), field="record_date")


def _stored_then_saved(
    *, patient_id: int, uploads: Sequence[Any], save: Any,
) -> MedicalRecord:
    """Store the uploads, then run `save(keys)` in a transaction; remove the stored objects
    when the database write fails, so no record points at a missing file and no file lingers.
    """
    keys = attachments.attachments_store(patient_id=patient_id, uploads=uploads)
    try:
        with transaction.atomic():
            record: MedicalRecord = save(keys)
    except BaseException:
        attachments.attachments_discard(keys)
        raise
    # LIMITATION: inside a caller's outer transaction that later rolls back, the objects
    # stay stored but unreferenced — views call this outside any transaction.
    return record


def record_create(
    *,
    doctor: User,
    patient_id: int,
    record_type: str,
    record_date: datetime,
    diagnosis: str = "",
    treatment: str = "",
    notes: str = "",
    appointment: Appointment | None = None,
    uploads: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> MedicalRecord:
    """A doctor writes a record for a patient they have treated; one UPDATE row is logged."""
    if not can_write_for(doctor, patient_id):
        raise RecordNotFound
    if len(uploads) > attachments.MAX_ATTACHMENTS:
        raise RecordError(_("Attach at most %(count)s files.")
                          % {"count": attachments.MAX_ATTACHMENTS}, field="attachments")
    _check_record_date(record_date)
    _check_appointment(doctor=doctor, patient_id=patient_id, appointment=appointment)

    def save(keys: list[str]) -> MedicalRecord:
        record = MedicalRecord.objects.create(
            patient_id=patient_id, doctor=doctor, appointment=appointment,
            record_type=record_type, record_date=record_date,
            diagnosis=diagnosis or None, treatment=treatment or None, notes=notes or None,
            file_urls=keys or None,
        )
        phi_access_record(actor=doctor, action=PhiAction.UPDATE,
                          resource_type=PhiResource.MEDICAL_RECORD, resource_id=record.pk,
                          patient=patient_id, request=request)
        return record

    record = _stored_then_saved(patient_id=patient_id, uploads=uploads, save=save)
    logger.info("medical record created id=%s doctor=%s patient=%s attachments=%s",
                record.pk, doctor.pk, patient_id, len(record.file_urls or []))
    return record


def record_update(
    *,
    doctor: User,
    record_id: int,
    record_type: str,
    record_date: datetime,
    diagnosis: str = "",
    treatment: str = "",
    notes: str = "",
    appointment: Appointment | None = None,
    uploads: Sequence[Any] = (),
    request: HttpRequest | None = None,
) -> MedicalRecord:
    """The record's author, still treating the patient, changes it; new uploads are added.

    Locked while it changes; one UPDATE row is logged. Anyone else: RecordNotFound, logged
    as a refused UPDATE when the record exists.
    """
    try:
        current = MedicalRecord.objects.only("id", "patient_id", "doctor_id").get(pk=record_id)
    except MedicalRecord.DoesNotExist:
        raise RecordNotFound from None
    allowed = current.doctor_id == doctor.pk and can_write_for(doctor, current.patient_id)
    if not allowed:
        if _as_user(doctor) is not None:
            phi_access_record(actor=doctor, action=PhiAction.UPDATE,
                              resource_type=PhiResource.MEDICAL_RECORD, resource_id=current.pk,
                              patient=current.patient_id, request=request, refused=True)
        raise RecordNotFound
    _check_record_date(record_date)
    _check_appointment(doctor=doctor, patient_id=current.patient_id, appointment=appointment)

    def save(keys: list[str]) -> MedicalRecord:
        record = MedicalRecord.objects.select_for_update().get(pk=record_id)
        existing = list(record.file_urls or [])
        if len(existing) + len(keys) > attachments.MAX_ATTACHMENTS:
            raise RecordError(_("A record holds at most %(count)s files.")
                              % {"count": attachments.MAX_ATTACHMENTS}, field="attachments")
        record.record_type = record_type
        record.record_date = record_date
        record.diagnosis = diagnosis or None
        record.treatment = treatment or None
        record.notes = notes or None
        record.appointment = appointment
        record.file_urls = existing + keys or None
        record.save()
        phi_access_record(actor=doctor, action=PhiAction.UPDATE,
                          resource_type=PhiResource.MEDICAL_RECORD, resource_id=record.pk,
                          patient=record.patient_id, request=request)
        return record

    record = _stored_then_saved(patient_id=current.patient_id, uploads=uploads, save=save)
    logger.info("medical record updated id=%s doctor=%s", record.pk, doctor.pk)
    return record


# --- Break-glass -------------------------------------------------------------------------

def _patient_by_identifier(identifier: str) -> User | None:
    """A live patient by exact email or CNIC (through its blind index); None otherwise."""
    value = identifier.strip()
    if "@" in value:
        return User.objects.filter(
            role=Role.PATIENT, email__iexact=User.objects.normalize_email(value)
        ).first()
    try:
        patient: User | None = User.objects.with_cnic(value).filter(role=Role.PATIENT).first()
        return patient
    except ValueError:  # not 13 digits: no CNIC can match
        return None


def break_glass_reason_error(reason: str) -> str | None:
    """Why `reason` does not explain a break-glass look-up, or None when it does: at least
    BREAK_GLASS_REASON_MIN_LENGTH characters and BREAK_GLASS_REASON_MIN_WORDS different
    words of letters ("abcdeabcdeabcdeabcde" or one word repeated says nothing)."""
    reason = reason.strip()
    if len(reason) < BREAK_GLASS_REASON_MIN_LENGTH:
        return _("Explain why you need these records (at least %(count)s characters).") % {
            "count": BREAK_GLASS_REASON_MIN_LENGTH}
    words = {word.casefold() for word in _WORD.findall(reason)}
    if len(words) < BREAK_GLASS_REASON_MIN_WORDS:
        return _("Explain the reason in words: at least %(count)s different words.") % {
            "count": BREAK_GLASS_REASON_MIN_WORDS}
    return None


def break_glass_open(*, doctor: User, identifier: str, reason: str) -> int | None:
    """A doctor states a reason to open a patient's records without a treatment relationship.

    Returns the id of the patient whose records the doctor may now open, or None when no
    patient matches: the caller answers the same way for every miss. Every look-up, found
    or not, is recorded (BreakGlassLookup) and counted against the hourly limit. A grant is
    created unless they already treat the patient or hold an active grant for them (reused:
    no second grant, no second notification). The patient is told after the commit, once
    per grant.
    """
    reason = reason.strip()
    problem = break_glass_reason_error(reason)
    if problem is not None:
        raise RecordError(problem, field="reason")
    if not is_practising_doctor(doctor):
        return None
    with transaction.atomic():
        _check_lookup_allowance(doctor)
        patient = _patient_by_identifier(identifier)
        if patient is None or patient.pk == doctor.pk:
            BreakGlassLookup.objects.create(doctor=doctor, matched=False)
            logger.info("break-glass lookup matched no patient doctor=%s", doctor.pk)
            return None
        if doctor_has_treated(doctor_id=doctor.pk, patient_id=patient.pk):
            BreakGlassLookup.objects.create(doctor=doctor, matched=True)
            return patient.pk
        grant = active_grant(doctor_id=doctor.pk, patient_id=patient.pk)
        if grant is not None:
            BreakGlassLookup.objects.create(doctor=doctor, matched=True, grant=grant)
            logger.info("break-glass grant reused id=%s doctor=%s patient=%s",
                        grant.pk, doctor.pk, patient.pk)
            return patient.pk
        now = timezone.now()
        minutes = int(getattr(settings, "RECORD_BREAK_GLASS_MINUTES", 60))
        new_grant = BreakGlassGrant.objects.create(
            doctor=doctor, patient=patient, reason=reason, created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
        BreakGlassLookup.objects.create(doctor=doctor, matched=True, grant=new_grant)
        transaction.on_commit(lambda: _notify_break_glass(new_grant.pk))
    logger.info("break-glass grant id=%s doctor=%s patient=%s",
                new_grant.pk, doctor.pk, patient.pk)
    return patient.pk


def _check_lookup_allowance(doctor: User) -> None:
    """RecordError when the doctor has made BREAK_GLASS_LOOKUPS_PER_HOUR look-ups in the
    last hour, counted from the recorded look-ups (they survive a cache restart). The
    doctor's row is locked so that concurrent look-ups are counted one after another.
    Call inside a transaction."""
    list(User.objects.select_for_update().filter(pk=doctor.pk).values_list("pk", flat=True))
    since = timezone.now() - timedelta(hours=1)
    count = BreakGlassLookup.objects.filter(doctor=doctor, created_at__gt=since).count()
    if count >= BREAK_GLASS_LOOKUPS_PER_HOUR:
        logger.warning("break-glass look-ups throttled doctor=%s", doctor.pk)
        raise RecordError(_("Too many emergency look-ups in the last hour. Try again later, "
                            "or ask an administrator."))


def _access_log_url() -> str | None:
    try:
        return reverse("audit:access_log")
    except NoReverseMatch:
        return reverse("records:list")


def _notify_break_glass(grant_id: int) -> None:
    grant = BreakGlassGrant.objects.select_related("doctor", "patient").get(pk=grant_id)
    # No PHI here: the doctor's name only, never the reason or what was read.
    with in_language_of(grant.patient):
        notification_create(
            user=grant.patient,
            event=NotificationEvent.RECORDS_BREAK_GLASS,
            title=_("Your medical records were opened in an emergency"),
            message=_("%(doctor)s opened your medical records without an appointment with "
                      "you, stating a reason. You can see every access to your data on your "
                      "access log.") % {"doctor": grant.doctor.name},
            action_url=_access_log_url(),
        )
