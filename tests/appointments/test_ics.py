"""The .ics file: RFC 5545 shape (CRLF, folding, escaping), stable UID, SEQUENCE, no PHI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.appointments import lifecycle
from apps.appointments.ics import appointment_ics, escape_text, fold
from apps.appointments.models import Appointment, ConsultationType
from tests import factories
from tests.appointments.lifecycle_support import Clinic, make_clinic, on_the_hour

pytestmark = pytest.mark.django_db

COMPLAINT = "Recurring migraine, worse at night"


@pytest.fixture
def clinic() -> Clinic:
    clinic = make_clinic()
    clinic.facility.name = "Gulberg Clinic; Block C, Floor 2"
    clinic.facility.save()
    return clinic


@pytest.fixture
def appointment(clinic: Clinic) -> Appointment:
    return clinic.appointment(
        scheduled_at=datetime(2031, 3, 9, 5, 30, tzinfo=UTC), chief_complaint=COMPLAINT,
    )


def download(client: Client, user: User, appointment: Appointment) -> str:
    client.force_login(user)
    response = client.get(reverse("appointments:ics", args=[appointment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    return response.content.decode("utf-8")


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_the_file_has_the_event_in_utc_with_crlf_lines(
    client: Client, clinic: Clinic, appointment: Appointment
) -> None:
    text = download(client, clinic.patient, appointment)

    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:")
    assert text.endswith("END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    lines = unfold(text)
    assert "DTSTART:20310309T053000Z" in lines
    assert "DTEND:20310309T060000Z" in lines
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    assert f"UID:appointment-{appointment.pk}@appointments.healthlink.pk" in lines
    assert "STATUS:CONFIRMED" in lines
    assert "SEQUENCE:0" in lines
    assert f"SUMMARY:Appointment with {clinic.doctor.name}" in lines
    assert "LOCATION:Gulberg Clinic\\; Block C\\, Floor 2\\, 1 Test Road\\, Lahore" in lines


def test_no_line_is_longer_than_75_octets(
    client: Client, clinic: Clinic, appointment: Appointment
) -> None:
    text = download(client, clinic.patient, appointment)

    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, line


def test_the_file_holds_no_complaint_and_no_patient_name(
    client: Client, clinic: Clinic, appointment: Appointment
) -> None:
    for user in (clinic.patient, clinic.doctor, clinic.staff):
        lines = "".join(unfold(download(client, user, appointment)))
        assert "migraine" not in lines
        assert clinic.patient.name not in lines


def test_the_uid_is_stable_and_sequence_grows_with_each_reschedule(
    client: Client, clinic: Clinic
) -> None:
    factories.available_all_week(clinic.doctor, facilities=[clinic.facility])
    appointment = clinic.appointment(scheduled_at=on_the_hour(24))
    before = unfold(download(client, clinic.patient, appointment))

    lifecycle.appointment_reschedule(actor=clinic.patient, appointment_id=appointment.pk,
                                     scheduled_at=on_the_hour(48))
    once = unfold(download(client, clinic.patient, appointment))
    lifecycle.appointment_reschedule(actor=clinic.patient, appointment_id=appointment.pk,
                                     scheduled_at=on_the_hour(50))
    twice = unfold(download(client, clinic.patient, appointment))

    uid = next(line for line in before if line.startswith("UID:"))
    assert uid in once and uid in twice
    sequences = tuple(
        next(line for line in lines if line.startswith("SEQUENCE:"))
        for lines in (before, once, twice)
    )
    assert sequences == ("SEQUENCE:0", "SEQUENCE:1", "SEQUENCE:2")
    start = on_the_hour(50).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert f"DTSTART:{start}" in twice


def test_a_cancelled_appointment_says_so_and_bumps_the_sequence(
    client: Client, clinic: Clinic, appointment: Appointment
) -> None:
    lifecycle.appointment_cancel(actor=clinic.doctor, appointment_id=appointment.pk,
                                 reason="Conference")

    lines = unfold(download(client, clinic.patient, appointment))

    assert "STATUS:CANCELLED" in lines
    assert "SEQUENCE:1" in lines
    assert "Conference" not in "".join(lines)


def test_a_video_call_has_no_facility_address(client: Client) -> None:
    patient = factories.PatientFactory.create()
    appointment = factories.AppointmentFactory.create(
        patient=patient, consultation_type=ConsultationType.VIDEO_CALL
    )

    lines = unfold(download(client, patient, appointment))

    assert "LOCATION:Video call on HealthLink" in lines


@pytest.mark.parametrize("outsider", ["patient", "doctor", "staff", "organization", "admin"])
def test_outsiders_get_a_404(
    client: Client, appointment: Appointment, outsider: str
) -> None:
    client.force_login({
        "patient": factories.PatientFactory.create,
        "doctor": factories.DoctorFactory.create,
        "staff": factories.StaffFactory.create,
        "organization": factories.OrganizationFactory.create,
        "admin": factories.AdminFactory.create,
    }[outsider]())

    response = client.get(reverse("appointments:ics", args=[appointment.pk]))

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(client: Client, appointment: Appointment) -> None:
    response = client.get(reverse("appointments:ics", args=[appointment.pk]))

    assert response.status_code == 302


def test_the_download_runs_a_bounded_number_of_queries(
    client: Client, clinic: Clinic, appointment: Appointment,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(clinic.patient)
    with django_assert_max_num_queries(4):
        client.get(reverse("appointments:ics", args=[appointment.pk]))


# --- The encoding rules themselves ------------------------------------------------------


def test_text_escaping_follows_rfc_5545() -> None:
    assert escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_folding_never_splits_a_multibyte_character() -> None:
    line = "SUMMARY:" + "ڈاکٹر " * 40  # Urdu: two octets per letter

    folded = fold(line)

    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join(part[1:] if i else part for i, part in enumerate(parts)) == line


def test_a_short_line_is_not_folded() -> None:
    assert fold("VERSION:2.0") == "VERSION:2.0"


def test_the_doctors_copy_names_the_kind_of_visit_not_the_patient(
    clinic: Clinic, appointment: Appointment
) -> None:
    text = appointment_ics(appointment=appointment, viewer=clinic.doctor,
                           url="https://example.test/a/1/", sequence=0)

    assert "SUMMARY:HealthLink consultation (in person)" in unfold(text)
