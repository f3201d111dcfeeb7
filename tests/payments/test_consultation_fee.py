"""The doctor's consultation fee: set on their profile and in admin, never negative."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from apps.accounts import demo
from apps.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:profile")


def profile_form(user: User, **changes: str) -> dict[str, str]:
    data = {"name": user.name, "phone": "", "address": "", "date_of_birth": "", "gender": "",
            "time_zone": user.time_zone or "Asia/Karachi", "consultation_fee": ""}
    data.update(changes)
    return data


def test_a_doctor_sets_their_fee_on_the_profile_page() -> None:
    doctor = factories.DoctorFactory.create()
    client = Client()
    client.force_login(doctor)
    assert 'name="consultation_fee"' in client.get(PROFILE_URL).content.decode()

    response = client.post(PROFILE_URL, profile_form(doctor, consultation_fee="2750.50"))

    assert response.status_code == 302
    doctor.refresh_from_db()
    assert doctor.consultation_fee == Decimal("2750.50")


@pytest.mark.parametrize("fee", ["-1", "abc", "12.345", "1e3", "1000001"])
def test_a_bad_fee_is_a_form_error(fee: str) -> None:
    doctor = factories.DoctorFactory.create(consultation_fee=Decimal("1500"))
    client = Client()
    client.force_login(doctor)

    response = client.post(PROFILE_URL, profile_form(doctor, consultation_fee=fee))

    assert response.status_code == 400
    doctor.refresh_from_db()
    assert doctor.consultation_fee == Decimal("1500")


def test_patients_have_no_fee_field_and_cannot_set_one(patient: User) -> None:
    client = Client()
    client.force_login(patient)
    assert 'name="consultation_fee"' not in client.get(PROFILE_URL).content.decode()
    client.post(PROFILE_URL, {**profile_form(patient), "consultation_fee": "5000"})
    patient.refresh_from_db()
    assert patient.consultation_fee is None


def test_the_database_refuses_a_negative_fee() -> None:
    doctor = factories.DoctorFactory.create()
    doctor.consultation_fee = Decimal("-5")
    with pytest.raises(IntegrityError):
        doctor.save(update_fields=["consultation_fee"])


def test_admin_edits_the_fee() -> None:
    doctor = factories.DoctorFactory.create()
    client = Client()
    client.force_login(factories.PlatformOwnerFactory.create())
    page = client.get(reverse("admin:accounts_user_change", args=[doctor.pk]))
    assert page.status_code == 200
    assert 'name="consultation_fee"' in page.content.decode()


def test_demo_doctors_charge_realistic_fees() -> None:
    fees = [spec["consultation_fee"] for spec in demo._doctor_specs()]
    assert all(Decimal("1000") <= fee <= Decimal("5000") for fee in fees)
