"""The REST API: JWT login, the public directory, and appointments scoped to the actor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus
from tests import factories

pytestmark = pytest.mark.django_db


def _bearer(user: User) -> APIClient:
    client = APIClient()
    response = client.post(
        "/api/token/", {"email": user.email.upper(), "password": factories.TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def _slot(hours: int = 26) -> str:
    start = (timezone.now() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    return start.isoformat()


def test_it_issues_a_jwt_for_email_and_password_case_insensitively(patient: User) -> None:
    client = _bearer(patient)

    assert client.get("/api/appointments/").status_code == 200


def test_it_refuses_a_jwt_to_a_soft_deleted_user(patient: User) -> None:
    client = _bearer(patient)
    User.objects.filter(pk=patient.pk).update(deleted_at=timezone.now())

    assert client.get("/api/appointments/").status_code == 401
    response = APIClient().post(
        "/api/token/", {"email": patient.email, "password": factories.TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 401


def test_it_refuses_tokens_issued_before_a_forced_logout(patient: User) -> None:
    client = _bearer(patient)
    User.objects.filter(pk=patient.pk).update(
        tokens_revoked_at=timezone.now() + timedelta(seconds=1)
    )

    response = client.get("/api/appointments/")

    assert response.status_code == 401


def test_it_lists_only_verified_doctors_in_the_directory() -> None:
    facility = factories.FacilityFactory(city="Karachi")
    listed = factories.DoctorFactory(specialty="Cardiology", facilities=[facility])
    factories.DoctorFactory(specialty="Cardiology", pmdc_verified=False, facilities=[facility])

    response = APIClient().get("/api/doctors/", {"specialty": "cardio", "city": "karachi"})

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [listed.pk]
    assert response.json()["results"][0]["facilities"][0]["city"] == "Karachi"


def test_it_hides_an_unverified_doctor_behind_a_404() -> None:
    hidden = factories.DoctorFactory(pmdc_verified=False)

    assert APIClient().get(f"/api/doctors/{hidden.pk}/").status_code == 404


def test_it_books_through_the_api(patient: User, doctor: User) -> None:
    factories.available_all_week(doctor)
    client = _bearer(patient)

    response = client.post(
        "/api/appointments/",
        {"doctor_id": doctor.pk, "scheduled_at": _slot(), "consultation_type": "PHONE",
         "chief_complaint": "Headache"},
        format="json",
    )

    assert response.status_code == 201, response.content
    appointment = Appointment.objects.get(pk=response.json()["id"])
    assert appointment.patient_id == patient.pk
    assert appointment.status == AppointmentStatus.SCHEDULED


def test_it_answers_409_with_the_reason_when_the_slot_is_taken(
    patient: User, other_patient: User, doctor: User
) -> None:
    factories.available_all_week(doctor)
    slot = _slot()
    body = {"doctor_id": doctor.pk, "scheduled_at": slot, "consultation_type": "PHONE"}
    assert _bearer(other_patient).post("/api/appointments/", body, format="json").status_code == 201

    response = _bearer(patient).post("/api/appointments/", body, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "This time is no longer available."


@pytest.mark.parametrize(
    "body, field",
    [
        ({"consultation_type": "PHONE"}, "scheduled_at"),
        ({"scheduled_at": "not a date", "consultation_type": "PHONE"}, "scheduled_at"),
        ({"scheduled_at": "2026-01-01T10:00:00+05:00", "consultation_type": "TELEPATHY"},
         "consultation_type"),
    ],
)
def test_it_rejects_malformed_bookings_with_400_and_the_field(
    patient: User, doctor: User, body: dict[str, str], field: str
) -> None:
    response = _bearer(patient).post(
        "/api/appointments/", {"doctor_id": doctor.pk, **body}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()


def test_it_refuses_a_booking_in_the_past_with_the_reason(patient: User, doctor: User) -> None:
    past = (timezone.now() - timedelta(hours=3)).isoformat()

    response = _bearer(patient).post(
        "/api/appointments/",
        {"doctor_id": doctor.pk, "scheduled_at": past, "consultation_type": "PHONE"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Choose a time in the future."
    assert not Appointment.objects.exists()


def test_it_shows_an_appointment_to_its_patient_and_doctor() -> None:
    appointment = factories.AppointmentFactory()

    for user in (appointment.patient, appointment.doctor):
        response = _bearer(user).get(f"/api/appointments/{appointment.pk}/")
        assert response.status_code == 200
        assert response.json()["chief_complaint"] == "Persistent cough"


def test_it_answers_404_to_outsiders_for_an_appointment(
    other_patient: User, other_doctor: User
) -> None:
    appointment = factories.AppointmentFactory()
    other_staff = factories.StaffFactory()
    other_org = factories.OrganizationFactory()

    for outsider in (other_patient, other_doctor, other_staff, other_org):
        response = _bearer(outsider).get(f"/api/appointments/{appointment.pk}/")
        assert response.status_code == 404, outsider.role
    assert APIClient().get(f"/api/appointments/{appointment.pk}/").status_code == 401


def test_it_lists_only_the_actors_own_appointments(patient: User) -> None:
    mine = factories.AppointmentFactory(patient=patient)
    factories.AppointmentFactory()

    response = _bearer(patient).get("/api/appointments/")

    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_it_serves_the_openapi_schema(patient: User) -> None:
    response = _bearer(patient).get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/appointments/" in response.content


@pytest.mark.parametrize("params", [{"specialty": "\x00"}, {"city": "a\x00b"}, {"page": "0"},
                                    {"specialty": "x" * 500}])
def test_it_rejects_unstorable_search_input_with_400(params: dict[str, str]) -> None:
    response = APIClient().get("/api/doctors/", params)

    assert response.status_code == 400


def test_it_refuses_a_booking_time_without_an_offset(patient: User, doctor: User) -> None:
    naive = (timezone.now() + timedelta(days=2)).replace(tzinfo=None).isoformat()

    response = _bearer(patient).post(
        "/api/appointments/",
        {"doctor_id": doctor.pk, "scheduled_at": naive, "consultation_type": "PHONE"},
        format="json",
    )

    assert response.status_code == 400
    assert "offset" in str(response.json()["scheduled_at"])


@pytest.mark.parametrize("when", ["9999-12-31T23:59:00+05:00", "2200-01-01T10:00:00+05:00"])
def test_it_refuses_bookings_beyond_the_horizon_without_a_500(
    patient: User, doctor: User, when: str
) -> None:
    response = _bearer(patient).post(
        "/api/appointments/",
        {"doctor_id": doctor.pk, "scheduled_at": when, "consultation_type": "PHONE"},
        format="json",
    )

    assert response.status_code == 400
    assert "up to a year ahead" in response.json()["detail"]
