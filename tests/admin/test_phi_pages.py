"""Admin pages that show PHI write a phi_access_logs row; the log itself is append-only."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.records.models import MedicalRecord
from tests.admin import conftest as make

pytestmark = pytest.mark.django_db


def test_opening_a_medical_record_logs_a_view(owner_client: Client, owner: User) -> None:
    record = make.medical_record()

    response = owner_client.get(reverse("admin:records_medicalrecord_change", args=[record.pk]))

    assert "Test diagnosis ZXQ-DIAG" in response.content.decode()
    entry = PhiAccessLog.objects.get()
    assert (entry.actor_id, entry.action, entry.resource_type, entry.resource_id,
            entry.reason) == (owner.pk, PhiAction.VIEW, PhiResource.MEDICAL_RECORD,
                              record.pk, "admin")


def test_a_medical_records_history_pages_log_views(owner_client: Client) -> None:
    record = make.medical_record()
    record.diagnosis = "Revised diagnosis ZXQ-REV"
    record.save()
    version = record.history.earliest()

    listing = owner_client.get(reverse("admin:records_medicalrecord_history", args=[record.pk]))
    old = owner_client.get(reverse("admin:records_medicalrecord_simple_history",
                                   args=[record.pk, version.history_id]))

    assert listing.status_code == 200 and old.status_code == 200
    assert "Test diagnosis ZXQ-DIAG" in old.content.decode()
    assert list(PhiAccessLog.objects.values_list("action", "resource_id")) == [
        (PhiAction.VIEW, record.pk), (PhiAction.VIEW, record.pk),
    ]


def test_a_medical_record_cannot_be_edited_or_reverted_in_admin(owner_client: Client) -> None:
    record = make.medical_record()
    record.diagnosis = "Revised diagnosis ZXQ-REV"
    record.save()
    version = record.history.earliest()

    edit = owner_client.post(reverse("admin:records_medicalrecord_change", args=[record.pk]),
                             {"diagnosis": "tampered"})
    revert = owner_client.post(reverse("admin:records_medicalrecord_simple_history",
                                       args=[record.pk, version.history_id]), {})
    add = owner_client.get(reverse("admin:records_medicalrecord_add"))

    assert (edit.status_code, revert.status_code, add.status_code) == (403, 403, 403)
    assert MedicalRecord.objects.get(pk=record.pk).diagnosis == "Revised diagnosis ZXQ-REV"


def test_a_malformed_history_id_is_a_404(owner_client: Client) -> None:
    response = owner_client.get("/admin/records/medicalrecord/abc/history/")

    assert response.status_code == 404


def test_opening_a_prescription_logs_a_view(owner_client: Client) -> None:
    prescription = make.prescription()

    response = owner_client.get(
        reverse("admin:prescriptions_prescription_change", args=[prescription.pk])
    )

    html = response.content.decode()
    assert "Paracetamol" in html and "Test warning" in html
    entry = PhiAccessLog.objects.get()
    assert (entry.resource_type, entry.resource_id) == (PhiResource.PRESCRIPTION,
                                                        prescription.pk)


def test_opening_a_family_history_entry_logs_a_view_of_the_patients_profile(
    owner_client: Client,
) -> None:
    entry = make.family_history()

    owner_client.get(reverse("admin:records_familymedicalhistory_change", args=[entry.pk]))

    log = PhiAccessLog.objects.get()
    assert (log.resource_type, log.resource_id) == (PhiResource.PATIENT_PROFILE,
                                                    entry.patient_id)


def test_the_phi_access_log_cannot_be_added_changed_or_deleted(
    owner_client: Client, owner: User
) -> None:
    entry = make.phi_log(owner)
    change = reverse("admin:audit_phiaccesslog_change", args=[entry.pk])

    add = owner_client.get(reverse("admin:audit_phiaccesslog_add"))
    view = owner_client.get(change)
    edit = owner_client.post(change, {"reason": "rewritten"})
    delete = owner_client.post(reverse("admin:audit_phiaccesslog_delete", args=[entry.pk]),
                               {"post": "yes"})
    changelist = owner_client.get(reverse("admin:audit_phiaccesslog_changelist"))

    assert (add.status_code, view.status_code, edit.status_code, delete.status_code) == (
        403, 200, 403, 403)
    assert view.context["has_change_permission"] is False
    assert "delete_selected" not in changelist.content.decode()
    entry.refresh_from_db()
    assert entry.reason == "test"


@pytest.mark.parametrize("name", [
    "appointments_appointment", "payments_payment", "payments_paymentdispute",
    "video_videocall", "notifications_notification", "prescriptions_prescription",
])
def test_service_owned_rows_are_read_only_in_admin(owner_client: Client, name: str) -> None:
    assert owner_client.get(reverse(f"admin:{name}_add")).status_code == 403


def test_a_dispute_shows_its_status_history(owner_client: Client) -> None:
    dispute = make.dispute()

    response = owner_client.get(reverse("admin:payments_paymentdispute_change",
                                        args=[dispute.pk]))

    assert response.status_code == 200
    assert "Dispute status changes" in response.content.decode()
