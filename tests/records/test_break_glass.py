"""Break-glass: a doctor with no treatment relationship states a reason, gets an hour."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Notification, NotificationEvent
from apps.records.models import BreakGlassGrant, MedicalRecord
from tests import factories
from tests.records.support import log_rows, logged_in

pytestmark = pytest.mark.django_db

URL = reverse("records:break_glass")
REASON = "Unconscious in the emergency department, need allergy history"
CNIC = "35202-1234567-1"


@pytest.fixture
def identified_patient(patient: User) -> User:
    patient.cnic = CNIC
    patient.save()
    return patient


def detail_url(record: MedicalRecord) -> str:
    return reverse("records:detail", kwargs={"record_id": record.pk})


def test_without_a_reason_the_doctor_gets_404_then_with_one_reads_flagged(
    identified_patient: User, other_doctor: User, record: MedicalRecord,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = logged_in(other_doctor)
    assert client.get(detail_url(record)).status_code == 404

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"identifier": "3520212345671", "reason": REASON})

    patient_page = reverse("records:patient", kwargs={"patient_id": identified_patient.pk})
    assert response.status_code == 302
    assert response["Location"] == patient_page
    listing = client.get(patient_page)
    assert listing.status_code == 200
    assert b"Emergency access" in listing.content
    opened = client.get(detail_url(record))
    assert opened.status_code == 200
    assert b"Iron deficiency anaemia" in opened.content

    refused, page_view, record_view = log_rows()
    assert (refused.refused, refused.break_glass) == (True, False)
    for row in (page_view, record_view):
        assert (row.refused, row.break_glass, row.reason) == (False, True, REASON)
        assert row.actor_id == other_doctor.pk
        assert row.patient_id == identified_patient.pk
    assert record_view.resource_id == record.pk


def test_the_patient_is_told_once_per_grant_with_no_phi(
    identified_patient: User, other_doctor: User, record: MedicalRecord,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = logged_in(other_doctor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"identifier": identified_patient.email, "reason": REASON})
    with django_capture_on_commit_callbacks(execute=True):
        client.get(detail_url(record))
        client.get(detail_url(record))

    [note] = Notification.objects.filter(user=identified_patient)
    assert note.event == NotificationEvent.RECORDS_BREAK_GLASS
    assert other_doctor.name in note.message
    text = f"{note.title} {note.message}"
    for secret in (REASON, "Iron", CNIC, identified_patient.email):
        assert secret not in text


def test_nothing_is_sent_before_the_commit(
    identified_patient: User, other_doctor: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": REASON})

    assert not Notification.objects.exists()
    assert len(callbacks) == 1


def test_the_grant_expires(
    identified_patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    client = logged_in(other_doctor)
    client.post(URL, {"identifier": CNIC, "reason": REASON})
    grant = BreakGlassGrant.objects.get()
    assert timedelta(minutes=59) < grant.expires_at - grant.created_at <= timedelta(minutes=61)
    BreakGlassGrant.objects.filter(pk=grant.pk).update(
        created_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )

    assert client.get(detail_url(record)).status_code == 404
    assert log_rows()[-1].refused is True


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", b"This field is required"),
        ("need it", b"at least 20 characters"),
        ("aaaaaaaaaaaaaaaaaaaaaaaaa", b"Explain the reason in words"),
    ],
)
def test_a_missing_or_empty_reason_is_refused(
    identified_patient: User, other_doctor: User, reason: str, message: bytes,
) -> None:
    response = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": reason})

    assert response.status_code == 200
    assert message in response.content
    assert not BreakGlassGrant.objects.exists()


def test_unknown_and_non_patient_identifiers_get_the_same_answer(
    identified_patient: User, doctor: User, other_doctor: User,
) -> None:
    client = logged_in(other_doctor)
    answers = [
        client.post(URL, {"identifier": ident, "reason": REASON})
        for ident in ("nobody@test.healthlink.pk", doctor.email, "35202-7654321-9", "12345",
                      "PATIENT")
    ]

    assert {a.status_code for a in answers} == {200}
    assert all(b"No patient matches these details." in a.content for a in answers)
    assert not BreakGlassGrant.objects.exists()
    assert log_rows() == []


def test_a_soft_deleted_patient_is_not_found(
    identified_patient: User, other_doctor: User,
) -> None:
    identified_patient.soft_delete()
    identified_patient.save()

    response = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": REASON})

    assert b"No patient matches these details." in response.content


def test_a_treating_doctor_goes_straight_to_the_patient_without_a_grant(
    identified_patient: User, doctor: User, visit: Any,
) -> None:
    response = logged_in(doctor).post(URL, {"identifier": CNIC, "reason": REASON})

    assert response.status_code == 302
    assert not BreakGlassGrant.objects.exists()


@pytest.mark.parametrize("factory", [factories.PatientFactory, factories.StaffFactory])
def test_only_doctors_may_break_glass(factory: Any, identified_patient: User) -> None:
    client = logged_in(factory())

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"identifier": CNIC, "reason": REASON}).status_code == 404


def test_an_unverified_doctor_may_not_break_glass(identified_patient: User) -> None:
    unverified = factories.DoctorFactory(pmdc_verified=False)

    assert logged_in(unverified).get(URL).status_code == 404


def test_a_grant_gives_read_but_not_write(
    identified_patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    client = logged_in(other_doctor)
    client.post(URL, {"identifier": CNIC, "reason": REASON})

    create = reverse("records:create", kwargs={"patient_id": identified_patient.pk})
    assert client.get(create).status_code == 404
    assert client.get(reverse("records:edit", kwargs={"record_id": record.pk})).status_code == 404


def test_the_grant_is_for_that_patient_only(
    identified_patient: User, other_doctor: User, record: MedicalRecord,
) -> None:
    stranger = factories.PatientFactory(cnic="35202-1111111-1")
    theirs = MedicalRecord.objects.create(patient=stranger, doctor=record.doctor,
                                          record_type="IMAGING", record_date=timezone.now(),
                                          notes="n")
    client = logged_in(other_doctor)
    client.post(URL, {"identifier": CNIC, "reason": REASON})

    assert client.get(detail_url(theirs)).status_code == 404


def test_the_email_lookup_ignores_case_and_the_page_states_the_duration(
    identified_patient: User, other_doctor: User,
) -> None:
    client = logged_in(other_doctor)

    assert b"Access lasts 60 minutes" in client.get(URL).content
    response = client.post(URL, {"identifier": f"  {identified_patient.email.upper()} ",
                                 "reason": REASON})
    assert response.status_code == 302
    assert BreakGlassGrant.objects.get().patient_id == identified_patient.pk


def test_look_ups_are_throttled_per_doctor(
    identified_patient: User, other_doctor: User, doctor: User,
) -> None:
    from apps.records.services import BREAK_GLASS_LOOKUPS_PER_HOUR

    client = logged_in(other_doctor)
    for number in range(BREAK_GLASS_LOOKUPS_PER_HOUR):
        miss = client.post(URL, {"identifier": f"nobody{number}@test.healthlink.pk",
                                 "reason": REASON})
        assert b"No patient matches these details." in miss.content

    blocked = client.post(URL, {"identifier": CNIC, "reason": REASON})

    assert blocked.status_code == 200
    assert b"Too many emergency look-ups" in blocked.content
    assert not BreakGlassGrant.objects.exists()
    allowed = logged_in(doctor).post(URL, {"identifier": CNIC, "reason": REASON})
    assert allowed.status_code == 302  # another doctor has their own allowance
