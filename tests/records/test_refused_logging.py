"""Every refused attempt on an existing patient or record writes one refused row, whatever
the actor's role, with the action the request would have been (GET → VIEW, POST → UPDATE);
a missing id writes none."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import PhiAction, PhiResource
from apps.records.models import MedicalRecord
from tests import factories
from tests.records.support import log_rows, logged_in, record_post_data

pytestmark = pytest.mark.django_db

ROLES: dict[str, Callable[[], User]] = {
    "staff": factories.StaffFactory,
    "organization": factories.OrganizationFactory,
    "admin": factories.AdminFactory,
    "platform owner": factories.PlatformOwnerFactory,
    "unverified doctor": lambda: factories.DoctorFactory(pmdc_verified=False),
    "other patient": factories.PatientFactory,
    "unrelated doctor": factories.DoctorFactory,
}


def _url(name: str, record: MedicalRecord, *, missing: bool = False) -> tuple[str, str]:
    """The URL and the resource type a refusal on it is logged against."""
    if name == "edit":
        return (reverse("records:edit", args=[999_999 if missing else record.pk]),
                PhiResource.MEDICAL_RECORD)
    patient_id = 999_999 if missing else record.patient_id
    return reverse(f"records:{name}", args=[patient_id]), PhiResource.PATIENT_PROFILE


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["patient", "create", "edit"])
def test_a_refused_get_is_404_and_one_refused_view_row(
    role: str, name: str, record: MedicalRecord,
) -> None:
    actor = ROLES[role]()
    url, resource_type = _url(name, record)

    response = logged_in(actor).get(url)

    assert response.status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.patient_id, row.refused, row.action, row.resource_type) == (
        actor.pk, record.patient_id, True, PhiAction.VIEW, resource_type)
    expected_id = record.pk if name == "edit" else record.patient_id
    assert row.resource_id == expected_id


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["create", "edit"])
def test_a_refused_post_is_404_and_one_refused_update_row(
    role: str, name: str, record: MedicalRecord,
) -> None:
    actor = ROLES[role]()
    url, resource_type = _url(name, record)

    response = logged_in(actor).post(url, record_post_data())

    assert response.status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.patient_id, row.refused, row.action, row.resource_type) == (
        actor.pk, record.patient_id, True, PhiAction.UPDATE, resource_type)
    assert MedicalRecord.objects.count() == 1


@pytest.mark.parametrize("name", ["patient", "create", "edit"])
def test_the_patient_on_the_doctor_pages_of_their_own_records_is_refused_and_logged(
    name: str, patient: User, record: MedicalRecord,
) -> None:
    url, _resource = _url(name, record)

    assert logged_in(patient).get(url).status_code == 404
    [row] = log_rows()
    assert (row.actor_id, row.patient_id, row.refused, row.action) == (
        patient.pk, patient.pk, True, PhiAction.VIEW)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ["patient", "create", "edit"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_missing_patient_or_record_is_404_and_logs_nothing(
    role: str, name: str, method: str, record: MedicalRecord,
) -> None:
    url, _resource = _url(name, record, missing=True)
    client = logged_in(ROLES[role]())

    response = getattr(client, method)(url, record_post_data() if method == "post" else None)

    assert response.status_code in (404, 405)
    assert log_rows() == []


def test_a_staff_account_on_a_non_patient_id_logs_nothing(record: MedicalRecord) -> None:
    staff = factories.StaffFactory()
    doctor_id = record.doctor_id

    assert logged_in(staff).get(reverse("records:patient", args=[doctor_id])).status_code == 404
    assert log_rows() == []


def test_the_author_opening_the_edit_form_logs_one_view_of_the_record(
    doctor: User, record: MedicalRecord,
) -> None:
    response = logged_in(doctor).get(reverse("records:edit", args=[record.pk]))

    assert response.status_code == 200
    [row] = log_rows()
    assert (row.action, row.resource_type, row.resource_id, row.refused) == (
        PhiAction.VIEW, PhiResource.MEDICAL_RECORD, record.pk, False)


def test_the_treating_doctor_opening_the_new_form_logs_one_view_of_the_profile(
    doctor: User, patient: User, record: MedicalRecord,
) -> None:
    """Like the doctor's patient page: the form shows the patient's name and appointments."""
    response = logged_in(doctor).get(reverse("records:create", args=[patient.pk]))

    assert response.status_code == 200
    [row] = log_rows()
    assert (row.action, row.resource_type, row.resource_id, row.patient_id, row.refused) == (
        PhiAction.VIEW, PhiResource.PATIENT_PROFILE, patient.pk, patient.pk, False)


def test_a_post_of_the_new_form_logs_only_the_update_of_the_record(
    doctor: User, patient: User, record: MedicalRecord,
) -> None:
    response = logged_in(doctor).post(reverse("records:create", args=[patient.pk]),
                                      record_post_data())

    assert response.status_code == 302
    [row] = log_rows()
    assert (row.action, row.resource_type, row.refused) == (
        PhiAction.UPDATE, PhiResource.MEDICAL_RECORD, False)
