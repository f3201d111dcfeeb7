"""The booking's cheaper paths write and send exactly what the ORM and Celery paths do.

- the appointment and its "+" history row in one statement (services._create_with_history);
- the booking path's fixed statements prepared once per connection (prepared.py);
- the doctor's row read by hand into a User (availability.bookable_doctor_get);
- the booking's notifications left to the outbox (BookingNotice), nothing sent from the request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.db import OperationalError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from apps.accounts.models import Role, User
from apps.appointments import availability, errors, services, tasks
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    BookingNotice,
    ConsultationType,
)
from apps.notifications.models import Notification, NotificationEvent
from healthlink.celery import app
from tests import factories


@pytest.fixture
def slot() -> datetime:
    return (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)


def book(patient: User, doctor: User, when: datetime) -> Appointment:
    return services.appointment_book(patient=patient, doctor=doctor, scheduled_at=when,
                                     consultation_type=ConsultationType.VIDEO_CALL,
                                     chief_complaint="  Cough  ")


def tracked_values(row: Any) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in Appointment._meta.concrete_fields}


# --- the row and its history row --------------------------------------------------------


@pytest.mark.django_db
def test_the_history_row_holds_the_booked_row(patient: User, doctor: User, slot: datetime) -> None:
    factories.available_all_week(doctor)
    before = timezone.now()

    appointment = book(patient, doctor, slot)

    stored = Appointment.objects.get(pk=appointment.pk)
    assert tracked_values(appointment) == tracked_values(stored)
    assert stored.chief_complaint == "Cough"
    assert stored.status == AppointmentStatus.SCHEDULED
    assert stored.updated_at is not None
    assert before <= stored.created_at <= stored.updated_at <= timezone.now()  # as the ORM does
    (history,) = stored.history.all()
    assert tracked_values(history) == tracked_values(stored)
    assert history.history_type == "+"
    assert history.history_user_id is None  # no request, no _history_user
    assert history.history_change_reason is None
    assert before <= history.history_date <= timezone.now()
    # The instance is a saved one: saving it again updates, with a "~" history row.
    appointment.meeting_link = "https://meet.example.test/room"
    appointment.save()
    assert Appointment.objects.count() == 1
    assert [h.history_type for h in stored.history.order_by("history_id")] == ["+", "~"]


@pytest.mark.django_db
def test_through_the_view_the_history_user_is_the_signed_in_patient(
    patient: User, doctor: User, slot: datetime, client: Client,
) -> None:
    factories.available_all_week(doctor)
    client.force_login(patient)

    response = client.post(reverse("appointments:book", args=[doctor.pk]), {
        "slot": slot.isoformat(), "consultation_type": ConsultationType.VIDEO_CALL,
        "facility": "", "week": "0", "chief_complaint": "",
    })

    assert response.status_code == 302
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.history.get().history_user_id == patient.pk


@pytest.mark.django_db
def test_the_instance_s_history_user_date_and_reason_are_kept(
    patient: User, doctor: User, slot: datetime,
) -> None:
    when = timezone.now() - timedelta(minutes=5)
    appointment = Appointment(patient=patient, doctor=doctor, scheduled_at=slot,
                              duration_minutes=30, consultation_type=ConsultationType.PHONE)
    appointment._history_user = doctor  # type: ignore[attr-defined]
    appointment._history_date = when  # type: ignore[attr-defined]
    appointment._change_reason = "booked by phone"  # type: ignore[attr-defined]

    services._create_with_history(appointment)

    history = Appointment.objects.get(pk=appointment.pk).history.get()
    assert (history.history_user_id, history.history_date, history.history_change_reason) == (
        doctor.pk, when, "booked by phone")


@pytest.mark.django_db
def test_a_listener_on_simple_history_s_signal_gets_the_orm_path(
    patient: User, doctor: User, slot: datetime,
) -> None:
    factories.available_all_week(doctor)
    heard: list[int] = []

    def listener(sender: object, instance: Appointment, **kwargs: object) -> None:
        heard.append(instance.pk)

    history_model = Appointment.history.model
    pre_create_historical_record.connect(listener, sender=history_model)
    try:
        appointment = book(patient, doctor, slot)
    finally:
        pre_create_historical_record.disconnect(listener, sender=history_model)

    assert heard == [appointment.pk]
    assert appointment.history.get().history_type == "+"


@pytest.mark.django_db
def test_save_receivers_hear_the_booking_as_from_the_orm(
    patient: User, doctor: User, slot: datetime,
) -> None:
    factories.available_all_week(doctor)
    heard: list[tuple[str, bool | None, bool, int | None]] = []

    def before(sender: object, instance: Appointment, **kwargs: Any) -> None:
        heard.append(("pre_save", None, kwargs["raw"], instance.pk))

    def after(sender: object, instance: Appointment, created: bool, **kwargs: Any) -> None:
        heard.append(("post_save", created, kwargs["raw"], instance.pk))

    pre_save.connect(before, sender=Appointment)
    post_save.connect(after, sender=Appointment)
    try:
        appointment = book(patient, doctor, slot)
    finally:
        pre_save.disconnect(before, sender=Appointment)
        post_save.disconnect(after, sender=Appointment)

    assert heard == [("pre_save", None, False, None), ("post_save", True, False, appointment.pk)]
    assert appointment.history.count() == 1  # simple-history's receiver wrote no second row
    assert not hasattr(appointment, "skip_history_when_saving")


@pytest.mark.django_db
def test_the_statement_writes_every_column_of_both_tables() -> None:
    plan = services._insert_plan()
    with connection.cursor() as cursor:
        tables = {
            table: {c.name for c in connection.introspection.get_table_description(cursor, table)}
            for table in ("appointments", "appointments_history", "payments_history")
        }

    def columns_of(table: str) -> str:
        return plan.sql.split(f'INSERT INTO "{table}" (', 1)[1].split(")", 1)[0]

    assert {c for c in tables["appointments"]
            if f'"{c}"' not in columns_of("appointments")} == {"id"}
    for table in ("appointments_history", "payments_history"):
        assert {c for c in tables[table] if f'"{c}"' not in columns_of(table)} == {"history_id"}


@pytest.mark.django_db
def test_a_doctor_overlap_from_the_database_is_still_slot_unavailable(
    patient: User, other_patient: User, doctor: User, slot: datetime,
) -> None:
    factories.available_all_week(doctor)
    book(other_patient, doctor, slot)

    # Past the rules (which would refuse it first): the exclusion constraint answers. The
    # atomic block is appointment_book's, which the error rolls back.
    with pytest.raises(errors.SlotUnavailable), transaction.atomic():
        services._insert(
            patient=patient, doctor=doctor, scheduled_at=slot,
            consultation_type=ConsultationType.PHONE, facility=None, staff=None,
            chief_complaint="", duration_minutes=30,
        )
    assert Appointment.objects.filter(doctor=doctor).count() == 1


# --- prepared statements ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_booking_statements_are_prepared_and_still_logged(
    patient: User, doctor: User, slot: datetime,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    factories.available_all_week(doctor)
    # The test's transaction makes the booking take a savepoint (2 statements) around the
    # read of everything the rules need and the statement that writes.
    with django_assert_num_queries(4) as captured:
        book(patient, doctor, slot)

    logged = [q["sql"] for q in captured.captured_queries]
    assert all(logged), logged  # every statement's text is in the log, none is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("FOR SHARE" in sql for sql in prepared)
    assert any("UNION ALL" in sql for sql in prepared)
    assert any("appointments_history" in sql for sql in prepared)


@pytest.mark.django_db
def test_without_a_prepare_threshold_the_statements_run_unprepared(
    patient: User, doctor: User, slot: datetime,
) -> None:
    factories.available_all_week(doctor)
    connection.ensure_connection()
    raw = connection.connection
    kept = raw.prepare_threshold

    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return {row[0] for row in cursor.fetchall()}

    before = prepared()
    raw.prepare_threshold = None
    try:
        appointment = book(patient, doctor, slot)
    finally:
        raw.prepare_threshold = kept
    assert prepared() == before
    assert appointment.history.count() == 1


# --- the doctor's row -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_doctor_s_row_is_the_orm_s_user() -> None:
    doctor = factories.DoctorFactory(phone="+923001234567")

    found = availability.bookable_doctor_get(doctor_id=doctor.pk)
    expected = User.objects.get(pk=doctor.pk)

    assert type(found) is User
    assert {f.attname: getattr(found, f.attname) for f in User._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields}
    assert found.phone == "+923001234567"
    assert not found._state.adding and found._state.db == "default"


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    {"pmdc_verified": False}, {"role": Role.PATIENT}, {"deleted_at": "now"},
])
def test_only_a_listed_doctor_is_bookable(change: dict[str, Any]) -> None:
    doctor = factories.DoctorFactory()
    if change.get("deleted_at") == "now":
        change = {"deleted_at": timezone.now()}
    User.all_objects.filter(pk=doctor.pk).update(**change)

    with pytest.raises(User.DoesNotExist):
        availability.bookable_doctor_get(doctor_id=doctor.pk)


# --- the booking outbox: nothing sent from the request, a real worker writes them --------


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Iterator[redis.Redis]:
    """Not eager, a queue of this test's own; the Redis broker of the test settings."""
    queue = f"{app.conf.task_default_queue}-fast-path"
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", queue)
    client = redis.Redis.from_url(app.conf.broker_url)
    client.delete(queue)
    try:
        yield client
    finally:
        client.delete(queue)
        client.close()


@pytest.mark.django_db(transaction=True)
def test_a_booking_sends_nothing_to_the_broker(
    broker: redis.Redis, patient: User, doctor: User, slot: datetime,
) -> None:
    factories.available_all_week(doctor)

    book(patient, doctor, slot)  # commits

    assert broker.llen(app.conf.task_default_queue) == 0
    assert BookingNotice.objects.count() == 1


@pytest.fixture
def real_worker(transactional_db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A worker on this test process's own queue (see tests/conftest.py), as in
    tests/appointments/test_reminders_worker.py."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


@pytest.mark.slow
def test_a_real_worker_writes_the_notifications_of_a_booking(
    real_worker: None, slot: datetime,
) -> None:
    patient, doctor = factories.PatientFactory(), factories.DoctorFactory()
    factories.available_all_week(doctor)
    appointment = book(patient, doctor, slot)  # commits, leaving its notice

    tasks.send_booking_notices.delay()  # what beat sends every few seconds

    deadline = timezone.now() + timedelta(seconds=30)
    while Notification.objects.filter(event=NotificationEvent.APPOINTMENT_BOOKED).count() < 2:
        assert timezone.now() < deadline, "the worker did not write the notifications"
        time.sleep(0.1)
    notes = Notification.objects.filter(event=NotificationEvent.APPOINTMENT_BOOKED)
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([patient.pk, doctor.pk])
    assert {n.action_url for n in notes} == {
        reverse("appointments:detail", args=[appointment.pk])}
    assert not BookingNotice.objects.exists()


# --- a write chosen as a deadlock victim ------------------------------------------------


def deadlock() -> OperationalError:
    try:
        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected(
            "deadlock detected")
    except OperationalError as exc:
        return exc


@pytest.mark.django_db
def test_a_write_that_lost_a_deadlock_is_written_again(
    patient: User, doctor: User, slot: datetime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.available_all_week(doctor)
    real = services._create_with_history
    calls: list[int] = []

    def loses_once(appointment: Appointment) -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise deadlock()
        return real(appointment)

    monkeypatch.setattr(services, "_create_with_history", loses_once)

    appointment = book(patient, doctor, slot)

    assert len(calls) == 2
    assert Appointment.objects.get().pk == appointment.pk


@pytest.mark.django_db
def test_a_write_that_keeps_losing_asks_to_try_again(
    patient: User, doctor: User, slot: datetime, monkeypatch: pytest.MonkeyPatch,
) -> None:
    factories.available_all_week(doctor)
    calls: list[int] = []

    def always_loses(appointment: Appointment) -> bool:
        calls.append(1)
        raise deadlock()

    monkeypatch.setattr(services, "_create_with_history", always_loses)

    with pytest.raises(errors.CalendarBusy):
        book(patient, doctor, slot)

    assert len(calls) == services.WRITE_ATTEMPTS
    assert not Appointment.objects.exists()
