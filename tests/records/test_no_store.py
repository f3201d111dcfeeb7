"""Every page and API answer that shows PHI tells browsers and proxies not to keep it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.records.models import FamilyMedicalHistory, MedicalRecord, Relation
from tests.records.support import logged_in

pytestmark = pytest.mark.django_db

Url = Callable[[MedicalRecord, FamilyMedicalHistory], str]

PATIENT_PAGES: dict[str, Url] = {
    "records list": lambda r, m: reverse("records:list"),
    "record": lambda r, m: reverse("records:detail", args=[r.pk]),
    "family history": lambda r, m: reverse("family:mine"),
    "family add": lambda r, m: reverse("family:add"),
    "family edit": lambda r, m: reverse("family:edit", args=[m.pk]),
    "family remove": lambda r, m: reverse("family:delete", args=[m.pk]),
    "access log": lambda r, m: reverse("audit:access_log"),
    "profile": lambda r, m: reverse("accounts:profile"),
    "export page": lambda r, m: reverse("exports:index"),
    "records api": lambda r, m: "/api/records/",
    "record api": lambda r, m: f"/api/records/{r.pk}/",
}
DOCTOR_PAGES: dict[str, Url] = {
    "patients": lambda r, m: reverse("records:patients"),
    "patient's records": lambda r, m: reverse("records:patient", args=[r.patient_id]),
    "new record": lambda r, m: reverse("records:create", args=[r.patient_id]),
    "edit record": lambda r, m: reverse("records:edit", args=[r.pk]),
    "patient's family history": lambda r, m: reverse("family:patient", args=[r.patient_id]),
    "break-glass": lambda r, m: reverse("records:break_glass"),
    "patient's records api": lambda r, m: f"/api/records/?patient={r.patient_id}",
}


@pytest.fixture
def relative(patient: User) -> FamilyMedicalHistory:
    return FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.PARENT,
                                               relation_name="Amna Bibi")


def _assert_no_store(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, url
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache_control, url


@pytest.mark.parametrize("page", PATIENT_PAGES)
def test_the_patient_pages_are_not_stored(
    page: str, patient: User, record: MedicalRecord, relative: FamilyMedicalHistory,
) -> None:
    _assert_no_store(logged_in(patient), PATIENT_PAGES[page](record, relative))


@pytest.mark.parametrize("page", DOCTOR_PAGES)
def test_the_doctor_pages_are_not_stored(
    page: str, doctor: User, record: MedicalRecord, relative: FamilyMedicalHistory,
) -> None:
    _assert_no_store(logged_in(doctor), DOCTOR_PAGES[page](record, relative))
