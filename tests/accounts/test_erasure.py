"""Erasure: users soft-deleted more than ACCOUNT_ERASURE_AFTER_DAYS ago lose their identity.

Records, payments and the PHI access log stay, pointing at the pseudonymised row.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import erasure, tasks
from apps.accounts.admin_services import SKIP_ERASED, user_restore
from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.notifications.models import Notification, NotificationType
from apps.payments.models import Payment, PaymentMethod, PaymentStatus
from apps.records.models import FamilyMedicalHistory, MedicalRecord, RecordType, Relation
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _deleted(user: User, *, days_ago: float, now: datetime = NOW) -> User:
    User.all_objects.filter(pk=user.pk).update(deleted_at=now - timedelta(days=days_ago))
    return User.all_objects.get(pk=user.pk)


def _patient_with_everything() -> dict[str, Any]:
    patient = factories.PatientFactory.create(
        phone="+923005550101", cnic="35202-5550101-1", address="House 1, Street 2, Lahore",
        date_of_birth=date(1990, 5, 17), gender="FEMALE",
        allergies="Penicillin", emergency_contact="Sister +923015550101", blood_type="B+",
    )
    doctor = factories.DoctorFactory.create()
    appointment = factories.AppointmentFactory.create(
        patient=patient, doctor=doctor, scheduled_at=NOW - timedelta(days=200),
        status=AppointmentStatus.COMPLETED,
    )
    record = MedicalRecord.objects.create(
        patient=patient, doctor=doctor, appointment=appointment,
        record_type=RecordType.CONSULTATION, diagnosis="Test diagnosis", record_date=NOW,
    )
    payment = Payment.objects.create(
        appointment=appointment, payer=patient, payee=doctor, amount=Decimal("2500.00"),
        payment_method=PaymentMethod.JAZZCASH, status=PaymentStatus.COMPLETED,
    )
    log = PhiAccessLog.objects.create(
        actor=doctor, action=PhiAction.VIEW, resource_type=PhiResource.MEDICAL_RECORD,
        resource_id=record.pk, patient=patient,
    )
    relative = FamilyMedicalHistory.objects.create(
        patient=patient, relation=Relation.PARENT, relation_name="Test Mother Name", age=61,
        conditions=["Hypertension"], notes="Lives with Test Uncle",
    )
    notification = Notification.objects.create(
        user=patient, type=NotificationType.APPOINTMENT_REMINDER, title="Reminder",
        message="Test Patient, your appointment with Dr Test is tomorrow.",
    )
    return {"patient": patient, "doctor": doctor, "appointment": appointment,
            "record": record, "payment": payment, "log": log, "relative": relative,
            "notification": notification}


def test_at_89_days_nothing_happens() -> None:
    data = _patient_with_everything()
    patient = _deleted(data["patient"], days_ago=89)
    before = User.all_objects.filter(pk=patient.pk).values().get()

    run = erasure.users_erase_due(now=NOW)

    assert (run.erased, run.failed) == (0, 0)
    assert User.all_objects.filter(pk=patient.pk).values().get() == before
    assert Notification.objects.filter(pk=data["notification"].pk).exists()
    assert FamilyMedicalHistory.objects.get(pk=data["relative"].pk).relation_name


def test_at_91_days_identity_is_erased_and_records_payments_and_logs_stay() -> None:
    data = _patient_with_everything()
    patient = _deleted(data["patient"], days_ago=91)

    run = erasure.users_erase_due(now=NOW)

    assert (run.erased, run.failed) == (1, 0)
    erased = User.all_objects.get(pk=patient.pk)
    assert erased.name == "Erased user"
    assert erased.email == f"erased-{patient.pk}@erased.invalid"
    for field in ("phone", "cnic", "cnic_blind_index", "address", "date_of_birth", "gender",
                  "emergency_contact"):
        assert getattr(erased, field) is None, field
    assert not erased.has_usable_password()
    assert erased.tokens_revoked_at == NOW
    assert erased.erased_at == NOW
    # Clinical data kept with the records (see apps.accounts.erasure).
    assert (erased.allergies, erased.blood_type) == ("Penicillin", "B+")

    assert MedicalRecord.objects.get(pk=data["record"].pk).patient_id == patient.pk
    assert Payment.objects.get(pk=data["payment"].pk).payer_id == patient.pk
    assert PhiAccessLog.objects.get(pk=data["log"].pk).patient_id == patient.pk
    assert Appointment.objects.get(pk=data["appointment"].pk).patient_id == patient.pk

    relative = FamilyMedicalHistory.objects.get(pk=data["relative"].pk)
    assert (relative.relation_name, relative.notes) == (None, None)
    assert (relative.relation, relative.age, relative.conditions) == (
        Relation.PARENT, 61, ["Hypertension"])
    assert not Notification.objects.filter(user_id=patient.pk).exists()

    # Nothing identifying is left in the row, not even as ciphertext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM users WHERE id = %s", [patient.pk])
        raw = " ".join(str(value) for value in cursor.fetchone())
    for secret in ("Test Patient", "patient", "5550101", "Lahore", "1990", "Sister"):
        assert secret not in raw


def test_a_doctor_keeps_the_pmdc_number_the_kept_records_need() -> None:
    doctor = _deleted(factories.DoctorFactory.create(phone="+923005550199"), days_ago=120)

    erasure.users_erase_due(now=NOW)

    erased = User.all_objects.get(pk=doctor.pk)
    assert erased.name == "Erased user"
    assert erased.phone is None
    assert erased.pmdc_license_number == doctor.pmdc_license_number


def test_a_rerun_is_a_no_op() -> None:
    data = _patient_with_everything()
    patient = _deleted(data["patient"], days_ago=91)
    erasure.users_erase_due(now=NOW)
    after_first = User.all_objects.filter(pk=patient.pk).values().get()

    run = erasure.users_erase_due(now=NOW + timedelta(days=1))

    assert (run.erased, run.failed) == (0, 0)
    assert User.all_objects.filter(pk=patient.pk).values().get() == after_first


def test_a_user_restored_before_the_deadline_is_untouched() -> None:
    patient = _deleted(factories.PatientFactory.create(phone="+923005550102"), days_ago=80)
    owner = factories.PlatformOwnerFactory.create()
    user_restore(actor=owner, user_ids=[patient.pk])

    run = erasure.users_erase_due(now=NOW + timedelta(days=30))

    assert run.erased == 0
    kept = User.objects.get(pk=patient.pk)
    assert (kept.name, kept.phone, kept.erased_at) == (patient.name, "+923005550102", None)
    assert kept.has_usable_password()


def test_an_erased_user_cannot_be_restored_nor_log_in() -> None:
    patient = _deleted(factories.PatientFactory.create(), days_ago=91)
    email = patient.email
    erasure.users_erase_due(now=NOW)

    outcome = user_restore(actor=factories.PlatformOwnerFactory.create(), user_ids=[patient.pk])

    assert outcome.skipped == {SKIP_ERASED: 1}
    assert User.all_objects.get(pk=patient.pk).deleted_at is not None
    for address in (email, erasure.erased_email(patient.pk)):
        web = Client().post("/accounts/login/", {"email": address,
                                                  "password": factories.TEST_PASSWORD})
        assert web.status_code == 400
        api = APIClient().post("/api/token/", {"email": address,
                                               "password": factories.TEST_PASSWORD})
        assert api.status_code == 401


def test_the_job_works_in_batches_and_logs_counts_only(caplog: pytest.LogCaptureFixture) -> None:
    users = [_deleted(factories.PatientFactory.create(), days_ago=100) for _ in range(5)]
    untouched = _deleted(factories.PatientFactory.create(), days_ago=10)

    with caplog.at_level("INFO", logger="apps.accounts.erasure"):
        run = erasure.users_erase_due(now=NOW, batch_size=2)

    assert run.erased == 5
    assert User.all_objects.filter(pk__in=[u.pk for u in users], erased_at=NOW).count() == 5
    assert User.all_objects.get(pk=untouched.pk).erased_at is None
    text = caplog.text
    for user in users:
        assert user.name not in text
        assert user.email not in text
    assert "erasure run erased=5 failed=0" in text


def test_one_failing_user_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = (_deleted(factories.PatientFactory.create(), days_ago=100)
                     for _ in range(2))
    real = erasure.user_erase

    def flaky(*, user_id: int, now: datetime | None = None) -> bool:
        if user_id == first.pk:
            raise RuntimeError("simulated crash mid-erasure")
        return real(user_id=user_id, now=now)

    monkeypatch.setattr(erasure, "user_erase", flaky)
    run = erasure.users_erase_due(now=NOW)

    assert (run.erased, run.failed) == (1, 1)
    assert User.all_objects.get(pk=first.pk).erased_at is None
    assert User.all_objects.get(pk=second.pk).erased_at == NOW

    monkeypatch.setattr(erasure, "user_erase", real)
    assert erasure.users_erase_due(now=NOW).erased == 1  # the next run finishes the job


def test_an_interrupted_erasure_leaves_the_user_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    data = _patient_with_everything()
    patient = _deleted(data["patient"], days_ago=100)

    def crash(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(FamilyMedicalHistory.objects, "filter", crash)
    with pytest.raises(RuntimeError):
        erasure.user_erase(user_id=patient.pk, now=NOW)

    kept = User.all_objects.get(pk=patient.pk)
    assert (kept.name, kept.erased_at) == (patient.name, None)
    assert Notification.objects.filter(user_id=patient.pk).exists()


@override_settings(ACCOUNT_ERASURE_AFTER_DAYS=30)
def test_the_period_comes_from_settings_and_the_task_runs_it() -> None:
    patient = _deleted(factories.PatientFactory.create(), days_ago=31, now=timezone.now())

    result = tasks.erase_deleted_users.delay().get()

    assert result == {"erased": 1, "failed": 0}
    assert User.all_objects.get(pk=patient.pk).erased_at is not None


def test_the_beat_runs_erasure_daily() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["accounts-erase-deleted-users"]
    assert entry["task"] == "accounts.erase_deleted_users"
    assert entry["schedule"] == 24 * 3600.0
