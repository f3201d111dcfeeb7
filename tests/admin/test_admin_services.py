"""The account services behind the admin actions, called directly."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from apps.accounts import admin_services
from apps.accounts.models import Role, User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [factories.PatientFactory, factories.DoctorFactory,
                                     factories.StaffFactory, factories.OrganizationFactory])
@pytest.mark.parametrize("service", [admin_services.user_verify_pmdc,
                                     admin_services.user_soft_delete,
                                     admin_services.user_restore])
def test_only_admins_may_call_them(factory, service) -> None:
    actor = factory.create()
    doctor = factories.DoctorFactory.create(pmdc_verified=False)

    with pytest.raises(PermissionDenied):
        service(actor=actor, user_ids=[doctor.pk])

    doctor.refresh_from_db()
    assert doctor.pmdc_verified is False and doctor.deleted_at is None


def test_verify_counts_what_it_changed_and_why_it_skipped_the_rest() -> None:
    admin = factories.AdminFactory.create()
    pending = factories.DoctorFactory.create(pmdc_verified=False)
    verified = factories.DoctorFactory.create(pmdc_verified=True)
    patient = factories.PatientFactory.create()

    outcome = admin_services.user_verify_pmdc(
        actor=admin, user_ids=[pending.pk, verified.pk, patient.pk, 999_999]
    )

    assert outcome.changed_ids == (pending.pk,)
    assert outcome.skipped == {"already_verified": 1, "missing": 1, "not_doctor": 1}


def test_soft_delete_revokes_tokens_and_restore_keeps_them_revoked() -> None:
    owner = factories.PlatformOwnerFactory.create()
    patient = factories.PatientFactory.create()

    deleted = admin_services.user_soft_delete(actor=owner, user_ids=[patient.pk, owner.pk])
    restored = admin_services.user_restore(actor=owner, user_ids=[patient.pk])

    patient.refresh_from_db()
    assert deleted.changed_ids == (patient.pk,) and deleted.skipped == {"self": 1}
    assert restored.changed_ids == (patient.pk,)
    assert patient.deleted_at is None
    assert patient.tokens_revoked_at is not None


def test_an_admin_cannot_restore_or_delete_a_platform_owner_but_an_owner_can() -> None:
    admin = factories.AdminFactory.create()
    owner = factories.PlatformOwnerFactory.create()
    other_owner = factories.PlatformOwnerFactory.create(deleted_at=timezone.now())

    by_admin = admin_services.user_restore(actor=admin, user_ids=[other_owner.pk])
    by_owner = admin_services.user_restore(actor=owner, user_ids=[other_owner.pk])

    assert by_admin.skipped == {"platform_owner": 1} and by_admin.changed == 0
    assert by_owner.changed_ids == (other_owner.pk,)
    assert User.objects.filter(pk=other_owner.pk, role=Role.PLATFORM_OWNER).exists()
