"""Admin PHI pages name whose PHI it was, so the patient sees the read in their access log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.audit.models import PhiAccessLog
from tests.admin import conftest as make

pytestmark = pytest.mark.django_db


def logged_patients() -> list[int | None]:
    return list(PhiAccessLog.objects.order_by("id").values_list("patient_id", flat=True))


def test_a_medical_record_page_names_its_patient(owner_client: Client) -> None:
    record = make.medical_record()

    owner_client.get(reverse("admin:records_medicalrecord_change", args=[record.pk]))

    assert logged_patients() == [record.patient_id]


def test_the_history_pages_name_the_patient_too(owner_client: Client) -> None:
    record = make.medical_record()
    record.diagnosis = "Revised"
    record.save()
    version = record.history.earliest()

    owner_client.get(reverse("admin:records_medicalrecord_history", args=[record.pk]))
    owner_client.get(reverse("admin:records_medicalrecord_simple_history",
                             args=[record.pk, version.history_id]))

    assert logged_patients() == [record.patient_id, record.patient_id]


def test_a_prescription_page_names_its_patient(owner_client: Client) -> None:
    prescription = make.prescription()

    owner_client.get(reverse("admin:prescriptions_prescription_change",
                             args=[prescription.pk]))

    assert logged_patients() == [prescription.patient_id]


def test_a_family_history_page_names_its_patient(owner_client: Client) -> None:
    entry = make.family_history()

    owner_client.get(reverse("admin:records_familymedicalhistory_change", args=[entry.pk]))

    assert logged_patients() == [entry.patient_id]


def test_a_user_page_names_the_user(owner_client: Client) -> None:
    patient = make.patient_with_phi()

    owner_client.get(reverse("admin:accounts_user_change", args=[patient.pk]))

    assert logged_patients() == [patient.pk]
