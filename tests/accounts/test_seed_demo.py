"""`manage.py seed_demo`: synthetic demo data, idempotent, with working demo logins."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from apps.accounts import demo
from apps.accounts.models import Role, User
from apps.appointments import availability
from apps.appointments.models import Appointment, AppointmentStatus, DoctorAvailability
from apps.facilities.models import DoctorFacility, Facility
from tests import factories

pytestmark = pytest.mark.django_db

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")
LOGINS = ("patient1", "doctor1", "staff1", "org1", "admin", "owner")


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    return {
        "users": sorted(User.all_objects.values_list("id", "email", "password", "updated_at",
                                                     "pmdc_verified", "facility_id")),
        "facilities": sorted(Facility.objects.values_list("id", "name", "city")),
        "links": sorted(DoctorFacility.objects.values_list("doctor_id", "facility_id")),
        "appointments": sorted(Appointment.objects.values_list("id", "scheduled_at")),
        "hours": sorted(DoctorAvailability.objects.values_list(
            "id", "doctor_id", "facility_id", "weekday", "start_time", "end_time")),
    }


def test_running_it_twice_changes_nothing_the_second_time() -> None:
    first_output = seed()
    first = snapshot()

    second_output = seed()

    assert snapshot() == first
    assert "created" in first_output
    assert "Demo data already up to date." in second_output
    assert len(first["users"]) == 34
    assert len(first["facilities"]) == 3
    assert len(first["appointments"]) == 4  # two booked, two paid past consultations


def test_it_prints_the_demo_logins_and_password(settings: SettingsWrapper) -> None:
    settings.DEMO_PASSWORD = "demo-password-for-this-test"  # noqa: S105 - test data

    output = seed()

    for name in LOGINS:
        assert f"{name}@demo.healthlink.pk" in output
    assert "password: demo-password-for-this-test" in output


@pytest.mark.parametrize("name", LOGINS)
def test_the_demo_logins_work(client: Client, settings: SettingsWrapper, name: str) -> None:
    seed()

    assert client.login(username=f"{name}@demo.healthlink.pk", password=settings.DEMO_PASSWORD)


def test_the_admin_and_owner_logins_open_django_admin(
    client: Client, settings: SettingsWrapper
) -> None:
    seed()

    for name in ("admin", "owner"):
        client.login(username=f"{name}@demo.healthlink.pk", password=settings.DEMO_PASSWORD)
        assert client.get("/admin/").status_code == 200


def test_it_hashes_the_password_once_with_bcrypt_and_reuses_it_on_a_rerun(
    settings: SettingsWrapper, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    settings.PASSWORD_HASHERS = ["apps.accounts.hashers.BCrypt12PasswordHasher"]
    calls: list[str] = []

    def counting_make_password(password: str) -> str:
        calls.append(password)
        return make_password(password)

    monkeypatch.setattr(demo, "make_password", counting_make_password)
    seed()
    seed()

    hashes = set(User.all_objects.filter(email__endswith="@demo.healthlink.pk")
                 .values_list("password", flat=True))
    assert len(calls) == 1
    assert len(hashes) == 1
    assert hashes.pop().startswith("bcrypt_sha256$$2b$12$")
    assert client.login(username="owner@demo.healthlink.pk", password=settings.DEMO_PASSWORD)


def test_a_new_demo_password_in_settings_replaces_the_old_one(
    settings: SettingsWrapper, client: Client
) -> None:
    seed()
    settings.DEMO_PASSWORD = "a-changed-demo-password"  # noqa: S105 - test data

    seed()

    assert not client.login(username="patient1@demo.healthlink.pk", password="healthlink-demo")
    assert client.login(username="patient1@demo.healthlink.pk",
                        password="a-changed-demo-password")


def test_doctors_one_unverified_and_twenty_or_more_verified_each_at_one_or_two_facilities(
) -> None:
    seed()

    doctors = User.objects.filter(role=Role.DOCTOR, email__endswith="@demo.healthlink.pk")
    unverified = doctors.filter(pmdc_verified=False)
    verified = doctors.filter(pmdc_verified=True)

    assert list(unverified.values_list("email", flat=True)) == [
        "doctor-unverified@demo.healthlink.pk"
    ]
    assert verified.count() >= 20
    assert verified.values("specialty").distinct().count() >= 10
    for doctor in doctors:
        assert 1 <= DoctorFacility.objects.filter(doctor=doctor).count() <= 2


def test_the_organization_has_facilities_in_three_cities_each_with_a_staff_member() -> None:
    seed()

    organization = User.objects.get(email="org1@demo.healthlink.pk")
    facilities = Facility.objects.filter(organization=organization)

    assert organization.role == Role.ORGANIZATION
    assert set(facilities.values_list("city", flat=True)) == {"Lahore", "Karachi", "Islamabad"}
    for facility in facilities:
        assert facility.latitude is not None and facility.longitude is not None
        assert facility.operating_hours
        assert facility.operating_hours["monday"].count(":") == 2
        assert User.objects.filter(role=Role.STAFF, facility=facility).count() == 1
    assert User.objects.get(email="admin@demo.healthlink.pk").role == Role.ADMIN
    assert User.objects.get(email="owner@demo.healthlink.pk").role == Role.PLATFORM_OWNER


def test_patients_are_verified_with_encrypted_synthetic_phi() -> None:
    seed()

    patients = User.objects.filter(role=Role.PATIENT, email__endswith="@demo.healthlink.pk")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, cnic FROM users WHERE email = %s",
                       ["patient1@demo.healthlink.pk"])
        raw_phone, raw_cnic = cursor.fetchone()

    assert patients.count() == 5
    assert all(patient.is_verified for patient in patients)
    assert all((patient.phone or "").startswith("+92") for patient in patients)
    assert patients.filter(allergies__isnull=False).exists()
    assert raw_phone.startswith("v1:") and raw_cnic.startswith("v1:")
    assert User.objects.with_cnic("3520299900011").get().email == "patient1@demo.healthlink.pk"


def test_it_books_patient1_with_doctor1_once_today_or_tomorrow() -> None:
    seed()
    seed()

    booked = Appointment.objects.filter(
        patient__email="patient1@demo.healthlink.pk", doctor__email="doctor1@demo.healthlink.pk",
        status=AppointmentStatus.SCHEDULED,
    ).order_by("scheduled_at")
    local_today = timezone.localdate(timezone.now(), KARACHI)

    assert booked.count() == 2
    first = booked[0]
    assert first.scheduled_at > timezone.now()
    assert timezone.localdate(first.scheduled_at, KARACHI) - local_today <= datetime.timedelta(
        days=1)


def test_it_moves_a_demo_booking_past_a_slot_the_doctor_already_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed()
    Appointment.objects.filter(payments__isnull=True).delete()  # paid past visits stay
    slot = (timezone.now() + datetime.timedelta(days=1)).replace(
        minute=0, second=0, microsecond=0)
    doctor1 = User.objects.get(email="doctor1@demo.healthlink.pk")
    factories.AppointmentFactory.create(doctor=doctor1, scheduled_at=slot, duration_minutes=60)
    monkeypatch.setattr(demo, "_first_slot_today_or_tomorrow", lambda now: slot)

    seed()

    moved = Appointment.objects.get(chief_complaint=demo.APPOINTMENT_TODAY)
    assert moved.scheduled_at == slot + datetime.timedelta(hours=1)


def test_a_rerun_restores_a_soft_deleted_demo_account(client: Client, settings) -> None:
    seed()
    User.objects.filter(email="patient2@demo.healthlink.pk").update(deleted_at=timezone.now())

    seed()

    assert client.login(username="patient2@demo.healthlink.pk", password=settings.DEMO_PASSWORD)


def _karachi(day: int, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, minute, tzinfo=KARACHI)


@pytest.mark.parametrize(("local_now", "expected"), [
    (_karachi(2, 14, 10), _karachi(2, 15, 0)),
    (_karachi(2, 14, 0), _karachi(2, 14, 30)),
    (_karachi(2, 23, 20), _karachi(3, 10, 0)),
])
def test_the_first_demo_slot_is_later_today_or_else_tomorrow_morning(
    local_now: datetime.datetime, expected: datetime.datetime
) -> None:
    assert demo._first_slot_today_or_tomorrow(local_now) == expected


def test_it_refuses_to_run_with_debug_off_outside_tests(settings: SettingsWrapper) -> None:
    settings.DEBUG = False
    settings.TESTING = False

    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        seed()

    assert not User.all_objects.filter(email__endswith="@demo.healthlink.pk").exists()


def test_every_demo_doctor_works_in_person_and_remotely_within_opening_hours() -> None:
    seed()

    doctors = User.objects.filter(role=Role.DOCTOR, email__endswith="@demo.healthlink.pk")
    for doctor in doctors:
        blocks = list(DoctorAvailability.objects.filter(doctor=doctor).select_related("facility"))
        practised = set(DoctorFacility.objects.filter(doctor=doctor)
                        .values_list("facility_id", flat=True))
        assert {b.facility_id for b in blocks if b.facility_id} == practised
        assert any(b.facility_id is None for b in blocks)
        for block in blocks:
            if block.facility is not None:
                windows = availability.operating_windows(block.facility, block.weekday)
                assert any(opens <= block.start_time and block.end_time <= closes
                           for opens, closes in windows)
            same_day = [b for b in blocks if b.weekday == block.weekday and b.pk != block.pk]
            assert all(b.end_time <= block.start_time or block.end_time <= b.start_time
                       for b in same_day)


def test_patients_can_find_free_times_with_doctor1_next_week() -> None:
    seed()
    doctor1 = User.objects.get(email="doctor1@demo.healthlink.pk")
    start = timezone.now() + datetime.timedelta(days=7)

    slots = availability.free_slots(doctor=doctor1, start=start,
                                    end=start + datetime.timedelta(days=7))

    assert {slot.is_remote for slot in slots} == {True, False}
    assert len(slots) >= 6 * 16


def test_a_rerun_keeps_hours_a_demo_doctor_changed() -> None:
    seed()
    doctor1 = User.objects.get(email="doctor1@demo.healthlink.pk")
    DoctorAvailability.objects.filter(doctor=doctor1).exclude(weekday=0).delete()
    kept = sorted(DoctorAvailability.objects.filter(doctor=doctor1).values_list("pk", flat=True))

    output = seed()

    assert sorted(DoctorAvailability.objects.filter(doctor=doctor1)
                  .values_list("pk", flat=True)) == kept
    assert "Demo data already up to date." in output
