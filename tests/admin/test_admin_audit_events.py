"""Admin changes to a role, verification or deletion state are recorded, old and new value."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from apps.accounts import admin_services
from apps.accounts.models import Role, User
from apps.audit.models import AdminAuditAction, AdminAuditEvent
from tests import factories
from tests.admin.test_user_admin import _change_data, change_url, run_action

pytestmark = pytest.mark.django_db

EVENTS = reverse("admin:audit_adminauditevent_changelist")


def events(target: User) -> list[tuple[str, str, object, object, int]]:
    return list(
        AdminAuditEvent.objects.filter(target=target).order_by("id")
        .values_list("action", "field", "old_value", "new_value", "actor_id")
    )


def test_verifying_a_doctor_records_the_old_and_new_value(
    owner_client: Client, owner: User
) -> None:
    doctor = factories.DoctorFactory.create(pmdc_verified=False)
    patient = factories.PatientFactory.create()

    run_action(owner_client, "verify_pmdc", [doctor, patient])

    assert events(doctor) == [(AdminAuditAction.PMDC_VERIFY, "pmdc_verified", False, True,
                               owner.pk)]
    assert events(patient) == []  # skipped, so unchanged, so nothing to record


def test_soft_delete_and_restore_record_the_deletion_time(
    owner_client: Client, owner: User
) -> None:
    patient = factories.PatientFactory.create()

    run_action(owner_client, "soft_delete", [patient])
    run_action(owner_client, "restore", [patient])

    deleted_at = User.all_objects.get(pk=patient.pk).tokens_revoked_at  # set with deleted_at
    assert deleted_at is not None
    (delete, restore) = events(patient)
    assert delete[:3] == (AdminAuditAction.SOFT_DELETE, "deleted_at", None)
    assert delete[3] == deleted_at.isoformat()
    assert restore[:4] == (AdminAuditAction.RESTORE, "deleted_at", delete[3], None)


def test_changing_role_and_verification_in_the_change_form_records_both(
    owner_client: Client, owner: User
) -> None:
    user = factories.PatientFactory.create(is_verified=False)

    response = owner_client.post(change_url(user), _change_data(
        user, role=Role.STAFF, is_verified="on"))

    assert response.status_code == 302
    assert sorted(events(user)) == [
        (AdminAuditAction.USER_CHANGE, "is_verified", False, True, owner.pk),
        (AdminAuditAction.USER_CHANGE, "role", Role.PATIENT, Role.STAFF, owner.pk),
    ]


def test_saving_the_change_form_without_such_changes_records_nothing(
    owner_client: Client,
) -> None:
    user = factories.PatientFactory.create()

    owner_client.post(change_url(user), _change_data(user, name="New Name"))

    assert User.objects.get(pk=user.pk).name == "New Name"
    assert events(user) == []


def test_creating_a_user_records_the_role_granted(owner_client: Client, owner: User) -> None:
    owner_client.post(reverse("admin:accounts_user_add"), {
        "email": "new-admin@test.healthlink.pk", "name": "New Admin", "role": Role.ADMIN,
        "password1": "a-long-secret-phrase", "password2": "a-long-secret-phrase",
    })

    created = User.objects.get(email="new-admin@test.healthlink.pk")
    assert events(created) == [(AdminAuditAction.USER_CREATE, "role", None, Role.ADMIN,
                                owner.pk)]


def test_the_event_is_written_in_the_same_transaction_as_the_change() -> None:
    admin = factories.AdminFactory.create()
    patient = factories.PatientFactory.create()

    with pytest.raises(RuntimeError), transaction.atomic():
        admin_services.user_soft_delete(actor=admin, user_ids=[patient.pk])
        assert len(events(patient)) == 1
        raise RuntimeError

    assert events(patient) == []
    assert User.objects.filter(pk=patient.pk).exists()


def test_events_are_listed_read_only_in_admin(owner_client: Client) -> None:
    patient = factories.PatientFactory.create()
    run_action(owner_client, "soft_delete", [patient])
    event = AdminAuditEvent.objects.get(target=patient)

    listing = owner_client.get(EVENTS)
    detail = owner_client.get(reverse("admin:audit_adminauditevent_change", args=[event.pk]))
    edit = owner_client.post(reverse("admin:audit_adminauditevent_change", args=[event.pk]),
                             {"field": "role"})

    assert listing.status_code == 200
    assert event in listing.context["cl"].result_list
    assert detail.status_code == 200
    assert not detail.context["has_change_permission"]
    assert edit.status_code == 403
    assert owner_client.get(reverse("admin:audit_adminauditevent_add")).status_code == 403
    assert owner_client.post(reverse("admin:audit_adminauditevent_delete", args=[event.pk])
                             ).status_code == 403
    assert AdminAuditEvent.objects.get(pk=event.pk).field == "deleted_at"
