"""Soft delete: the user vanishes at once from lists, search, login and the API; their
future appointments are cancelled and the other party told; admins can restore."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg
import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import admin_services
from apps.accounts.admin_services import user_restore, user_soft_delete
from apps.accounts.models import User
from apps.appointments import lifecycle
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from apps.notifications.models import Notification, NotificationEvent
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")
LOGIN_URL = reverse("accounts:login")
SEARCH_URL = reverse("facilities:doctor_search")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=KARACHI)


@pytest.fixture
def day() -> date:
    return timezone.localdate(timezone=KARACHI) + timedelta(days=3)


@pytest.fixture
def owner() -> User:
    return factories.PlatformOwnerFactory.create()


@pytest.fixture
def facility() -> Any:
    return factories.FacilityFactory.create()


@pytest.fixture
def doctor(facility: Any, day: date) -> User:
    doctor = factories.DoctorFactory.create(
        name="Dr Zarqa Vanishing", specialty="Nephrologist", facilities=[facility]
    )
    factories.AvailabilityFactory.create(
        doctor=doctor, weekday=day.weekday(), start_time=time(10), end_time=time(11)
    )
    return doctor


@pytest.fixture
def patient() -> User:
    return factories.PatientFactory.create(name="Patient Qamar Leaving")


def _login(user: User) -> Client:
    client = Client()
    response = client.post(LOGIN_URL, {"email": user.email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _token(user: User) -> dict[str, str]:
    response = APIClient().post(
        "/api/token/", {"email": user.email, "password": factories.TEST_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    tokens: dict[str, str] = response.json()
    return tokens


def _delete(owner: User, *users: User) -> None:
    outcome = user_soft_delete(actor=owner, user_ids=[user.pk for user in users])
    assert outcome.changed == len(users)


# --- lists and search ---------------------------------------------------------------------


def test_a_deleted_doctor_leaves_search_profile_facility_and_booking_pages(
    owner: User, doctor: User, facility: Any, patient: User
) -> None:
    visitor = Client()
    pages = {
        "search": SEARCH_URL + "?specialty=Nephro",
        "profile": reverse("facilities:doctor_detail", args=[doctor.pk]),
        "facility": reverse("facilities:facility_detail", args=[facility.pk]),
    }
    for name, url in pages.items():
        assert doctor.name in visitor.get(url).content.decode(), name  # the control
    # The home page offers the specialties of listed doctors; this one is the only one.
    assert "Nephrologist" in visitor.get(reverse("core:home")).content.decode()
    booker = Client()
    booker.force_login(patient)
    assert booker.get(reverse("appointments:book", args=[doctor.pk])).status_code == 200

    _delete(owner, doctor)

    assert doctor.name not in visitor.get(pages["search"]).content.decode()
    assert visitor.get(pages["profile"]).status_code == 404
    assert doctor.name not in visitor.get(pages["facility"]).content.decode()
    assert "Nephrologist" not in visitor.get(reverse("core:home")).content.decode()
    assert booker.get(reverse("appointments:book", args=[doctor.pk])).status_code == 404
    waitlist = booker.get(reverse("appointments:waitlist_join") + f"?doctor={doctor.pk}")
    assert waitlist.status_code == 404


def test_a_deleted_doctor_leaves_the_api(owner: User, doctor: User) -> None:
    api = APIClient()
    assert doctor.pk in {d["id"] for d in api.get("/api/doctors/").json()["results"]}

    _delete(owner, doctor)

    assert doctor.pk not in {d["id"] for d in api.get("/api/doctors/").json()["results"]}
    assert api.get(f"/api/doctors/{doctor.pk}/").status_code == 404


def test_the_other_party_sees_no_name_of_a_deleted_user(
    owner: User, doctor: User, patient: User
) -> None:
    past = factories.AppointmentFactory.create(
        doctor=doctor, patient=patient, scheduled_at=timezone.now() - timedelta(days=3),
        status=AppointmentStatus.COMPLETED,
    )
    patient_web, doctor_web = Client(), Client()
    patient_web.force_login(patient)
    doctor_web.force_login(doctor)
    detail = reverse("appointments:detail", args=[past.pk])
    assert doctor.name in patient_web.get(detail).content.decode()  # the control
    assert patient.name in doctor_web.get(detail).content.decode()

    _delete(owner, doctor)

    for url in (detail, reverse("appointments:past")):
        html = patient_web.get(url).content.decode()
        assert doctor.name not in html
        assert "Deleted account" in html
    api = APIClient()
    api.force_authenticate(patient)
    body = api.get(f"/api/appointments/{past.pk}/").json()
    assert body["doctor_name"] == "Deleted account"

    user_restore(actor=owner, user_ids=[doctor.pk])
    _delete(owner, patient)
    doctor_web.force_login(doctor)
    html = doctor_web.get(detail).content.decode()
    assert patient.name not in html
    assert "Deleted account" in html


# --- login, sessions, tokens ----------------------------------------------------------------


def test_a_deleted_user_cannot_log_in_and_their_sessions_and_tokens_end(
    owner: User, patient: User
) -> None:
    browser = _login(patient)
    tokens = _token(patient)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.get("/api/appointments/").status_code == 200

    _delete(owner, patient)

    assert browser.get(reverse("accounts:profile")).status_code == 302  # session ended
    assert api.get("/api/appointments/").status_code == 401
    refresh = APIClient().post("/api/token/refresh/", {"refresh": tokens["refresh"]},
                               format="json")
    assert refresh.status_code == 401
    web = Client().post(LOGIN_URL, {"email": patient.email, "password": factories.TEST_PASSWORD})
    assert web.status_code == 400
    token = APIClient().post("/api/token/", {"email": patient.email,
                                             "password": factories.TEST_PASSWORD})
    assert token.status_code == 401


def test_restore_from_admin_lets_the_user_back_in_and_back_in_the_directory(
    owner: User, doctor: User
) -> None:
    _delete(owner, doctor)
    admin = Client()
    admin.force_login(owner)

    admin.post(reverse("admin:accounts_user_changelist"),
               {"action": "restore", "_selected_action": [doctor.pk]})

    assert User.objects.filter(pk=doctor.pk).exists()
    assert _login(doctor).get(reverse("accounts:profile")).status_code == 200
    assert doctor.name in Client().get(SEARCH_URL).content.decode()


# --- appointments of a deleted doctor or patient -----------------------------------------------


def test_a_deleted_doctors_future_appointments_are_cancelled_and_patients_told(
    owner: User, doctor: User, day: date, django_capture_on_commit_callbacks: Any
) -> None:
    future = [
        factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10)),
        factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10, 30)),
    ]
    past = factories.AppointmentFactory.create(
        doctor=doctor, scheduled_at=timezone.now() - timedelta(days=2),
        status=AppointmentStatus.COMPLETED,
    )
    waiting = WaitlistEntry.objects.create(
        patient=factories.PatientFactory.create(), doctor=doctor, day=day
    )

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        _delete(owner, doctor)

    for appointment in future:
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        assert appointment.cancelled_by_id == owner.pk
        assert appointment.cancellation_reason == (
            "The doctor is no longer available on HealthLink.")
        told = Notification.objects.get(user=appointment.patient,
                                        event=NotificationEvent.APPOINTMENT_CANCELLED)
        assert "the doctor is no longer available" in told.message
        assert doctor.name not in told.message
    assert callbacks, "deliveries are queued after the commit"
    assert not Notification.objects.filter(user=doctor).exists()
    past.refresh_from_db()
    assert past.status == AppointmentStatus.COMPLETED
    waiting.refresh_from_db()
    assert waiting.status == WaitlistStatus.CANCELLED
    assert Appointment.objects.get(pk=future[0].pk).history.first().history_change_reason == (
        "cancelled: account deleted")


def test_a_deleted_patients_appointment_is_cancelled_and_the_time_offered_to_the_waitlist(
    owner: User, doctor: User, patient: User, day: date
) -> None:
    booked = factories.AppointmentFactory.create(
        doctor=doctor, patient=patient, scheduled_at=at(day, 10)
    )
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10, 30))
    next_in_line = factories.PatientFactory.create()
    entry = lifecycle.waitlist_join(patient=next_in_line, doctor=doctor, day=day)
    own_entry = WaitlistEntry.objects.create(
        patient=patient, doctor=factories.DoctorFactory.create(), day=day
    )

    _delete(owner, patient)

    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancellation_reason == "The patient's account was closed."
    told = Notification.objects.get(user=doctor, event=NotificationEvent.APPOINTMENT_CANCELLED)
    assert patient.name not in told.message
    assert not Notification.objects.filter(user=patient).exists()
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.NOTIFIED
    assert Notification.objects.filter(user=next_in_line,
                                       event=NotificationEvent.WAITLIST_SLOT_FREE).exists()
    own_entry.refresh_from_db()
    assert own_entry.status == WaitlistStatus.CANCELLED
    # The time is free: another patient books it.
    factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10))


def test_restoring_does_not_bring_cancelled_appointments_back(
    owner: User, doctor: User, day: date
) -> None:
    appointment = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10))
    _delete(owner, doctor)

    user_restore(actor=owner, user_ids=[doctor.pk])

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED


def test_deleting_is_atomic_with_the_cancellations(
    owner: User, doctor: User, day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10))

    def crash(**kwargs: Any) -> None:
        raise RuntimeError("notification store down")

    monkeypatch.setattr(lifecycle, "notification_create", crash)
    with pytest.raises(RuntimeError):
        user_soft_delete(actor=owner, user_ids=[doctor.pk])

    assert User.objects.filter(pk=doctor.pk).exists()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


@pytest.mark.django_db(transaction=True)
def test_a_closure_that_loses_a_deadlock_is_done_again_once(
    owner: User, doctor: User, day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    appointment = factories.AppointmentFactory.create(doctor=doctor, scheduled_at=at(day, 10))
    real = admin_services.users_deleted_cleanup
    calls: list[int] = []

    def loses_the_first(**kwargs: Any) -> Any:
        result = real(**kwargs)
        calls.append(1)
        if len(calls) == 1:  # after its writes: they must all roll back
            raise OperationalError("deadlock detected") from (
                psycopg.errors.DeadlockDetected("deadlock detected"))
        return result

    monkeypatch.setattr(admin_services, "users_deleted_cleanup", loses_the_first)

    outcome = user_soft_delete(actor=owner, user_ids=[doctor.pk])

    assert len(calls) == 2
    assert list(outcome.changed_ids) == [doctor.pk]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.history.filter(status=AppointmentStatus.CANCELLED).count() == 1
    assert Notification.objects.filter(
        event=NotificationEvent.APPOINTMENT_CANCELLED, user=appointment.patient).count() == 1
