from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from tests.factories import DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:profile")


def _form(user: User, **overrides: str) -> dict[str, str]:
    data = {
        "name": user.name,
        "phone": user.phone or "",
        "address": user.address or "",
        "date_of_birth": user.date_of_birth.isoformat() if user.date_of_birth else "",
        "gender": user.gender or "",
        "time_zone": user.time_zone,
    }
    if user.is_patient:
        data.update({
            "cnic": user.cnic or "",
            "blood_type": user.blood_type or "",
            "allergies": user.allergies or "",
            "emergency_contact": user.emergency_contact or "",
        })
    data.update(overrides)
    return data


def test_viewing_the_profile_logs_exactly_one_phi_view(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    patient = PatientFactory.create(allergies="Penicillin")
    client.force_login(patient)

    with django_assert_max_num_queries(6):
        response = client.get(PROFILE_URL, REMOTE_ADDR="10.9.8.7",
                              HTTP_USER_AGENT="HealthLinkTest/1.0")

    assert response.status_code == 200
    assert "Penicillin" in response.content.decode()
    entry = PhiAccessLog.objects.get()
    assert entry.actor_id == patient.pk
    assert entry.action == PhiAction.VIEW
    assert entry.resource_type == PhiResource.PATIENT_PROFILE
    assert entry.resource_id == patient.pk
    assert entry.ip_address == "10.9.8.7"
    assert entry.user_agent == "HealthLinkTest/1.0"


def test_saving_the_profile_updates_it_and_logs_a_phi_update(client: Client) -> None:
    patient = PatientFactory.create()
    client.force_login(patient)

    response = client.post(PROFILE_URL, _form(
        patient, phone="+92 321 7654321", cnic="3520298765431", blood_type="O+",
        allergies="Peanuts", emergency_contact="Ali, +923001112223",
        time_zone="Europe/London",
    ))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+923217654321"
    assert patient.cnic == "35202-9876543-1"
    assert patient.blood_type == "O+"
    assert patient.allergies == "Peanuts"
    assert patient.time_zone == "Europe/London"
    entry = PhiAccessLog.objects.get()
    assert (entry.action, entry.resource_id) == (PhiAction.UPDATE, patient.pk)


def test_unchanged_profile_saves_nothing_and_logs_nothing(client: Client) -> None:
    patient = PatientFactory.create(phone="+923001234567")
    client.force_login(patient)

    response = client.post(PROFILE_URL, _form(patient))

    assert response.status_code == 302
    assert not PhiAccessLog.objects.exists()


def test_cnic_of_another_user_is_a_form_error(client: Client) -> None:
    PatientFactory.create(cnic="35202-1111111-1")
    patient = PatientFactory.create()
    client.force_login(patient)

    response = client.post(PROFILE_URL, _form(patient, cnic="3520211111111"))

    assert response.status_code == 400
    assert response.context["form"].errors["cnic"] == ["An account with this CNIC already exists."]
    patient.refresh_from_db()
    assert patient.cnic is None


def test_invalid_phone_on_the_profile_is_a_form_error(client: Client) -> None:
    patient = PatientFactory.create()
    client.force_login(patient)

    response = client.post(PROFILE_URL, _form(patient, phone="555-0100"))

    assert response.status_code == 400
    assert "phone" in response.context["form"].errors


@pytest.mark.parametrize("name", ["Ayesha\x1bMalik", "Bilal\x07", "Sana\u202eKhan"])
def test_a_name_with_invisible_control_characters_is_a_form_error(
    client: Client, name: str,
) -> None:
    patient = PatientFactory.create(name="Sana Iqbal")
    client.force_login(patient)

    response = client.post(PROFILE_URL, _form(patient, name=name))

    assert response.status_code == 400
    assert "name" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.name == "Sana Iqbal"


def test_doctor_profile_has_no_patient_fields_and_ignores_them(client: Client) -> None:
    doctor = DoctorFactory.create()
    client.force_login(doctor)

    page = client.get(PROFILE_URL).content.decode()
    response = client.post(PROFILE_URL, _form(doctor, name="Dr New Name", cnic="3520200000001"))

    assert 'name="cnic"' not in page
    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.name == "Dr New Name"
    assert doctor.cnic is None


def test_profile_needs_a_login(client: Client) -> None:
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_no_account_url_takes_a_user_id() -> None:
    resolver = get_resolver()
    accounts = next(
        entry for entry in resolver.url_patterns
        if isinstance(entry, URLResolver) and entry.namespace == "accounts"
    )

    for pattern in accounts.url_patterns:
        assert isinstance(pattern, URLPattern)
        assert set(pattern.pattern.converters) <= {"token"}, pattern.name


def test_another_users_id_in_the_query_string_still_shows_your_own_profile(
    client: Client,
) -> None:
    me, other = PatientFactory.create(), PatientFactory.create(allergies="Sulfa drugs")
    client.force_login(me)

    html = client.get(PROFILE_URL, {"id": other.pk, "user": other.pk, "pk": other.pk})

    assert me.email in html.content.decode()
    assert other.email not in html.content.decode()
    assert "Sulfa drugs" not in html.content.decode()
    assert client.get(f"{PROFILE_URL}{other.pk}/").status_code == 404
    assert list(PhiAccessLog.objects.values_list("resource_id", flat=True)) == [me.pk]
