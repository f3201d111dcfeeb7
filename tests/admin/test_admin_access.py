"""Django admin is open to ADMIN and PLATFORM_OWNER only; every other role gets its login."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

REFUSED_ROLES = {
    Role.PATIENT: factories.PatientFactory,
    Role.DOCTOR: factories.DoctorFactory,
    Role.STAFF: factories.StaffFactory,
    Role.ORGANIZATION: factories.OrganizationFactory,
}
ADMIN_ROLES = {
    Role.ADMIN: factories.AdminFactory,
    Role.PLATFORM_OWNER: factories.PlatformOwnerFactory,
}
PAGES = ("admin:index", "admin:accounts_user_changelist", "admin:records_medicalrecord_changelist",
         "admin:audit_phiaccesslog_changelist")


@pytest.mark.parametrize("role", list(REFUSED_ROLES))
@pytest.mark.parametrize("page", PAGES)
def test_it_sends_a_signed_in_non_admin_role_to_the_admin_login(
    client: Client, role: Role, page: str
) -> None:
    user = REFUSED_ROLES[role].create()
    bystander = factories.PatientFactory.create()
    client.force_login(user)

    response = client.get(reverse(page))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    login_page = client.get(response["Location"])
    assert login_page.status_code == 200
    assert "not authorized to access this page" in login_page.content.decode()
    assert bystander.email not in login_page.content.decode()
    assert "Select user to change" not in login_page.content.decode()


@pytest.mark.parametrize("role", list(REFUSED_ROLES))
def test_it_refuses_an_admin_login_with_a_non_admin_roles_correct_password(
    client: Client, role: Role
) -> None:
    user = REFUSED_ROLES[role].create()

    response = client.post(
        reverse("admin:login"),
        {"username": user.email, "password": factories.TEST_PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 200
    assert "Please enter the correct email" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.parametrize("role", list(ADMIN_ROLES))
def test_it_lets_admins_and_platform_owners_log_in_to_admin(client: Client, role: Role) -> None:
    user = ADMIN_ROLES[role].create()

    response = client.post(
        reverse("admin:login"),
        {"username": user.email.upper(), "password": factories.TEST_PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == 302
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert reverse("admin:accounts_user_changelist") in index.content.decode()


@pytest.mark.parametrize("role", list(ADMIN_ROLES))
def test_it_shuts_out_a_soft_deleted_admin(client: Client, role: Role) -> None:
    user = ADMIN_ROLES[role].create()
    client.force_login(user)
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at"])

    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_sends_an_anonymous_visitor_to_the_admin_login(client: Client) -> None:
    response = client.get(reverse("admin:accounts_user_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_does_not_offer_django_groups(owner_client: Client) -> None:
    index = owner_client.get(reverse("admin:index")).content.decode()

    assert "/admin/auth/group/" not in index
