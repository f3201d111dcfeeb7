"""Forced logout: tokens_revoked_at ends web sessions and API tokens issued before it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.accounts.sessions import SESSION_LOGIN_AT
from tests import factories

pytestmark = pytest.mark.django_db

PROFILE_URL = reverse("accounts:profile")
LOGIN_URL = reverse("accounts:login")
EVERYWHERE_URL = reverse("accounts:logout_everywhere")
CHANGELIST = reverse("admin:accounts_user_changelist")
NEW_PASSWORD = "a-brand-new-clinic-passphrase"  # noqa: S105 - test fixture


def _web_login(user: User) -> Client:
    client = Client()
    response = client.post(LOGIN_URL, {"email": user.email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _tokens(user: User) -> dict[str, str]:
    response = APIClient().post(
        "/api/token/", {"email": user.email, "password": factories.TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    tokens: dict[str, str] = response.json()
    return tokens


def _api_status(access: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return int(client.get("/api/appointments/").status_code)


def _refresh_status(refresh: str) -> int:
    response = APIClient().post("/api/token/refresh/", {"refresh": refresh}, format="json")
    return int(response.status_code)


def _signed_in(client: Client) -> bool:
    return int(client.get(PROFILE_URL).status_code) == 200


@pytest.fixture
def user() -> User:
    return factories.PatientFactory.create()


# --- the user's own "Log out everywhere" ----------------------------------------------------


def test_profile_offers_log_out_everywhere_as_a_post_form_with_csrf(user: User) -> None:
    client = Client()
    client.force_login(user)

    html = client.get(PROFILE_URL).content.decode()

    form = html[html.index(f'action="{EVERYWHERE_URL}"') - 40:]
    assert 'method="post"' in form[:80]
    assert "csrfmiddlewaretoken" in form[: form.index("</form>")]
    assert "Log out everywhere" in form[: form.index("</form>")]


def test_log_out_everywhere_ends_every_session_this_one_included(user: User) -> None:
    phone, laptop = _web_login(user), _web_login(user)
    assert _signed_in(phone) and _signed_in(laptop)

    response = laptop.post(EVERYWHERE_URL)

    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert not _signed_in(laptop)
    assert not _signed_in(phone)
    user.refresh_from_db()
    assert user.tokens_revoked_at is not None


def test_log_out_everywhere_refuses_api_tokens_and_their_refresh(user: User) -> None:
    tokens = _tokens(user)
    assert _api_status(tokens["access"]) == 200
    client = _web_login(user)

    client.post(EVERYWHERE_URL)

    assert _api_status(tokens["access"]) == 401
    assert _refresh_status(tokens["refresh"]) == 401


def test_a_token_obtained_within_the_same_second_after_a_revocation_works(user: User) -> None:
    # `iat` has whole seconds; the sign-in time claim has microseconds.
    User.objects.filter(pk=user.pk).update(
        tokens_revoked_at=timezone.now() - timedelta(microseconds=1)
    )

    tokens = _tokens(user)

    assert _api_status(tokens["access"]) == 200
    assert _refresh_status(tokens["refresh"]) == 200


def test_a_token_obtained_before_a_revocation_in_the_same_second_is_refused(
    user: User,
) -> None:
    tokens = _tokens(user)
    User.objects.filter(pk=user.pk).update(tokens_revoked_at=timezone.now())

    assert _api_status(tokens["access"]) == 401
    assert _refresh_status(tokens["refresh"]) == 401


def test_a_login_after_log_out_everywhere_works(user: User) -> None:
    _web_login(user).post(EVERYWHERE_URL)

    again = _web_login(user)

    assert _signed_in(again)
    assert _signed_in(again)  # and it stays signed in on the next request


def test_log_out_everywhere_needs_post_and_csrf(user: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get(EVERYWHERE_URL).status_code == 405
    assert client.post(EVERYWHERE_URL).status_code == 403
    user.refresh_from_db()
    assert user.tokens_revoked_at is None
    assert _signed_in(client)


def test_log_out_everywhere_needs_a_login() -> None:
    response = Client().post(EVERYWHERE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


# --- admin action --------------------------------------------------------------------------


def test_admin_action_logs_the_user_out_of_every_session_and_token(user: User) -> None:
    browser = _web_login(user)
    tokens = _tokens(user)
    bystander = factories.PatientFactory.create()
    bystander_browser = _web_login(bystander)
    admin = Client()
    admin.force_login(factories.PlatformOwnerFactory.create())

    response = admin.post(
        CHANGELIST, {"action": "force_logout", "_selected_action": [user.pk]}, follow=True
    )

    assert "Logged 1 user out of every session and app." in response.content.decode()
    assert not _signed_in(browser)
    assert _api_status(tokens["access"]) == 401
    assert _refresh_status(tokens["refresh"]) == 401
    assert _signed_in(bystander_browser)
    assert _signed_in(admin)


def test_admin_may_not_log_out_a_platform_owner() -> None:
    owner = factories.PlatformOwnerFactory.create()
    admin = Client()
    admin.force_login(factories.AdminFactory.create())

    admin.post(CHANGELIST, {"action": "force_logout", "_selected_action": [owner.pk]})

    owner.refresh_from_db()
    assert owner.tokens_revoked_at is None


# --- sessions and the revocation stamp ----------------------------------------------------


def test_a_session_without_a_login_stamp_ends_once_tokens_are_revoked(user: User) -> None:
    client = Client()
    client.force_login(user)
    session = client.session
    del session[SESSION_LOGIN_AT]
    session.save()
    assert _signed_in(client)  # nothing revoked yet: the old session lives on

    User.objects.filter(pk=user.pk).update(tokens_revoked_at=timezone.now())

    assert not _signed_in(client)


def test_a_revocation_older_than_the_login_leaves_the_session_alone(user: User) -> None:
    User.objects.filter(pk=user.pk).update(
        tokens_revoked_at=timezone.now() - timedelta(minutes=5)
    )
    client = Client()
    client.force_login(user)

    assert _signed_in(client)


def test_the_check_costs_no_query_of_its_own(
    user: User, django_assert_max_num_queries: Any
) -> None:
    User.objects.filter(pk=user.pk).update(
        tokens_revoked_at=timezone.now() - timedelta(minutes=5)
    )
    client = Client()
    client.force_login(user)
    client.get(PROFILE_URL)

    # session, user, the PHI log write for the profile read (chain head, insert, head hash),
    # the unread notification count: nothing added for revocation.
    with django_assert_max_num_queries(6):
        assert client.get(PROFILE_URL).status_code == 200


# --- passwords ------------------------------------------------------------------------------


def test_password_change_keeps_this_session_and_ends_the_others(user: User) -> None:
    this, other = _web_login(user), _web_login(user)
    tokens = _tokens(user)

    response = this.post(reverse("accounts:password_change"), {
        "old_password": factories.TEST_PASSWORD, "new_password1": NEW_PASSWORD,
        "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert _signed_in(this)
    assert _signed_in(this)
    assert not _signed_in(other)
    assert _api_status(tokens["access"]) == 401


def test_admin_setting_a_password_revokes_the_users_tokens(user: User) -> None:
    tokens = _tokens(user)
    admin = Client()
    admin.force_login(factories.PlatformOwnerFactory.create())

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.tokens_revoked_at is not None
    assert user.check_password(NEW_PASSWORD)
    assert _api_status(tokens["access"]) == 401
    assert _signed_in(admin)


def test_admin_setting_their_own_password_keeps_their_session() -> None:
    owner = factories.PlatformOwnerFactory.create()
    admin = _web_login(owner)

    response = admin.post(
        reverse("admin:auth_user_password_change", args=[owner.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert _signed_in(admin)
