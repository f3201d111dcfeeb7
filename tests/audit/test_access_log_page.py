"""The patient's "Who accessed my data" page: their own entries only, who, when, what, why."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.audit.services import phi_access_record
from tests.factories import (
    AdminFactory,
    DoctorFactory,
    OrganizationFactory,
    PatientFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db

URL = "/privacy/access-log/"


def record(actor: User, patient: User, **fields: Any) -> PhiAccessLog:
    values: dict[str, Any] = {"action": PhiAction.VIEW,
                              "resource_type": PhiResource.MEDICAL_RECORD,
                              "resource_id": 41, **fields}
    return phi_access_record(actor=actor, patient=patient, **values)


def rows(response: Any) -> list[str]:
    """Each table row's text, whitespace squeezed."""
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
            for row in body.split("</tr>") if row.strip()]


def reasons(response: Any) -> list[str]:
    """The text of each row's reason, newest first."""
    return re.findall(r'<span class="reason">([^<]*)</span>', response.content.decode())


def test_the_url_is_named_and_mounted() -> None:
    assert reverse("audit:access_log") == URL


def test_it_lists_who_what_when_and_why_newest_first(client: Client) -> None:
    patient = PatientFactory.create(time_zone="Asia/Karachi")
    doctor = DoctorFactory.create(name="Dr. Sana Mirza")
    record(doctor, patient, reason="Follow-up consultation")
    phi_access_record(actor=patient, action=PhiAction.UPDATE,
                      resource_type=PhiResource.PATIENT_PROFILE, resource_id=patient.pk)
    client.force_login(patient)

    response = client.get(URL)

    assert response.status_code == 200
    newest, oldest = rows(response)
    assert "You" in newest and "Changed your profile" in newest
    assert "Dr. Sana Mirza (Doctor)" in oldest
    assert "Viewed a medical record #41" in oldest
    assert "Follow-up consultation" in oldest


def test_times_are_shown_in_the_patients_time_zone(client: Client) -> None:
    patient = PatientFactory.create(time_zone="Asia/Karachi")
    entry = record(DoctorFactory.create(), patient)
    client.force_login(patient)

    html = client.get(URL).content.decode()

    local = entry.created_at.astimezone(datetime.timezone(datetime.timedelta(hours=5)))
    assert f'datetime="{local.isoformat()}"' in html
    assert local.strftime("%H:%M") in html


def test_break_glass_and_refused_accesses_are_flagged(client: Client) -> None:
    patient = PatientFactory.create()
    record(DoctorFactory.create(), patient, break_glass=True, reason="Unconscious in ER")
    record(DoctorFactory.create(), patient, refused=True)
    client.force_login(patient)

    refused, break_glass = rows(client.get(URL))

    assert "Emergency access without a treatment relationship" in break_glass
    assert "Unconscious in ER" in break_glass
    assert "Refused: nothing was shown" in refused


def test_a_refused_attempt_reads_as_an_attempt_not_as_a_change(client: Client) -> None:
    patient = PatientFactory.create()
    record(DoctorFactory.create(), patient, action=PhiAction.UPDATE,
           resource_type=PhiResource.PATIENT_PROFILE, resource_id=patient.pk, refused=True,
           reason="family history")
    record(DoctorFactory.create(), patient, refused=True)
    client.force_login(patient)

    refused_view, refused_change = rows(client.get(URL))

    assert "Tried to change your profile, refused" in refused_change
    assert "Changed your profile" not in refused_change
    assert "Tried to view a medical record, refused" in refused_view
    assert "Viewed a medical record" not in refused_view


def test_system_reasons_are_shown_translated_and_stored_unchanged(client: Client) -> None:
    patient = PatientFactory.create()
    for reason in ("family history", "data export", "Typed by a doctor"):
        phi_access_record(actor=patient, action=PhiAction.VIEW,
                          resource_type=PhiResource.PATIENT_PROFILE, resource_id=patient.pk,
                          reason=reason)
    client.force_login(patient)

    english = reasons(client.get(URL))
    urdu = reasons(client.get(URL, headers={"Accept-Language": "ur"}))

    assert english == ["Typed by a doctor", "Your data export", "Family medical history"]
    assert urdu == ["Typed by a doctor", "آپ کے ڈیٹا کی برآمد", "خاندانی طبی تاریخ"]
    assert set(PhiAccessLog.objects.values_list("reason", flat=True)) == {
        "family history", "data export", "Typed by a doctor"}


def test_admin_reads_are_explained(client: Client) -> None:
    patient = PatientFactory.create()
    record(AdminFactory.create(name="Ops Admin"), patient, reason="admin")
    client.force_login(patient)

    (row,) = rows(client.get(URL))

    assert "Ops Admin (Admin)" in row
    assert "Platform administration" in row


def test_another_patients_entries_never_show(client: Client) -> None:
    patient, outsider = PatientFactory.create(), PatientFactory.create()
    record(DoctorFactory.create(name="Dr. Hidden Name"), patient, reason="Private reason")
    client.force_login(outsider)

    response = client.get(URL)

    assert response.status_code == 200
    assert rows(response) == []
    html = response.content.decode()
    assert "Dr. Hidden Name" not in html and "Private reason" not in html
    assert "Nobody has accessed your health information yet." in html


def test_an_access_that_names_no_patient_is_nobodys(client: Client) -> None:
    patient = PatientFactory.create()
    phi_access_record(actor=DoctorFactory.create(), action=PhiAction.VIEW,
                      resource_type=PhiResource.MEDICAL_RECORD, resource_id=patient.pk)
    client.force_login(patient)

    assert rows(client.get(URL)) == []


@pytest.mark.parametrize("factory", [DoctorFactory, StaffFactory, OrganizationFactory,
                                     AdminFactory])
def test_it_is_a_patient_page_and_a_404_for_other_roles(client: Client, factory: Any) -> None:
    user = factory.create()
    record(DoctorFactory.create(), user)  # even with entries naming them
    client.force_login(user)

    assert client.get(URL).status_code == 404


def test_it_requires_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_it_paginates(client: Client) -> None:
    patient = PatientFactory.create()
    doctor = DoctorFactory.create()
    for index in range(30):
        record(doctor, patient, resource_id=index)
    client.force_login(patient)

    first = client.get(URL)
    second = client.get(URL, {"page": 2})

    assert len(rows(first)) == 25 and len(rows(second)) == 5
    assert "#29" in rows(first)[0] and "#0" in rows(second)[-1]


def test_the_query_count_does_not_grow_with_the_entries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    patient = PatientFactory.create()
    for _ in range(3):
        doctor = DoctorFactory.create()
        for index in range(8):
            record(doctor, patient, resource_id=index)
    client.force_login(patient)

    with django_assert_max_num_queries(6):
        response = client.get(URL)

    assert len(rows(response)) == 24


def test_the_page_itself_writes_no_log_row(client: Client) -> None:
    patient = PatientFactory.create()
    record(DoctorFactory.create(), patient)
    client.force_login(patient)

    client.get(URL)

    assert PhiAccessLog.objects.count() == 1


def test_patients_find_it_from_the_menu_and_the_dashboard(client: Client) -> None:
    patient = PatientFactory.create()
    client.force_login(patient)

    dashboard = client.get(reverse("core:dashboard")).content.decode()

    assert dashboard.count(f'href="{URL}"') == 2


def test_doctors_have_no_menu_entry(client: Client) -> None:
    client.force_login(DoctorFactory.create())

    assert f'href="{URL}"' not in client.get(reverse("core:dashboard")).content.decode()
