"""What happens to an appointment after it is booked: cancel, reschedule, outcome, waitlist.

Status moves only SCHEDULED → COMPLETED / CANCELLED / NO_SHOW. Every service locks the
appointment row (SELECT … FOR UPDATE) before it reads the status, so two changes racing for
one appointment are serialised and the second one sees what the first one did. Every change
is saved through the model, so django-simple-history records it with the acting user.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

import psycopg
from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apps.accounts.models import Role, User
from apps.appointments import availability, errors, services
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultationType,
    WaitlistEntry,
    WaitlistStatus,
)
from apps.appointments.permissions import appointment_scope
from apps.appointments.selectors import WAITLIST_ACTIVE, ends_after, user_zone, zone_day_bounds
from apps.core.db import is_deadlock
from apps.core.i18n import in_language_of
from apps.facilities.models import Facility
from apps.notifications.models import NotificationEvent
from apps.notifications.services import notification_create
from apps.payments import refunds

logger = logging.getLogger(__name__)

# A patient changes an appointment online only this long before it starts; later, the
# clinic has likely turned other patients away for the slot, so a person must decide.
PATIENT_CHANGE_CUTOFF = timedelta(hours=2)
WAITLIST_DAYS_AHEAD = 90
WAITLIST_CONSTRAINT = "uniq_waitlist_active_entry"


# --- Who may do what --------------------------------------------------------------------


def _is_patient(actor: User, appointment: Appointment) -> bool:
    return actor.role == Role.PATIENT and actor.pk == appointment.patient_id


def _is_doctor(actor: User, appointment: Appointment) -> bool:
    return actor.role == Role.DOCTOR and actor.pk == appointment.doctor_id


def _is_facility_staff(actor: User, appointment: Appointment) -> bool:
    return (
        actor.role == Role.STAFF
        and actor.facility_id is not None
        and actor.facility_id == appointment.facility_id
    )


@dataclass(frozen=True)
class AppointmentActions:
    """What the actor may do to the appointment now, and why a patient may not."""

    can_cancel: bool = False
    can_reschedule: bool = False
    can_record_outcome: bool = False
    reason_required: bool = False
    refusal: str = ""


def appointment_actions(
    *, actor: User, appointment: Appointment, now: datetime | None = None
) -> AppointmentActions:
    """The buttons to offer. The services check the same rules again under a row lock."""
    now = now or timezone.now()
    if appointment.status != AppointmentStatus.SCHEDULED or not actor.is_active:
        return AppointmentActions()
    if _is_patient(actor, appointment):
        if appointment.scheduled_at - now < PATIENT_CHANGE_CUTOFF:
            return AppointmentActions(refusal=str(errors.TooLateToChange.default_message))
        return AppointmentActions(can_cancel=True, can_reschedule=True)
    if _is_doctor(actor, appointment):
        return AppointmentActions(
            can_cancel=True, can_reschedule=True, reason_required=True,
            can_record_outcome=appointment.scheduled_at <= now,
        )
    if _is_facility_staff(actor, appointment):
        return AppointmentActions(can_cancel=True, can_reschedule=True, reason_required=True)
    return AppointmentActions()


def _check_scheduled(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.SCHEDULED:
        raise errors.AppointmentNotScheduled(
            _("This appointment is already %(status)s; only a scheduled one can change.")
            % {"status": appointment.get_status_display().lower()}
        )


def _check_may_change(actor: User, appointment: Appointment, now: datetime) -> None:
    """Cancel and reschedule: the patient until the cut-off, the doctor and staff any time."""
    _check_scheduled(appointment)
    if _is_patient(actor, appointment):
        if appointment.scheduled_at - now < PATIENT_CHANGE_CUTOFF:
            raise errors.TooLateToChange()
        return
    if not (_is_doctor(actor, appointment) or _is_facility_staff(actor, appointment)):
        raise errors.ChangeNotAllowed()


def _lock(actor: User, appointment_id: int) -> Appointment:
    """The appointment row, locked until the transaction ends; DoesNotExist outside scope."""
    scope = appointment_scope(actor)
    if scope is None:
        raise Appointment.DoesNotExist
    return (
        Appointment.objects.select_for_update(of=("self",))
        .filter(scope)
        .get(pk=appointment_id)
    )


def _save(appointment: Appointment, actor: User, reason: str, fields: list[str]) -> None:
    appointment._history_user = actor  # type: ignore[attr-defined]
    appointment._change_reason = reason  # type: ignore[attr-defined]
    appointment.save(update_fields=[*fields, "updated_at"])


# --- Status changes ---------------------------------------------------------------------


def appointment_cancel(
    *,
    actor: User,
    appointment_id: int,
    reason: str = "",
    refund_destination: str | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Cancel a SCHEDULED appointment and free its time at once.

    A patient may cancel up to PATIENT_CHANGE_CUTOFF before the start; the doctor or the
    facility's staff at any time, with a reason. The patient and the doctor are told, and
    the freed time is offered to the day's waitlist. What was paid is refunded by the
    cancellation policy (apps.payments.refunds) to `refund_destination` ("SOURCE" or
    "WALLET"; by default the patient's saved preference, else the wallet).
    """
    now = now or timezone.now()
    reason = reason.strip()
    try:
        with transaction.atomic():
            appointment = _lock_with_patient(actor, appointment_id)
            _check_may_change(actor, appointment, now)
            if not _is_patient(actor, appointment) and not reason:
                raise errors.CancellationReasonRequired()

            appointment.status = AppointmentStatus.CANCELLED
            appointment.cancelled_by = actor
            appointment.cancellation_reason = reason or None
            _save(appointment, actor, "cancelled",
                  ["status", "cancelled_by", "cancellation_reason"])
            refunds.payments_on_appointment_cancelled(
                appointment_id=appointment.pk, patient_id=appointment.patient_id, actor=actor,
                cancelled_by_patient=_is_patient(actor, appointment),
                scheduled_at=appointment.scheduled_at, destination=refund_destination, now=now,
            )

            _notify_parties(appointment, event=NotificationEvent.APPOINTMENT_CANCELLED)
            waitlist_offer_freed_slot(
                doctor=appointment.doctor, start=appointment.scheduled_at,
                facility_id=appointment.facility_id,
                consultation_type=appointment.consultation_type,
                skip_patient_id=appointment.patient_id, now=now,
            )
    except errors.AppointmentChangeError as exc:
        logger.info("cancel refused reason=%s appointment=%s actor=%s",
                    type(exc).__name__, appointment_id, actor.pk)
        raise

    logger.info("appointment cancelled id=%s actor=%s", appointment.pk, actor.pk)
    return appointment


def appointments_cancel_for_deleted_user(
    *, actor: User, user_id: int, now: datetime | None = None
) -> int:
    """Cancel what a soft-deleted doctor or patient still had booked; return how many.

    A clinic whose doctor leaves calls the patients: every SCHEDULED appointment that has
    not started is cancelled with a reason, its time freed, and the other party told (after
    commit). A deleted doctor's freed times are not offered to the waitlist, whose entries
    for them are cancelled too; a deleted patient's are. `actor` is the admin who deleted
    the account. Appointments already under way or past keep their status for the doctor
    to record. Call inside the transaction that sets deleted_at.
    """
    now = now or timezone.now()
    departed = User.all_objects.get(pk=user_id)
    is_doctor = departed.role == Role.DOCTOR
    if is_doctor:
        reason = _("The doctor is no longer available on HealthLink.")
    else:
        reason = _("The patient's account was closed.")
    ids = list(
        Appointment.objects.filter(
            Q(doctor_id=user_id) | Q(patient_id=user_id),
            status=AppointmentStatus.SCHEDULED, scheduled_at__gt=now,
        ).order_by("scheduled_at", "pk").values_list("pk", "patient_id")
    )
    cancelled = 0
    for appointment_id, patient_id in ids:
        # Same lock order as every other change: the patient's row, then the appointment.
        list(User.all_objects.select_for_update().filter(pk=patient_id).values_list("pk"))
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "doctor")
            .filter(pk=appointment_id, status=AppointmentStatus.SCHEDULED)
            .first()
        )
        if appointment is None:
            continue
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_by = actor
        appointment.cancellation_reason = reason
        _save(appointment, actor, "cancelled: account deleted",
              ["status", "cancelled_by", "cancellation_reason"])
        # A closed account cannot spend a wallet: its refunds go back where they came from.
        refunds.payments_on_appointment_cancelled(
            appointment_id=appointment.pk, patient_id=appointment.patient_id, actor=actor,
            cancelled_by_patient=False, scheduled_at=appointment.scheduled_at,
            destination=None if is_doctor else "SOURCE", now=now,
        )
        _notify_remaining_party(appointment, departed=departed)
        if not is_doctor:
            waitlist_offer_freed_slot(
                doctor=appointment.doctor, start=appointment.scheduled_at,
                facility_id=appointment.facility_id,
                consultation_type=appointment.consultation_type,
                skip_patient_id=appointment.patient_id, now=now,
            )
        cancelled += 1

    waitlisted = WaitlistEntry.objects.filter(
        Q(doctor_id=user_id) | Q(patient_id=user_id), status__in=WAITLIST_ACTIVE
    ).update(status=WaitlistStatus.CANCELLED)
    logger.info("appointments cancelled for deleted user=%s count=%d waitlist=%d actor=%s",
                user_id, cancelled, waitlisted, actor.pk)
    return cancelled


def _notify_remaining_party(appointment: Appointment, *, departed: User) -> None:
    """Tell the one who is still here; the deleted account gets nothing."""
    url = reverse("appointments:detail", args=[appointment.pk])
    doctor_left = departed.pk == appointment.doctor_id
    recipient = appointment.patient if doctor_left else appointment.doctor
    if not recipient.is_active:
        return
    with in_language_of(recipient):
        if doctor_left:
            message = _("Your appointment on %(when)s has been cancelled: the doctor is no "
                        "longer available on HealthLink. Please book another doctor.")
        else:
            message = _("The appointment on %(when)s has been cancelled: the patient's "
                        "account was closed. The time is free again.")
        notification_create(
            user=recipient, event=NotificationEvent.APPOINTMENT_CANCELLED,
            title=_("Appointment cancelled"), action_url=url,
            message=message % {"when": _when(appointment.scheduled_at, recipient)},
        )


def appointment_complete(
    *, actor: User, appointment_id: int, now: datetime | None = None
) -> Appointment:
    """The doctor records that the consultation took place (only once it has started)."""
    return _record_outcome(actor, appointment_id, AppointmentStatus.COMPLETED, now)


def appointment_mark_no_show(
    *, actor: User, appointment_id: int, now: datetime | None = None
) -> Appointment:
    """The doctor records that the patient did not come (only once it has started)."""
    return _record_outcome(actor, appointment_id, AppointmentStatus.NO_SHOW, now)


def _record_outcome(
    actor: User, appointment_id: int, status: AppointmentStatus, now: datetime | None
) -> Appointment:
    now = now or timezone.now()
    try:
        with transaction.atomic():
            appointment = _lock_with_patient(actor, appointment_id)
            _check_scheduled(appointment)
            if not _is_doctor(actor, appointment):
                raise errors.ChangeNotAllowed()
            if appointment.scheduled_at > now:
                raise errors.NotStartedYet()

            appointment.status = status
            _save(appointment, actor, status.lower(), ["status"])
            if status == AppointmentStatus.NO_SHOW:
                refunds.payments_on_no_show(appointment_id=appointment.pk)
    except errors.AppointmentChangeError as exc:
        logger.info("outcome refused reason=%s appointment=%s actor=%s status=%s",
                    type(exc).__name__, appointment_id, actor.pk, status)
        raise

    logger.info("appointment outcome id=%s status=%s", appointment.pk, status)
    return appointment


# --- Reschedule -------------------------------------------------------------------------


def appointment_reschedule(
    *,
    actor: User,
    appointment_id: int,
    scheduled_at: datetime,
    facility: Facility | None = None,
    duration_minutes: int | None = None,
    now: datetime | None = None,
) -> Appointment:
    """Move a SCHEDULED appointment to a new time in one step, or change nothing.

    The same row is updated, so the new time is taken and the old one released in a single
    UPDATE: the doctor-overlap exclusion constraint decides a race for the new time, and a
    loser keeps the old time. An in-person visit stays at its facility unless `facility`
    names another of the doctor's; a remote one has none. The old time goes to the waitlist.
    """
    if timezone.is_naive(scheduled_at):
        raise ValueError("scheduled_at must be timezone-aware.")
    now = now or timezone.now()
    try:
        with transaction.atomic():
            appointment = _lock_with_patient(actor, appointment_id)
            _check_may_change(actor, appointment, now)
            if appointment.consultation_type == ConsultationType.IN_PERSON:
                facility = facility or appointment.facility
            duration = duration_minutes or appointment.duration_minutes
            facility_id = facility.pk if facility else None
            if (scheduled_at, duration, facility_id) == (
                appointment.scheduled_at, appointment.duration_minutes, appointment.facility_id
            ):
                raise errors.SameTime()
            services.check_bookable(
                patient=appointment.patient, doctor=appointment.doctor,
                scheduled_at=scheduled_at, duration_minutes=duration,
                consultation_type=appointment.consultation_type, facility=facility,
                exclude_appointment_id=appointment.pk,
            )

            old_start, old_facility_id = appointment.scheduled_at, appointment.facility_id
            appointment.scheduled_at = scheduled_at
            appointment.duration_minutes = duration
            appointment.facility = facility
            _save_new_time(appointment, actor)

            _notify_parties(appointment, event=NotificationEvent.APPOINTMENT_RESCHEDULED)
            waitlist_offer_freed_slot(
                doctor=appointment.doctor, start=old_start, facility_id=old_facility_id,
                consultation_type=appointment.consultation_type,
                skip_patient_id=appointment.patient_id, now=now,
            )
    except errors.BookingError as exc:
        logger.info("reschedule refused reason=%s appointment=%s actor=%s",
                    type(exc).__name__, appointment_id, actor.pk)
        raise

    logger.info("appointment rescheduled id=%s actor=%s", appointment.pk, actor.pk)
    return appointment


def _lock_with_patient(actor: User, appointment_id: int) -> Appointment:
    # Every change locks the patient's user row first, then the appointment: a cancel's
    # writes touch the user row (foreign keys), an account closure locks it too, and the
    # booking outbox job waits on it; one order for everyone is what keeps a cancel racing
    # a reschedule or a closure from deadlocking.
    scope = appointment_scope(actor)
    if scope is None:
        raise Appointment.DoesNotExist
    patient_id = (
        Appointment.objects.filter(scope).values_list("patient_id", flat=True)
        .get(pk=appointment_id)
    )
    list(User.objects.select_for_update().filter(pk=patient_id).values_list("pk"))
    return _lock(actor, appointment_id)


def _save_new_time(appointment: Appointment, actor: User) -> None:
    """Write the new time; the exclusion constraints refuse it if someone took it meanwhile.

    A concurrent booking writing a conflicting row at the same instant can make PostgreSQL
    end one of the two with a deadlock error; if it is this one, the write is tried again
    and then meets the committed row (see services.WRITE_ATTEMPTS).
    """
    for attempt in range(1, services.WRITE_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                _save(appointment, actor, "rescheduled",
                      ["scheduled_at", "duration_minutes", "facility"])
            return
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            logger.info("reschedule write raced another attempt=%s appointment=%s",
                        attempt, appointment.pk)
            if attempt == services.WRITE_ATTEMPTS:
                raise errors.CalendarBusy() from exc
        except IntegrityError as exc:
            refusal = services.overlap_error(exc)
            if refusal is not None:
                raise refusal from exc
            raise


# --- Notifications ----------------------------------------------------------------------


def _when(moment: datetime, user: User) -> str:
    """`moment` on the recipient's wall clock, with the zone named."""
    zone = user_zone(user)
    local = timezone.localtime(moment, zone)
    return f"{formats.date_format(local, 'l j F Y, H:i')} ({zone.key})"


def _notify_parties(appointment: Appointment, *, event: NotificationEvent) -> None:
    """Tell the patient and the doctor. No complaint, no reason text: the link shows them."""
    url = reverse("appointments:detail", args=[appointment.pk])
    patient, doctor = appointment.patient, appointment.doctor
    cancelled = event == NotificationEvent.APPOINTMENT_CANCELLED
    with in_language_of(patient):
        if cancelled:
            title = _("Appointment cancelled")
            message = _("Your appointment with %(doctor)s on %(when)s has been cancelled.")
        else:
            title = _("Appointment rescheduled")
            message = _("Your appointment with %(doctor)s is now on %(when)s.")
        notification_create(
            user=patient, event=event, title=title, action_url=url,
            message=message % {"doctor": doctor.name,
                               "when": _when(appointment.scheduled_at, patient)},
        )
    with in_language_of(doctor):
        if cancelled:
            title = _("Appointment cancelled")
            message = _("The appointment on %(when)s has been cancelled.")
        else:
            title = _("Appointment rescheduled")
            message = _("An appointment has moved to %(when)s.")
        notification_create(
            user=doctor, event=event, title=title, action_url=url,
            message=message % {"when": _when(appointment.scheduled_at, doctor)},
        )


# --- Waitlist ---------------------------------------------------------------------------


def booking_link(
    *, doctor_id: int, start: datetime, consultation_type: str | None = None,
    facility_id: int | None = None,
) -> str:
    """The booking page with this slot chosen.

    `?slot=` carries the start as the booking form posts it (Slot.key: ISO 8601 in UTC),
    with the kind of visit and the place the freed appointment had.
    """
    query = {"slot": start.astimezone(UTC).isoformat()}
    if consultation_type:
        query["consultation_type"] = consultation_type
    if facility_id is not None:
        query["facility"] = str(facility_id)
    return f"{reverse('appointments:book', args=[doctor_id])}?{urlencode(query)}"


def waitlist_offer_freed_slot(
    *,
    doctor: User,
    start: datetime,
    facility_id: int | None = None,
    consultation_type: str | None = None,
    skip_patient_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Offer a freed time to the doctor's waitlist for that day, one patient at a time.

    The first in line (earliest to join) is told at once, with a link that books the time if
    it is still free. If nobody has taken it WAITLIST_OFFER_MINUTES later, the next in line
    is told, and so on: patients hear in the order they joined, and an offer nobody answers
    never leaves the time empty for long. Returns how many were told now (0 or 1).
    """
    skip = [] if skip_patient_id is None else [skip_patient_id]
    return waitlist_offer_next(
        doctor_id=doctor.pk, start=start, facility_id=facility_id,
        consultation_type=consultation_type, skip_patient_ids=skip, now=now,
    )


def waitlist_offer_next(
    *,
    doctor_id: int,
    start: datetime,
    facility_id: int | None,
    consultation_type: str | None,
    skip_patient_ids: list[int],
    now: datetime | None = None,
) -> int:
    """Tell the next patient in line about `start`, unless it has started or been taken."""
    now = now or timezone.now()
    doctor = User.objects.filter(pk=doctor_id).first()
    if doctor is None or start <= now or _time_taken(doctor_id, start):
        return 0
    zone = user_zone(doctor)
    day = timezone.localtime(start, zone).date()
    entries = list(
        WaitlistEntry.objects.select_for_update(of=("self",))
        .filter(doctor_id=doctor_id, day=day, status__in=WAITLIST_ACTIVE)
        .exclude(patient_id__in=skip_patient_ids)
        .select_related("patient")
        .order_by("created_at", "pk")
    )
    # Someone who has since booked this doctor on that day needs no offer.
    day_start, day_end = zone_day_bounds(day, zone)
    booked = set(
        Appointment.objects.filter(
            doctor_id=doctor_id, status=AppointmentStatus.SCHEDULED,
            scheduled_at__gte=day_start, scheduled_at__lt=day_end,
            patient_id__in=[entry.patient_id for entry in entries],
        ).values_list("patient_id", flat=True)
    )
    WaitlistEntry.objects.filter(
        pk__in=[entry.pk for entry in entries if entry.patient_id in booked]
    ).update(status=WaitlistStatus.BOOKED)
    waiting = [entry for entry in entries if entry.patient_id not in booked]
    if not waiting:
        return 0

    entry = waiting[0]
    with in_language_of(entry.patient):
        notification_create(
            user=entry.patient, event=NotificationEvent.WAITLIST_SLOT_FREE,
            title=_("A time is free with %(doctor)s") % {"doctor": doctor.name},
            message=_("%(when)s is now free. Book it before someone else does.")
            % {"when": _when(start, entry.patient)},
            action_url=booking_link(doctor_id=doctor_id, start=start, facility_id=facility_id,
                                    consultation_type=consultation_type),
        )
    WaitlistEntry.objects.filter(pk=entry.pk).update(
        status=WaitlistStatus.NOTIFIED, notified_at=now
    )
    if len(waiting) > 1:
        offer = {
            "doctor_id": doctor_id, "start": start.isoformat(), "facility_id": facility_id,
            "consultation_type": consultation_type,
            "skip_patient_ids": [*skip_patient_ids, entry.patient_id],
        }
        transaction.on_commit(lambda: _queue_next_offer(offer))
    logger.info("waitlist offered doctor=%s day=%s entry=%s left=%s",
                doctor_id, day.isoformat(), entry.pk, len(waiting) - 1)
    return 1


def _time_taken(doctor_id: int, start: datetime) -> bool:
    return Appointment.objects.filter(
        ends_after(start), doctor_id=doctor_id, status=AppointmentStatus.SCHEDULED,
        scheduled_at__lte=start,
    ).exists()


def _queue_next_offer(offer: dict[str, object]) -> None:
    from apps.appointments.tasks import waitlist_offer_next_task  # tasks imports services

    waitlist_offer_next_task.apply_async(
        kwargs=offer, countdown=settings.WAITLIST_OFFER_MINUTES * 60
    )


def waitlist_join(
    *, patient: User, doctor: User, day: date, now: datetime | None = None
) -> WaitlistEntry:
    """Put the patient on the doctor's waitlist for `day` (a date on the doctor's calendar).

    Only for a day the doctor works with no free time left: with a free slot the patient
    should book it, and on a day without hours nothing can free up.
    """
    now = now or timezone.now()
    try:
        if patient.role != Role.PATIENT or not patient.is_active:
            raise errors.NotAPatient()
        if doctor.role != Role.DOCTOR or not doctor.pmdc_verified or not doctor.is_active:
            raise errors.DoctorUnavailable()
        zone = user_zone(doctor)
        today = timezone.localtime(now, zone).date()
        if day < today:
            raise errors.WaitlistDayInPast()
        if day > today + timedelta(days=WAITLIST_DAYS_AHEAD):
            raise errors.WaitlistDayTooFar()
        if WaitlistEntry.objects.filter(
            patient_id=patient.pk, doctor_id=doctor.pk, day=day, status__in=WAITLIST_ACTIVE
        ).exists():
            raise errors.WaitlistDuplicate()
        _check_day_is_full(doctor=doctor, day=day, now=now)
        entry = _insert_entry(patient=patient, doctor=doctor, day=day)
    except errors.BookingError as exc:
        logger.info("waitlist join refused reason=%s patient=%s doctor=%s",
                    type(exc).__name__, patient.pk, doctor.pk)
        raise

    logger.info("waitlist joined entry=%s patient=%s doctor=%s", entry.pk, patient.pk, doctor.pk)
    return entry


def _insert_entry(*, patient: User, doctor: User, day: date) -> WaitlistEntry:
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(patient=patient, doctor=doctor, day=day)
    except IntegrityError as exc:
        cause = exc.__cause__
        if (
            isinstance(cause, psycopg.errors.IntegrityError)
            and cause.diag.constraint_name == WAITLIST_CONSTRAINT
        ):
            raise errors.WaitlistDuplicate() from exc
        raise


def _check_day_is_full(*, doctor: User, day: date, now: datetime) -> None:
    """Refuse a day the doctor does not work (nothing could free up) or still has room on."""
    day_start, day_end = zone_day_bounds(day, user_zone(doctor))
    overview = availability.slot_overview(
        doctor=doctor, start=max(day_start, now), end=day_end, now=now
    )
    if not overview.offered:
        raise errors.WaitlistNoHours()
    if overview.free:
        raise errors.WaitlistSlotsFree()


def waitlist_leave(*, patient: User, entry_id: int) -> WaitlistEntry:
    """Take the patient off a waitlist; WaitlistEntry.DoesNotExist if it is not theirs."""
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(
            pk=entry_id, patient_id=patient.pk, status__in=WAITLIST_ACTIVE
        )
        entry.status = WaitlistStatus.CANCELLED
        entry.save(update_fields=["status"])
    logger.info("waitlist left entry=%s patient=%s", entry.pk, patient.pk)
    return entry


def waitlist_mark_booked(*, patient: User, doctor: User, scheduled_at: datetime) -> int:
    """Close the patient's active entries for the doctor on the day of a new booking.

    For appointment_book to call; the offer step also does this lazily for any it misses.
    """
    day = timezone.localtime(scheduled_at, user_zone(doctor)).date()
    return WaitlistEntry.objects.filter(
        patient_id=patient.pk, doctor_id=doctor.pk, day=day, status__in=WAITLIST_ACTIVE
    ).update(status=WaitlistStatus.BOOKED)
