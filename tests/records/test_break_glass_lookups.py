"""Break-glass look-ups: a reason in words, one grant reused while active, every look-up
recorded durably (misses included) and the hourly limit counted from those records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.records import services
from apps.records.models import BreakGlassGrant, BreakGlassLookup, MedicalRecord
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


@pytest.mark.parametrize("reason", [
    "abcdeabcdeabcdeabcde",
    "abcde abcde abcde abcde abcde",
    "urgent urgent URGENT urgent",
    "12345678901234567890 ok",
    "emergency 1234567890 1234567890",
])
def test_a_reason_without_real_words_is_refused_by_page_and_service(
    identified_patient: User, other_doctor: User, reason: str,
) -> None:
    response = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": reason})

    assert response.status_code == 200
    assert b"Explain the reason in words: at least 3 different words." in response.content
    with pytest.raises(services.RecordError) as caught:
        services.break_glass_open(doctor=other_doctor, identifier=CNIC, reason=reason)
    assert caught.value.field == "reason"
    assert not BreakGlassGrant.objects.exists()
    assert not BreakGlassLookup.objects.exists()


@pytest.mark.parametrize("reason", [
    "Unconscious after a road accident, allergies unknown",
    "مریض بے ہوش ہے، الرجی کی تاریخ درکار ہے",
])
def test_a_reason_in_words_is_accepted(
    identified_patient: User, other_doctor: User, reason: str,
) -> None:
    response = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": reason})

    assert response.status_code == 302
    assert BreakGlassGrant.objects.get().reason == reason


def test_a_reason_with_text_direction_controls_is_refused(
    identified_patient: User, other_doctor: User,
) -> None:
    reason = "Unconscious after a \u202eroad accident, allergies unknown"

    response = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": reason})

    assert response.status_code == 200
    assert b"Remove the invisible text-direction characters" in response.content
    assert not BreakGlassGrant.objects.exists()


def test_a_repeated_look_up_reuses_the_active_grant_without_a_second_notification(
    identified_patient: User, other_doctor: User, record: MedicalRecord,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = logged_in(other_doctor)
    for reason in (REASON, "Still in resuscitation, checking earlier lab results"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {"identifier": CNIC, "reason": reason})
        assert response.status_code == 302

    [grant] = BreakGlassGrant.objects.all()
    assert Notification.objects.filter(user=identified_patient).count() == 1
    lookups = list(BreakGlassLookup.objects.order_by("pk"))
    assert [(row.matched, row.grant_id) for row in lookups] == [(True, grant.pk)] * 2
    assert client.get(reverse("records:detail", args=[record.pk])).status_code == 200
    assert log_rows()[-1].reason == REASON


def test_an_expired_grant_is_not_reused(
    identified_patient: User, other_doctor: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = logged_in(other_doctor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"identifier": CNIC, "reason": REASON})
    BreakGlassGrant.objects.update(created_at=timezone.now() - timedelta(hours=2),
                                   expires_at=timezone.now() - timedelta(seconds=1))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {"identifier": CNIC, "reason": REASON})

    assert BreakGlassGrant.objects.count() == 2
    assert Notification.objects.filter(user=identified_patient).count() == 2


def test_a_look_up_that_matches_nobody_is_recorded_without_the_identifier(
    identified_patient: User, other_doctor: User,
) -> None:
    client = logged_in(other_doctor)
    typed = "someone.else@test.healthlink.pk"

    response = client.post(URL, {"identifier": typed, "reason": REASON})

    assert b"No patient matches these details." in response.content
    [lookup] = BreakGlassLookup.objects.all()
    assert (lookup.doctor_id, lookup.matched, lookup.grant_id) == (other_doctor.pk, False, None)
    assert typed not in str(BreakGlassLookup.objects.values().get())
    assert log_rows() == []  # no patient: no PHI access row


def test_a_treating_doctors_look_up_is_recorded_as_matched_without_a_grant(
    identified_patient: User, doctor: User, record: MedicalRecord,
) -> None:
    assert logged_in(doctor).post(URL, {"identifier": CNIC, "reason": REASON}).status_code == 302

    [lookup] = BreakGlassLookup.objects.all()
    assert (lookup.matched, lookup.grant_id) == (True, None)


def test_the_hourly_limit_counts_recorded_look_ups_not_the_cache(
    identified_patient: User, other_doctor: User,
) -> None:
    now = timezone.now()
    for minutes in range(services.BREAK_GLASS_LOOKUPS_PER_HOUR):
        BreakGlassLookup.objects.create(doctor=other_doctor, matched=False,
                                        created_at=now - timedelta(minutes=minutes * 5))
    # Written straight to the table, as if before a Redis restart: nothing is in the cache.

    blocked = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": REASON})

    assert b"Too many emergency look-ups" in blocked.content
    assert not BreakGlassGrant.objects.exists()
    assert BreakGlassLookup.objects.count() == services.BREAK_GLASS_LOOKUPS_PER_HOUR
    BreakGlassLookup.objects.update(created_at=now - timedelta(minutes=61))
    allowed = logged_in(other_doctor).post(URL, {"identifier": CNIC, "reason": REASON})
    assert allowed.status_code == 302


def test_admins_see_the_look_ups(other_doctor: User, identified_patient: User) -> None:
    logged_in(other_doctor).post(URL, {"identifier": "nobody@test.healthlink.pk",
                                       "reason": REASON})
    admin = factories.AdminFactory()

    response = logged_in(admin).get(reverse("admin:records_breakglasslookup_changelist"))

    assert response.status_code == 200
    html = response.content.decode()
    assert str(other_doctor) in html  # "Doctor #<id>": no name or email in admin lists
    lookup = BreakGlassLookup.objects.get()
    assert reverse("admin:records_breakglasslookup_change", args=[lookup.pk]) in html
