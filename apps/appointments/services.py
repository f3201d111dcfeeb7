"""Writes for appointments: booking. Every rule that can refuse a booking lives here."""

from __future__ import annotations

import logging
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, cast

import psycopg
from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Field
from django.db.models.signals import post_save, pre_save
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.signals import post_create_historical_record, pre_create_historical_record
from simple_history.utils import get_change_reason_from_object

from apps.accounts.models import Role, User
from apps.appointments import availability, errors
from apps.appointments.availability import MAX_SLOT_MINUTES
from apps.appointments.models import (
    DOCTOR_OVERLAP_CONSTRAINT,
    PATIENT_OVERLAP_CONSTRAINT,
    Appointment,
    AppointmentStatus,
    BookingNotice,
    ConsultationType,
)
from apps.appointments.prepared import prepared_cursor
from apps.appointments.selectors import user_zone
from apps.core.db import DEADLOCK_ATTEMPTS, is_deadlock
from apps.core.i18n import in_language_of
from apps.facilities.models import DoctorFacility, Facility
from apps.notifications.models import Notification, NotificationEvent
from apps.notifications.services import notification_create
from apps.payments.models import Payment, PaymentMethod, PaymentStatus

logger = logging.getLogger(__name__)

# An appointment longer than a working day is a data-entry mistake, not a consultation.
MAX_DURATION_MINUTES = 8 * 60
# Two bookings that insert conflicting rows at the same instant can each wait for the other
# on an exclusion constraint; PostgreSQL ends one with a deadlock error. That one is written
# again (it then meets the committed row and is refused with the usual reason).
WRITE_ATTEMPTS = DEADLOCK_ATTEMPTS


class InsertRaced(Exception):
    """The booking's write was chosen as a deadlock victim; nothing of it was written."""


def appointment_book(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    consultation_type: str,
    facility: Facility | None = None,
    chief_complaint: str = "",
    duration_minutes: int | None = None,
    staff: User | None = None,
) -> Appointment:
    """Book a SCHEDULED appointment, or raise a BookingError saying why not.

    Without `duration_minutes` the appointment lasts one slot of the doctor's hours there.
    The rules are checked against one read of the calendars, then one statement writes the
    booking (see _insert_plan). Races are settled by the database, not by locks held in
    between: both calendars are guarded by exclusion constraints
    (excl_appointments_doctor_overlap, excl_appointments_patient_overlap), so two bookings
    racing for one doctor's slot, or for one patient's time with two doctors, cannot both
    win (the loser gets SlotUnavailable or PatientOverlap), and the statement writes only
    while the patient's row, share-locked by it, is still an active verified patient.
    Patient and doctor are notified after the commit, within seconds: the booking leaves a
    BookingNotice (an outbox row, written by the same statement) that the beat job
    booking_notices_send turns into their notifications, so the request neither writes
    notifications nor talks to the broker.
    """
    if timezone.is_naive(scheduled_at):
        raise ValueError("scheduled_at must be timezone-aware.")
    # The doctor's local date of the booking: a waitlist entry for it is closed below.
    day = timezone.localtime(scheduled_at, user_zone(doctor)).date()
    try:
        checked = _check(
            patient=patient, doctor=doctor, scheduled_at=scheduled_at,
            duration_minutes=duration_minutes, consultation_type=consultation_type,
            facility=facility, staff=staff, waitlist_day=day,
        )
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                with _write_block(waitlisted=checked.waitlisted):
                    appointment = _insert(
                        patient=patient, doctor=doctor, scheduled_at=scheduled_at,
                        consultation_type=consultation_type, facility=facility, staff=staff,
                        chief_complaint=chief_complaint,
                        duration_minutes=checked.duration_minutes,
                    )
                    if checked.waitlisted:
                        _close_waitlist(patient=patient, doctor=doctor,
                                        scheduled_at=scheduled_at)
                break
            except InsertRaced:
                logger.info("booking write raced another attempt=%s patient=%s doctor=%s",
                            attempt, patient.pk, doctor.pk)
                if attempt == WRITE_ATTEMPTS:
                    raise errors.CalendarBusy() from None
    except errors.BookingError as exc:
        logger.info(
            "booking refused reason=%s patient=%s doctor=%s",
            type(exc).__name__, patient.pk, doctor.pk,
        )
        raise

    logger.info(
        "appointment booked id=%s patient=%s doctor=%s facility=%s",
        appointment.pk, patient.pk, doctor.pk, facility.pk if facility else None,
    )
    return appointment


def _write_block(*, waitlisted: bool) -> AbstractContextManager[object]:
    """The transaction around the booking's write, when it needs one.

    The booking is one statement, atomic on its own. It needs a transaction only to close
    a waitlist entry with it, and a savepoint when a caller's transaction is open, so that
    a refused insert rolls back to it instead of breaking the caller's transaction.
    """
    if waitlisted or connection.in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def check_bookable(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    duration_minutes: int,
    consultation_type: str,
    facility: Facility | None,
    exclude_appointment_id: int | None = None,
) -> None:
    """Raise the BookingError that refuses this booking, if any; return None if it may stand.

    Checks the people, the time (future, inside the doctor's hours for this kind of visit and
    place, free on the doctor's calendar) and the patient's own calendar, ignoring
    `exclude_appointment_id` (the appointment being moved). Both calendars are guarded
    again by the database (the exclusion constraints) when the row is written; map that
    write's IntegrityError with overlap_error.
    """
    if timezone.is_naive(scheduled_at):
        raise ValueError("scheduled_at must be timezone-aware.")
    _check(
        patient=patient, doctor=doctor, scheduled_at=scheduled_at,
        duration_minutes=duration_minutes, consultation_type=consultation_type,
        facility=facility, staff=None, exclude_appointment_id=exclude_appointment_id,
    )


@dataclass(frozen=True)
class _Checked:
    duration_minutes: int
    waitlisted: bool  # the patient has an active waitlist entry for the doctor that day


def _check(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    duration_minutes: int | None,
    consultation_type: str,
    facility: Facility | None,
    staff: User | None,
    exclude_appointment_id: int | None = None,
    waitlist_day: date | None = None,
) -> _Checked:
    """Every rule, cheapest first; returns the duration in minutes.

    One read (availability.booking_facts), then the rules in their usual order. Nothing is
    locked: the write re-checks the people itself and the exclusion constraints settle
    races on both calendars.
    """
    if patient.role != Role.PATIENT or patient.deleted_at is not None:
        raise errors.NotAPatient()
    if not patient.is_verified:
        raise errors.PatientEmailUnverified()
    if doctor.role != Role.DOCTOR or not doctor.pmdc_verified or doctor.deleted_at is not None:
        raise errors.DoctorUnavailable()
    if duration_minutes is not None and not 0 < duration_minutes <= MAX_DURATION_MINUTES:
        raise errors.InvalidDuration()
    now = timezone.now()
    if scheduled_at <= now:
        raise errors.SlotInPast()
    if scheduled_at > now + timedelta(days=settings.BOOKING_HORIZON_DAYS):
        raise errors.TooFarAhead()
    if consultation_type not in ConsultationType.values:
        raise errors.InvalidConsultationType()
    _check_place(doctor=doctor, consultation_type=consultation_type, facility=facility)
    if staff is not None:
        _check_staff(staff=staff, doctor=doctor, facility=facility)

    longest = duration_minutes if duration_minutes is not None else MAX_SLOT_MINUTES
    facts = availability.booking_facts(
        doctor_id=doctor.pk, patient_id=patient.pk, start=scheduled_at,
        until=scheduled_at + timedelta(minutes=longest),
        exclude_appointment_id=exclude_appointment_id, waitlist_day=waitlist_day,
    )
    if duration_minutes is None:
        slot = facts.slot_starting(scheduled_at, consultation_type, facility)
        if slot is None:
            raise errors.NotInAvailability()
        duration_minutes = slot.minutes
    else:
        ends = scheduled_at + timedelta(minutes=duration_minutes)
        if not facts.offers(scheduled_at, ends, consultation_type, facility):
            raise errors.NotInAvailability()

    ends_at = scheduled_at + timedelta(minutes=duration_minutes)
    if not facts.doctor_is_free(scheduled_at, ends_at):
        raise errors.SlotUnavailable()
    if not facts.patient_is_free(scheduled_at, ends_at):
        raise errors.PatientOverlap()
    return _Checked(duration_minutes=duration_minutes, waitlisted=facts.waitlisted)


def _check_place(*, doctor: User, consultation_type: str, facility: Facility | None) -> None:
    if consultation_type == ConsultationType.IN_PERSON:
        practises_there = facility is not None and DoctorFacility.objects.filter(
            doctor_id=doctor.pk, facility_id=facility.pk
        ).exists()
        if not practises_there:
            raise errors.FacilityRequired()
    elif facility is not None:
        raise errors.FacilityNotAllowed()


def _check_staff(*, staff: User, doctor: User, facility: Facility | None) -> None:
    """Staff join from the appointment's facility; for a call, from one of the doctor's."""
    if staff.role != Role.STAFF or not staff.is_active or staff.facility_id is None:
        raise errors.StaffNotAllowed()
    if facility is not None:
        if staff.facility_id != facility.pk:
            raise errors.StaffNotAllowed()
    elif not DoctorFacility.objects.filter(
        doctor_id=doctor.pk, facility_id=staff.facility_id
    ).exists():
        raise errors.StaffNotAllowed()


def _lock_patient(patient: User) -> bool | None:
    """Lock the patient's row until the transaction ends; their is_verified, None if gone.

    For the ORM's booking path (_create_with_orm), which writes in several statements.
    """
    # Plain SQL: the same filter as User.objects (alive) .select_for_update(), without the
    # ORM's compile cost on every booking.
    with prepared_cursor() as cursor:
        cursor.execute(
            "SELECT is_verified FROM users WHERE id = %s AND role = %s"
            " AND deleted_at IS NULL FOR UPDATE",
            [patient.pk, Role.PATIENT.value],
        )
        row = cursor.fetchone()
    return bool(row[0]) if row else None


def _insert(
    *,
    patient: User,
    doctor: User,
    scheduled_at: datetime,
    consultation_type: str,
    facility: Facility | None,
    staff: User | None,
    chief_complaint: str,
    duration_minutes: int,
) -> Appointment:
    # No savepoint of its own: an IntegrityError here ends the caller's atomic block
    # (appointment_book's), which rolls back as the SlotUnavailable raised below leaves it.
    appointment = Appointment(
        patient=patient,
        doctor=doctor,
        facility=facility,
        staff=staff,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        status=AppointmentStatus.SCHEDULED,
        consultation_type=consultation_type,
        chief_complaint=chief_complaint.strip() or None,
    )
    try:
        written = _create_with_history(appointment)
    except OperationalError as exc:
        if is_deadlock(exc):
            raise InsertRaced() from exc
        raise
    except IntegrityError as exc:
        refusal = overlap_error(exc)
        if refusal is not None:
            raise refusal from exc
        raise
    if not written:
        raise _refusal(patient_id=patient.pk, doctor_id=doctor.pk)
    return appointment


def _refusal(*, patient_id: int, doctor_id: int) -> errors.BookingError:
    """Why the booking statement wrote nothing: doctor or patient changed since (rare)."""
    if not User.objects.filter(
        pk=doctor_id, role=Role.DOCTOR, pmdc_verified=True
    ).exists():
        return errors.DoctorUnavailable()
    row = User.objects.filter(pk=patient_id, role=Role.PATIENT).values_list(
        "is_verified", flat=True
    ).first()
    return errors.PatientEmailUnverified() if row is False else errors.NotAPatient()


@dataclass(frozen=True)
class _InsertPlan:
    sql: str
    fields: tuple[Field[Any, Any], ...]
    history: Any  # the HistoricalAppointment model


def _history_insert(model: Any, source: str) -> str:
    """INSERT of "+" history rows for `model`, copied from the rows of CTE `source`.

    Takes three parameters: history_date, history_change_reason and history_user.
    """
    history = model.history.model
    qn = connection.ops.quote_name
    columns = {f.name: f for f in model._meta.concrete_fields}
    tracked = list(history.tracked_fields)
    history_columns = [qn(history._meta.get_field(f.name).column) for f in tracked]
    copied = [f"{source}.{qn(str(columns[f.name].column))}" for f in tracked]

    def typed(name: str) -> str:  # a parameter outside VALUES needs its column's type
        return f"CAST(%s AS {history._meta.get_field(name).db_type(connection)})"

    return (
        f"INSERT INTO {qn(history._meta.db_table)} ({', '.join(history_columns)},"  # noqa: S608
        f" {qn(history._meta.get_field('history_date').column)},"
        f" {qn(history._meta.get_field('history_change_reason').column)},"
        f" {qn(history._meta.get_field('history_type').column)},"
        f" {qn(history._meta.get_field('history_user').column)})"
        f" SELECT {', '.join(copied)}, {typed('history_date')},"
        f" {typed('history_change_reason')}, '+', {typed('history_user')} FROM {source}"
    )


@cache
def _insert_plan() -> _InsertPlan:
    """One statement: the appointment, its PENDING payment, both "+" history rows, its notice.

    Built from the models' fields, so a column added to Appointment (and so, by
    django-simple-history, to its history table) is written by it too. The row is written
    only while the doctor's row is still a listed doctor and the patient's an active
    verified patient, both locked FOR SHARE by the statement: an account closed (or
    unverified, or unlisted) since the request read it gets no booking, and the statement
    returns no row. A share lock waits for a transaction changing that row (an account
    closure updates the doctor's row, then locks each patient's whose booking it cancels)
    and then reads its new version. The doctor's row is locked first (the patient's scan
    runs only after the doctor's, as a one-time filter), the order a closure takes them in.

    The payment is written only when the doctor's consultation_fee, read inside the
    statement, is above zero; its id is drawn from the payments sequence while the
    appointment row is inserted, so appointments.payment_id and payments.appointment_id
    point at each other without an UPDATE (a data-modifying CTE cannot see another's rows;
    the foreign keys are deferred to commit). Free consultations get no payment. Like the
    appointment's own history row, the payment's is written here; no Payment model signal
    is sent. The BookingNotice row (the outbox the notifications job reads) is written too.
    """
    history = Appointment.history.model
    qn = connection.ops.quote_name
    fields = tuple(
        f for f in Appointment._meta.concrete_fields if not f.primary_key and f.name != "payment"
    )
    payment_column = qn(str(Appointment._meta.get_field("payment").column))
    users = qn(User._meta.db_table)
    fee = qn(str(User._meta.get_field("consultation_fee").column))
    payments = qn(Payment._meta.db_table)
    pay_fields = ("id", "appointment", "payer", "payee", "amount", "currency",
                  "payment_method", "status", "created_at", "updated_at")
    pay_columns = ", ".join(
        qn(str(cast("Field[Any, Any]", Payment._meta.get_field(name)).column))
        for name in pay_fields
    )
    # Outside VALUES a parameter needs its column's type.
    values = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)

    # Identifiers and column types only, from the models and quoted; values are parameters.
    sql = (
        f"WITH doctor AS (SELECT id, {fee} AS amount FROM {users}"  # noqa: S608
        f" WHERE id = CAST(%s AS bigint) AND role = '{Role.DOCTOR.value}'"
        f" AND pmdc_verified AND deleted_at IS NULL FOR SHARE),"
        f" patient AS (SELECT id FROM {users}"
        f" WHERE id = CAST(%s AS bigint) AND role = '{Role.PATIENT.value}'"
        f" AND deleted_at IS NULL AND is_verified AND EXISTS (SELECT 1 FROM doctor)"
        f" FOR SHARE),"
        f" fee AS (SELECT amount FROM doctor WHERE amount > 0),"
        f" new AS (INSERT INTO {qn(Appointment._meta.db_table)}"
        f" ({', '.join(qn(str(f.column)) for f in fields)}, {payment_column})"
        f" SELECT {values}, (SELECT nextval(pg_get_serial_sequence("
        f"'{Payment._meta.db_table}', 'id')) FROM fee) FROM patient RETURNING *),"
        f" history AS ({_history_insert(Appointment, 'new')}),"
        f" pay AS (INSERT INTO {payments} ({pay_columns})"
        f" SELECT new.{payment_column}, new.id, new.{qn('patient_id')}, new.{qn('doctor_id')},"
        f" fee.amount, 'PKR', '{PaymentMethod.JAZZCASH.value}',"
        f" '{PaymentStatus.PENDING.value}', new.{qn('created_at')}, new.{qn('created_at')}"
        f" FROM new CROSS JOIN fee RETURNING *),"
        f" pay_history AS ({_history_insert(Payment, 'pay')}),"
        f" notice AS (INSERT INTO {qn(BookingNotice._meta.db_table)}"
        f" ({qn('appointment_id')}, {qn('created_at')}) SELECT new.id, new.{qn('created_at')}"
        f" FROM new)"
        f" SELECT new.id, new.{payment_column} FROM new"
    )
    return _InsertPlan(sql=sql, fields=fields, history=history)


def _create_with_history(appointment: Appointment) -> bool:
    """Appointment.objects.create(), with its history row and payment, in one statement.

    Returns False, writing nothing, when the doctor is no longer listed or the patient no
    longer an active verified patient (see _insert_plan). The doctor's consultation fee,
    when above zero, also gives the appointment a PENDING payment (with its own "+" history
    row) in the same statement.

    The row gets the same values as the ORM's INSERT (each field's pre_save and database
    preparation: created_at and updated_at are set here) and the history row the same as
    django-simple-history's post_save receiver writes: every tracked column (copied from the
    row just inserted), history_type "+", history_date now (or the instance's
    _history_date), the change reason the instance carries, and the history user
    simple-history would pick (the instance's _history_user, else the signed-in user of the
    request). pre_save and post_save are sent as the ORM sends them, with simple-history's
    receiver told to skip the row already written (its own skip_history_when_saving). When
    something listens to simple-history's own signals, or history is off for the instance,
    the ORM's path runs instead.
    """
    plan = _insert_plan()
    # (Appointment.history builds a manager class on every access: read the model once.)
    history = plan.history
    if (
        not getattr(settings, "SIMPLE_HISTORY_ENABLED", True)
        or hasattr(appointment, "skip_history_when_saving")
        or pre_create_historical_record.has_listeners(history)
        or post_create_historical_record.has_listeners(history)
    ):
        return _create_with_orm(appointment)
    using = connection.alias
    pre_save.send(sender=Appointment, instance=appointment, raw=False, using=using,
                  update_fields=None)
    values = [f.get_db_prep_save(f.pre_save(appointment, True), connection) for f in plan.fields]
    user = history.get_default_history_user(appointment)
    history_values = [
        getattr(appointment, "_history_date", timezone.now()),
        get_change_reason_from_object(appointment),
        user.pk if user is not None else None,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(plan.sql, [appointment.doctor_id, appointment.patient_id, *values,
                                  *history_values, *history_values])
        row = cursor.fetchone()
    if row is None:
        return False
    (appointment.pk, appointment.payment_id) = row
    appointment._state.adding = False
    appointment._state.db = using
    appointment.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        post_save.send(sender=Appointment, instance=appointment, created=True,
                       update_fields=None, raw=False, using=using)
    finally:
        del appointment.skip_history_when_saving  # type: ignore[attr-defined]
    return True


def _create_with_orm(appointment: Appointment) -> bool:
    """The ORM's path for what the insert plan writes, doctor and patient checked under locks."""
    with transaction.atomic():
        listed = User.objects.select_for_update().filter(
            pk=appointment.doctor_id, role=Role.DOCTOR, pmdc_verified=True
        ).values_list("pk", flat=True)
        if not list(listed) or not _lock_patient(appointment.patient):
            return False
        appointment.save(force_insert=True)
        _create_payment_with_orm(appointment)
        BookingNotice.objects.create(appointment=appointment, created_at=appointment.created_at)
    return True


def _create_payment_with_orm(appointment: Appointment) -> None:
    """The ORM's path for what the insert plan's payment CTEs write (see _insert_plan)."""
    fee = User.objects.filter(pk=appointment.doctor_id).values_list(
        "consultation_fee", flat=True
    ).first()
    if not fee or fee <= 0:
        return
    payment = Payment.objects.create(
        appointment=appointment, payer_id=appointment.patient_id,
        payee_id=appointment.doctor_id, amount=fee, currency="PKR",
        payment_method=PaymentMethod.JAZZCASH, status=PaymentStatus.PENDING,
    )
    appointment.payment = payment
    appointment.save(update_fields=["payment", "updated_at"])


def overlap_error(exc: IntegrityError) -> errors.BookingError | None:
    """The refusal for a write an overlap constraint stopped; None for any other error."""
    cause = exc.__cause__
    if not isinstance(cause, psycopg.errors.IntegrityError):
        return None
    if cause.diag.constraint_name == DOCTOR_OVERLAP_CONSTRAINT:
        return errors.SlotUnavailable()
    if cause.diag.constraint_name == PATIENT_OVERLAP_CONSTRAINT:
        return errors.PatientOverlap()
    return None


def _when(moment: datetime, user: User) -> str:
    zone = availability.zone_named(user.time_zone)
    local = timezone.localtime(moment, zone)
    return f"{date_format(local, 'l j F Y, H:i')} ({zone.key})"


def booking_notices_send(*, limit: int = 1000) -> int:
    """Write the notifications of the bookings that left a BookingNotice; returns how many.

    One booking per transaction: its notice is claimed with SKIP LOCKED (overlapping runs
    share the work instead of repeating it) and deleted in the transaction that writes its
    notifications, so a run killed midway leaves the rest for the next one. A short
    transaction holds the key-share locks of only two users' rows (the notifications'
    foreign keys), so cancels, reschedules and account closures, which lock the patient's
    row, wait milliseconds for it, not for a whole batch. A notice lost to a deadlock stays
    for the next run. Up to `limit` bookings a run; beat runs it every few seconds.
    """
    done = 0
    while done < limit:
        try:
            with transaction.atomic():
                claimed = (
                    BookingNotice.objects.select_for_update(skip_locked=True)
                    .order_by("appointment_id")
                    .values_list("appointment_id", flat=True)
                    .first()
                )
                if claimed is None:
                    break
                booked_notifications_create(appointment_id=claimed)
                BookingNotice.objects.filter(appointment_id=claimed).delete()
        except OperationalError as exc:
            if not is_deadlock(exc):
                raise
            logger.info("booking notices: deadlock, the rest waits for the next run")
            break
        done += 1
    if done:
        logger.info("booking notices sent count=%s", done)
    return done


def booking_notice_add(*, appointment_id: int) -> None:
    """Leave a notice for this booking (once), for booking_notices_send to act on."""
    BookingNotice.objects.get_or_create(
        appointment_id=appointment_id, defaults={"created_at": timezone.now()}
    )


def booked_notifications_create(*, appointment_id: int) -> int:
    """Tell patient and doctor about a booking; returns how many notifications it wrote.

    Called inside a transaction, with the booking's notice claimed (booking_notices_send),
    which keeps two runs from writing for one booking. Idempotent all the same: a person
    who already has the APPOINTMENT_BOOKED notification for the appointment (same deep
    link) gets no second one. Nothing is written for an appointment that is gone or no
    longer SCHEDULED (a cancellation that came first has told both already), nor to a
    closed account. Each notification is in its recipient's language and time zone;
    delivery is queued by notification_create once this commits.
    """
    people = Appointment.objects.filter(pk=appointment_id).values_list(
        "doctor_id", "patient_id").first()
    if people is not None:
        # Wait for whoever changes this booking: a cancel, a reschedule or an account closure
        # locks the patient's row before the appointment, so once these key-share locks are
        # held (the doctor's first, as a closure takes them) the appointment read below is
        # the one they committed, and a "booked" notification never follows a cancellation.
        # The notifications' foreign keys would take the same locks anyway.
        with prepared_cursor() as cursor:
            for user_id in people:
                cursor.execute("SELECT 1 FROM users WHERE id = %s FOR KEY SHARE", [user_id])
    appointment = (
        Appointment.objects.select_related("patient", "doctor").filter(pk=appointment_id).first()
    )
    if appointment is None or appointment.status != AppointmentStatus.SCHEDULED:
        logger.info("booking notifications: appointment %s gone or no longer scheduled",
                    appointment_id)
        return 0
    url = reverse("appointments:detail", args=[appointment.pk])
    patient, doctor = appointment.patient, appointment.doctor
    told = set(
        Notification.objects.filter(
            user_id__in=(patient.pk, doctor.pk), event=NotificationEvent.APPOINTMENT_BOOKED,
            action_url=url,
        ).values_list("user_id", flat=True)
    )
    written = 0
    if patient.pk not in told and patient.deleted_at is None:
        with in_language_of(patient):
            notification_create(
                user=patient, event=NotificationEvent.APPOINTMENT_BOOKED,
                title=_("Appointment booked"),
                message=_(
                    "Your appointment with %(doctor)s on %(when)s is booked (%(kind)s)."
                ) % {"kind": appointment.get_consultation_type_display(),
                     "doctor": doctor.name,
                     "when": _when(appointment.scheduled_at, patient)},
                action_url=url,
            )
        written += 1
    if doctor.pk not in told and doctor.deleted_at is None:
        # The patient's name stays out of the message: it may travel by email or push.
        with in_language_of(doctor):
            notification_create(
                user=doctor, event=NotificationEvent.APPOINTMENT_BOOKED,
                title=_("New appointment"),
                message=_(
                    "A patient booked an appointment with you on %(when)s (%(kind)s)."
                ) % {"kind": appointment.get_consultation_type_display(),
                     "when": _when(appointment.scheduled_at, doctor)},
                action_url=url,
            )
        written += 1
    return written


def _close_waitlist(*, patient: User, doctor: User, scheduled_at: datetime) -> None:
    # Imported here: lifecycle builds on this module (check_bookable).
    from apps.appointments import lifecycle

    lifecycle.waitlist_mark_booked(patient=patient, doctor=doctor, scheduled_at=scheduled_at)
