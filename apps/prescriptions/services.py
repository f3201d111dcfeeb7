"""Writing prescriptions: create, update while unsigned, warnings, acknowledgements, reads.

Every save re-runs the offline check and replaces the prescription's OFFLINE warnings
with its result, so a warning that no longer applies disappears. The openFDA task stores
its findings as OPENFDA rows and replaces only those (``openfda_warnings_store``); a save
drops the OPENFDA rows that name a medication no longer on the list, and the task queued
by the save brings the rest up to date. Nothing changes the warnings of a signed or
rejected prescription. An acknowledgement survives a
re-save only when the very same warning is still there. Every read or write of a
prescription writes one phi_access_logs row in the same request, granted or refused; a
refused attempt is answered as if the prescription did not exist (PrescriptionNotFound).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.core.errors import RuleError
from apps.core.pdf import undrawable_characters
from apps.core.text import has_control_characters
from apps.prescriptions import drugs, selectors
from apps.prescriptions.interactions import CheckResult, check_medications
from apps.prescriptions.models import (
    ESignStatus,
    Prescription,
    PrescriptionMedication,
    PrescriptionWarning,
    Severity,
    WarningSource,
)
from apps.prescriptions.openfda import OnlineCheckResult
from apps.prescriptions.permissions import can_edit, can_prescribe_for, can_read
from apps.prescriptions.warning_text import canonical
from apps.records.permissions import Actor

logger = logging.getLogger(__name__)

MAX_MEDICATIONS = 20
DEFAULT_VALIDITY_DAYS = 30
MAX_VALIDITY_DAYS = 365
ACKNOWLEDGEMENT_REASON_MIN_LENGTH = 10
ACKNOWLEDGEMENT_REASON_MAX_LENGTH = 1000


class PrescriptionNotFound(Exception):
    """Not there, or not for this actor: the same answer either way."""


class PrescriptionError(RuleError):
    pass


class DuplicateSubmission(Exception):
    """The same new-prescription form was submitted again: ``prescription_id`` is the one
    the first submit wrote."""

    def __init__(self, prescription_id: int) -> None:
        super().__init__(prescription_id)
        self.prescription_id = prescription_id


class PrescriptionLocked(PrescriptionError):
    """Signed or rejected: it can no longer change (a change means a new prescription)."""


@dataclass(frozen=True)
class MedicationInput:
    name: str
    dosage: str
    frequency: str
    duration: str
    instructions: str = ""


def _as_user(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) and actor.is_active else None


def _log(*, actor: User, action: str, resource_type: str, resource_id: int, patient_id: int,
         request: HttpRequest | None, refused: bool) -> None:
    phi_access_record(actor=actor, action=action, resource_type=resource_type,
                      resource_id=resource_id, patient=patient_id, request=request,
                      refused=refused)


# --- Checks -------------------------------------------------------------------------------


def offline_check(*, names: Sequence[str], allergies: str | None) -> CheckResult:
    return check_medications([name for name in names if name.strip()], allergies)


def check_preview(*, doctor: Actor, patient_id: int, names: Sequence[str]) -> CheckResult:
    """The live check of an unsaved list while the doctor types: nothing is written.

    Only for a doctor who may prescribe for this patient (their allergies are read).
    """
    user = _as_user(doctor)
    if user is None or not can_prescribe_for(user, patient_id):
        raise PrescriptionNotFound
    try:
        patient = selectors.patient_get(patient_id=patient_id)
    except User.DoesNotExist:
        raise PrescriptionNotFound from None
    return offline_check(names=names, allergies=patient.allergies)


def _warning_key(warning: PrescriptionWarning) -> tuple[str, str, str, str]:
    return (warning.warning_type, warning.severity, warning.drug_a or "", warning.drug_b or "")


def warnings_replace(*, prescription: Prescription, names: Sequence[str],
                     allergies: str | None) -> CheckResult:
    """Replace the prescription's warnings with the current offline result.

    An acknowledgement is carried over only to the same warning (type, severity and both
    drugs as entered); anything new or changed needs a new one.
    """
    # Stored in English whoever saves; pages re-render them in the reader's language.
    result = canonical(lambda: offline_check(names=names, allergies=allergies))
    fields = canonical(lambda: [warning.model_fields() for warning in result.warnings])
    _rows_replace(prescription=prescription, source=WarningSource.OFFLINE, fields=fields)
    return result


def _rows_replace(*, prescription: Prescription, source: str,
                  fields: Sequence[dict[str, str]]) -> int:
    """Replace the prescription's warning rows of one source, keeping acknowledgements of
    warnings that are still there. The caller holds the PENDING prescription's row lock."""
    if prescription.e_sign_status != ESignStatus.PENDING:
        raise _locked_error()  # a signed prescription's warnings are part of its record
    mine = PrescriptionWarning.objects.filter(prescription=prescription, source=source)
    acknowledged = {_warning_key(w): w for w in mine.filter(acknowledged_at__isnull=False)}
    mine.delete()
    rows = []
    for values in fields:
        row = PrescriptionWarning(prescription=prescription, source=source, **values)
        previous = acknowledged.get(_warning_key(row))
        if previous is not None:
            row.acknowledged_by_id = previous.acknowledged_by_id
            row.acknowledged_at = previous.acknowledged_at
            row.acknowledgement_reason = previous.acknowledgement_reason
        rows.append(row)
    PrescriptionWarning.objects.bulk_create(rows)
    return len(rows)


def _texts(names: Sequence[str]) -> set[str]:
    return {m.text for m in drugs.normalize_all([n for n in names if n.strip()]) if m.text}


def openfda_warnings_prune(*, prescription: Prescription, names: Sequence[str]) -> int:
    """Drop OPENFDA rows naming a medication that is no longer on the list (no stale
    alert after a swap, even while openFDA cannot be reached). Returns how many."""
    current = _texts(names)
    stale = [
        row.pk for row in PrescriptionWarning.objects.filter(
            prescription=prescription, source=WarningSource.OPENFDA)
        if not _texts([row.drug_a or ""]) <= current
        or not _texts([row.drug_b or ""]) <= current
    ]
    PrescriptionWarning.objects.filter(pk__in=stale).delete()
    return len(stale)


# openFDA findings are label mentions, not graded interactions: they stop at HIGH, so
# they never wait for an acknowledgement (the signing check counts every source, so one
# that did reach CRITICAL would still need it).
OPENFDA_MAX_SEVERITY = Severity.HIGH


def openfda_warnings_store(*, prescription_id: int, names: Sequence[str],
                           result: OnlineCheckResult) -> int | None:
    """Store the openFDA findings for this list as the prescription's OPENFDA rows.

    Nothing is stored (None) when the check did not run (the rows from the last run that
    did stay), when the prescription is signed or rejected, or when its list changed
    since the check started (the save that changed it queued a new check).
    """
    if not result.ran:
        return None
    with transaction.atomic():
        prescription = (Prescription.objects.select_for_update(of=("self",))
                        .filter(pk=prescription_id).first())
        if prescription is None or prescription.e_sign_status != ESignStatus.PENDING:
            return None
        current = list(prescription.medications.values_list("name", flat=True))
        if _texts(current) != _texts(names):
            return None
        fields = []
        for values in canonical(lambda: [w.model_fields() for w in result.warnings(names)]):
            if Severity.values.index(values["severity"]) > Severity.values.index(
                OPENFDA_MAX_SEVERITY
            ):
                values["severity"] = OPENFDA_MAX_SEVERITY.value
            fields.append(values)
        count = _rows_replace(prescription=prescription, source=WarningSource.OPENFDA,
                              fields=fields)
    logger.info("openfda warnings stored prescription=%s warnings=%d", prescription_id, count)
    return count


def warnings_stale(*, prescription: Prescription, names: Sequence[str],
                   allergies: str | None, stored: Sequence[PrescriptionWarning]) -> bool:
    """True when the offline check, run now, differs from the stored warning rows.

    The patient's allergies may have changed since the prescription was saved.
    """
    fresh = offline_check(names=names, allergies=allergies)
    new_keys = canonical(lambda: sorted(
        _warning_key(PrescriptionWarning(prescription=prescription, **w.model_fields()))
        for w in fresh.warnings
    ))
    return new_keys != sorted(_warning_key(w) for w in stored
                              if w.source == WarningSource.OFFLINE)


def warnings_refresh(*, prescription: Prescription) -> bool:
    """Re-run the offline check of a PENDING prescription against the patient's current
    allergies; replace the stored warnings when the outcome changed, keeping the
    acknowledgements of unchanged warnings. Returns True when the warnings changed.

    The caller holds the prescription (signing locks its row first).
    """
    if prescription.e_sign_status != ESignStatus.PENDING:
        return False
    names = list(prescription.medications.order_by("pk").values_list("name", flat=True))
    allergies = User.objects.get(pk=prescription.patient_id).allergies  # decrypted on access
    stored = list(PrescriptionWarning.objects.filter(prescription=prescription))
    if not warnings_stale(prescription=prescription, names=names, allergies=allergies,
                          stored=stored):
        return False
    warnings_replace(prescription=prescription, names=names, allergies=allergies)
    logger.info("prescription warnings refreshed id=%s", prescription.pk)
    return True


def warnings_refresh_if_stale(*, doctor: User, prescription: Prescription) -> bool:
    """For the author's view of a PENDING prescription (loaded by ``prescription_open``):
    when the stored warnings no longer match a fresh offline check, replace them under the
    row lock. Costs no query while they still match. True when they were replaced."""
    if prescription.doctor_id != doctor.pk or prescription.e_sign_status != ESignStatus.PENDING:
        return False
    names = [m.name for m in prescription.medications.all()]
    if not warnings_stale(prescription=prescription, names=names,
                          allergies=prescription.patient.allergies,
                          stored=list(prescription.warnings.all())):
        return False
    with transaction.atomic():
        locked = (Prescription.objects.select_for_update(of=("self",))
                  .filter(pk=prescription.pk, doctor_id=doctor.pk).first())
        if locked is None:
            return False
        return warnings_refresh(prescription=locked)


def _queue_online_check(prescription_id: int) -> None:
    """After commit, ask the Celery task to check the list against openFDA labels."""
    if not settings.OPENFDA_BASE_URL:
        return  # DISABLED: the page says the online check is unavailable

    def send() -> None:
        from apps.prescriptions.tasks import run_openfda_check

        try:
            run_openfda_check.delay(prescription_id)
        except Exception:  # a broker outage must not fail a saved prescription
            logger.exception("openfda check not queued prescription=%s", prescription_id)

    transaction.on_commit(send)


# --- Validation ---------------------------------------------------------------------------


def _text_problem(value: str) -> str | None:
    """Why this text cannot go on a prescription (its PDF must always print), or None."""
    if has_control_characters(value):
        return _("Remove the invisible control characters from the prescription's text.")
    found = undrawable_characters(value)
    if found:
        return _("These characters cannot be printed on the prescription: %(chars)s.") % {
            "chars": " ".join(found[:10])}
    return None


def _validate(*, valid_until: datetime, medications: Sequence[MedicationInput],
              instructions: str = "") -> None:
    now = timezone.now()
    if valid_until <= now:
        raise PrescriptionError(_("The prescription must be valid until a future date."),
                                field="valid_until")
    if valid_until > now + timedelta(days=MAX_VALIDITY_DAYS):
        raise PrescriptionError(
            _("A prescription can be valid for at most %(days)s days.")
            % {"days": MAX_VALIDITY_DAYS},
            field="valid_until",
        )
    if not medications:
        raise PrescriptionError(_("Add at least one medication."))
    if len(medications) > MAX_MEDICATIONS:
        raise PrescriptionError(_("A prescription can list at most %(count)s medications.")
                                % {"count": MAX_MEDICATIONS})
    for medication in medications:
        if not all(value.strip() for value in (medication.name, medication.dosage,
                                                medication.frequency, medication.duration)):
            raise PrescriptionError(
                _("Each medication needs a name, dosage, frequency and duration."))
    for text in [instructions, *(value for m in medications for value in (
            m.name, m.dosage, m.frequency, m.duration, m.instructions))]:
        problem = _text_problem(text or "")
        if problem:
            raise PrescriptionError(problem)


def _appointment_for(*, doctor_id: int, patient_id: int,
                     appointment_id: int | None) -> Appointment | None:
    if appointment_id is None:
        return None
    appointment = selectors.appointments_for_prescription(
        doctor_id=doctor_id, patient_id=patient_id,
    ).filter(pk=appointment_id).first()
    if appointment is None:
        raise PrescriptionError(_("Choose one of your appointments with this patient."),
                                field="appointment")
    return appointment


def _medications_create(prescription: Prescription,
                        medications: Sequence[MedicationInput]) -> None:
    PrescriptionMedication.objects.bulk_create(
        PrescriptionMedication(
            prescription=prescription, name=m.name.strip(), dosage=m.dosage.strip(),
            frequency=m.frequency.strip(), duration=m.duration.strip(),
            instructions=m.instructions.strip() or None,
        )
        for m in medications
    )


# --- Writes -------------------------------------------------------------------------------


def prescription_write_check(
    *, doctor: Actor, patient_id: int, request: HttpRequest | None = None, view: bool = False,
) -> User:
    """The patient, if `doctor` may prescribe for them; PrescriptionNotFound if not.

    `view` is a GET of the new-prescription form (it shows the patient's name and drives
    the allergy check): logged as a VIEW of the patient's profile. A refusal is logged too.
    """
    user = _as_user(doctor)
    if user is None:
        raise PrescriptionNotFound
    try:
        patient = selectors.patient_get(patient_id=patient_id)
    except User.DoesNotExist:
        raise PrescriptionNotFound from None
    allowed = can_prescribe_for(user, patient_id)
    if not allowed or view:
        _log(actor=user, action=PhiAction.VIEW if view else PhiAction.UPDATE,
             resource_type=PhiResource.PATIENT_PROFILE, resource_id=patient_id,
             patient_id=patient_id, request=request, refused=not allowed)
    if not allowed:
        raise PrescriptionNotFound
    return patient


@transaction.atomic
def prescription_create(
    *, doctor: User, patient_id: int, instructions: str, valid_until: datetime,
    medications: Sequence[MedicationInput], appointment_id: int | None = None,
    request: HttpRequest | None = None, submission_key: uuid.UUID | None = None,
) -> Prescription:
    """Write a PENDING prescription, check it offline, queue the online check.

    With ``submission_key`` (the form's one-time key) a repeated submit raises
    DuplicateSubmission naming the first prescription; the unique column settles two
    submits racing each other (the second waits for the first to commit).
    """
    if not can_prescribe_for(doctor, patient_id):
        raise PrescriptionNotFound
    if submission_key is not None:
        _refuse_duplicate(doctor=doctor, submission_key=submission_key)
    patient = selectors.patient_get(patient_id=patient_id)
    _validate(valid_until=valid_until, medications=medications, instructions=instructions)
    appointment = _appointment_for(doctor_id=doctor.pk, patient_id=patient_id,
                                   appointment_id=appointment_id)

    try:
        with transaction.atomic():
            prescription = Prescription.objects.create(
                patient=patient, doctor=doctor, appointment=appointment,
                instructions=instructions.strip() or None, valid_until=valid_until,
                submission_key=submission_key,
            )
    except IntegrityError:
        if submission_key is None:
            raise
        _refuse_duplicate(doctor=doctor, submission_key=submission_key)
        raise PrescriptionError(_("This form was already submitted: open it again to "
                                  "write a new prescription.")) from None
    _medications_create(prescription, medications)
    names = [m.name for m in medications]
    result = warnings_replace(prescription=prescription, names=names,
                              allergies=patient.allergies)

    _log(actor=doctor, action=PhiAction.UPDATE, resource_type=PhiResource.PRESCRIPTION,
         resource_id=prescription.pk, patient_id=patient_id, request=request, refused=False)
    _queue_online_check(prescription.pk)
    logger.info("prescription created prescription=%s doctor=%s medications=%d warnings=%d",
                prescription.pk, doctor.pk, len(medications), len(result.warnings))
    return prescription


def _refuse_duplicate(*, doctor: User, submission_key: uuid.UUID) -> None:
    first = (Prescription.objects.filter(submission_key=submission_key, doctor_id=doctor.pk)
             .values_list("pk", flat=True).first())
    if first is not None:
        logger.info("prescription submit repeated prescription=%s doctor=%s", first, doctor.pk)
        raise DuplicateSubmission(first)


def _locked_error() -> PrescriptionLocked:
    return PrescriptionLocked(
        _("This prescription is signed or rejected and can no longer be changed; write a "
          "new prescription instead."))


def prescription_edit_check(
    *, doctor: Actor, prescription_id: int, request: HttpRequest | None = None,
    view: bool = False,
) -> Prescription:
    """The prescription if `doctor` wrote it and still treats the patient.

    PrescriptionNotFound (logged as refused) otherwise; PrescriptionLocked once signed or
    rejected. `view` is a GET of the edit form: a VIEW of the prescription.
    """
    user = _as_user(doctor)
    if user is None:
        raise PrescriptionNotFound
    try:
        prescription = selectors.prescription_get(prescription_id=prescription_id)
    except Prescription.DoesNotExist:
        raise PrescriptionNotFound from None
    allowed = can_edit(user, prescription) and can_prescribe_for(user, prescription.patient_id)
    if not allowed or view:
        _log(actor=user, action=PhiAction.VIEW if view else PhiAction.UPDATE,
             resource_type=PhiResource.PRESCRIPTION, resource_id=prescription.pk,
             patient_id=prescription.patient_id, request=request, refused=not allowed)
    if not allowed:
        raise PrescriptionNotFound
    if prescription.e_sign_status != ESignStatus.PENDING:
        raise _locked_error()
    return prescription


def _lock_own(*, doctor: User, prescription_id: int) -> Prescription:
    """Lock the row (signing locks it too) and check authorship and state."""
    prescription = (
        Prescription.objects.select_for_update().select_related("patient")
        .filter(pk=prescription_id).first()
    )
    if prescription is None or not can_edit(doctor, prescription) or not can_prescribe_for(
        doctor, prescription.patient_id
    ):
        raise PrescriptionNotFound
    if prescription.e_sign_status != ESignStatus.PENDING:
        raise _locked_error()
    return prescription


@transaction.atomic
def prescription_update(
    *, doctor: User, prescription_id: int, instructions: str, valid_until: datetime,
    medications: Sequence[MedicationInput], appointment_id: int | None = None,
    request: HttpRequest | None = None,
) -> Prescription:
    """Change an unsigned prescription; its warnings are recomputed from the new list."""
    prescription = _lock_own(doctor=doctor, prescription_id=prescription_id)
    _validate(valid_until=valid_until, medications=medications, instructions=instructions)
    appointment = _appointment_for(doctor_id=doctor.pk, patient_id=prescription.patient_id,
                                   appointment_id=appointment_id)

    prescription.instructions = instructions.strip() or None
    prescription.valid_until = valid_until
    prescription.appointment = appointment
    prescription.save(update_fields=["instructions", "valid_until", "appointment",
                                     "updated_at"])
    PrescriptionMedication.objects.filter(prescription=prescription).delete()
    _medications_create(prescription, medications)
    names = [m.name for m in medications]
    result = warnings_replace(prescription=prescription, names=names,
                              allergies=prescription.patient.allergies)
    openfda_warnings_prune(prescription=prescription, names=names)

    _log(actor=doctor, action=PhiAction.UPDATE, resource_type=PhiResource.PRESCRIPTION,
         resource_id=prescription.pk, patient_id=prescription.patient_id, request=request,
         refused=False)
    _queue_online_check(prescription.pk)
    logger.info("prescription updated prescription=%s medications=%d warnings=%d",
                prescription.pk, len(medications), len(result.warnings))
    return prescription


def warning_acknowledge(
    *, doctor: User, prescription_id: int, warning_id: int, reason: str,
    request: HttpRequest | None = None,
) -> PrescriptionWarning:
    """The author records why a CRITICAL warning is accepted; signing waits for this.

    Anyone else gets PrescriptionNotFound, logged as a refused UPDATE (outside the
    transaction, so the refusal row stays).
    """
    existing = Prescription.objects.filter(pk=prescription_id).only(
        "id", "doctor_id", "patient_id").first()
    if existing is None:
        raise PrescriptionNotFound
    if not (can_edit(doctor, existing) and can_prescribe_for(doctor, existing.patient_id)):
        _log(actor=doctor, action=PhiAction.UPDATE, resource_type=PhiResource.PRESCRIPTION,
             resource_id=existing.pk, patient_id=existing.patient_id, request=request,
             refused=True)
        raise PrescriptionNotFound
    with transaction.atomic():
        return _acknowledge(doctor=doctor, prescription_id=prescription_id,
                            warning_id=warning_id, reason=reason, request=request)


def _acknowledge(*, doctor: User, prescription_id: int, warning_id: int, reason: str,
                 request: HttpRequest | None) -> PrescriptionWarning:
    prescription = _lock_own(doctor=doctor, prescription_id=prescription_id)
    warning = PrescriptionWarning.objects.filter(pk=warning_id,
                                                 prescription=prescription).first()
    if warning is None:
        raise PrescriptionNotFound
    if warning.severity != Severity.CRITICAL:
        raise PrescriptionError(_("Only a critical warning needs an acknowledgement."))
    if warning.acknowledged_at is not None:
        raise PrescriptionError(_("This warning is already acknowledged."))
    reason = reason.strip()
    if len(reason) < ACKNOWLEDGEMENT_REASON_MIN_LENGTH:
        raise PrescriptionError(
            _("Give a reason of at least %(count)s characters.")
            % {"count": ACKNOWLEDGEMENT_REASON_MIN_LENGTH}, field="reason",
        )
    if len(reason) > ACKNOWLEDGEMENT_REASON_MAX_LENGTH:
        raise PrescriptionError(
            _("Keep the reason under %(count)s characters.")
            % {"count": ACKNOWLEDGEMENT_REASON_MAX_LENGTH}, field="reason",
        )

    warning.acknowledged_by = doctor
    warning.acknowledged_at = timezone.now()
    warning.acknowledgement_reason = reason
    warning.save(update_fields=["acknowledged_by", "acknowledged_at",
                                "acknowledgement_reason"])

    _log(actor=doctor, action=PhiAction.UPDATE, resource_type=PhiResource.PRESCRIPTION,
         resource_id=prescription.pk, patient_id=prescription.patient_id, request=request,
         refused=False)
    logger.info("prescription warning acknowledged prescription=%s warning=%s",
                prescription.pk, warning.pk)
    return warning


# --- Reads --------------------------------------------------------------------------------


def prescription_open(
    *, actor: Actor, prescription_id: int, request: HttpRequest | None = None,
) -> Prescription:
    """The prescription if `actor` may read it, with one VIEW row logged.

    A refused attempt on an existing prescription is logged as refused against its patient.
    """
    user = _as_user(actor)
    if user is None:
        raise PrescriptionNotFound
    try:
        prescription = selectors.prescription_get(prescription_id=prescription_id)
    except Prescription.DoesNotExist:
        raise PrescriptionNotFound from None
    allowed = can_read(user, prescription)
    _log(actor=user, action=PhiAction.VIEW, resource_type=PhiResource.PRESCRIPTION,
         resource_id=prescription.pk, patient_id=prescription.patient_id, request=request,
         refused=not allowed)
    if not allowed:
        raise PrescriptionNotFound
    return prescription
