from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import User
from tests.factories import TEST_PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
GENERIC_ERROR = "The email or password is not correct."


def _login(client: Client, email: str, password: str = TEST_PASSWORD, **extra: str) -> Any:
    return client.post(LOGIN_URL, {"email": email, "password": password, **extra})


def test_login_page_has_email_and_password_fields_and_log_in_button(
    client: Client, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(LOGIN_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_email">Email</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert '<button type="submit">Log in</button>' in html
    # The nav's own "Log in" link is hidden here so the button is the only "Log in" control.
    assert html.count(">Log in<") == 2  # heading + button


def test_login_ignores_the_case_of_the_email(client: Client) -> None:
    user = PatientFactory.create(email="amna.khan@test.healthlink.pk")

    response = _login(client, "  Amna.KHAN@Test.HealthLink.PK ")

    assert response.status_code == 302
    assert response["Location"] == reverse("core:dashboard")
    assert client.session["_auth_user_id"] == str(user.pk)


def test_wrong_password_and_unknown_email_get_the_same_generic_error(client: Client) -> None:
    PatientFactory.create(email="known@test.healthlink.pk")

    wrong_password = _login(client, "known@test.healthlink.pk", "not-the-password")
    unknown_email = _login(client, "nobody@test.healthlink.pk")

    for response in (wrong_password, unknown_email):
        assert response.status_code == 400
        assert response.context["form"].non_field_errors() == [GENERIC_ERROR]
        assert "_auth_user_id" not in client.session


def test_soft_deleted_user_cannot_log_in(client: Client) -> None:
    user = PatientFactory.create()
    user.deleted_at = timezone.now()
    user.save(update_fields=["deleted_at"])

    response = _login(client, user.email)

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [GENERIC_ERROR]
    assert "_auth_user_id" not in client.session


def test_session_of_user_soft_deleted_later_stops_working(client: Client) -> None:
    user = PatientFactory.create()
    client.force_login(user)
    assert client.get(reverse("accounts:profile")).status_code == 200

    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now())
    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_five_failures_lock_the_login_even_for_the_right_password(client: Client) -> None:
    user = PatientFactory.create()
    for _attempt in range(services.LOGIN_FAILURE_LIMIT):
        assert _login(client, user.email, "wrong-password-here").status_code == 400

    response = _login(client, user.email)

    assert response.status_code == 400
    assert "Too many failed attempts" in response.context["form"].non_field_errors()[0]
    assert "_auth_user_id" not in client.session


def test_lock_does_not_affect_another_email_or_another_address(client: Client) -> None:
    locked, other = PatientFactory.create(), PatientFactory.create()
    for _attempt in range(services.LOGIN_FAILURE_LIMIT):
        _login(client, locked.email, "wrong-password-here")

    assert _login(client, other.email).status_code == 302
    client.logout()
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    assert _login(elsewhere, locked.email).status_code == 302


def test_successful_login_resets_the_failure_count(client: Client) -> None:
    user = PatientFactory.create()
    for _attempt in range(services.LOGIN_FAILURE_LIMIT - 1):
        _login(client, user.email, "wrong-password-here")
    assert _login(client, user.email).status_code == 302
    client.logout()

    for _attempt in range(services.LOGIN_FAILURE_LIMIT - 1):
        _login(client, user.email, "wrong-password-here")

    assert _login(client, user.email).status_code == 302


def test_throttle_keys_do_not_contain_the_email() -> None:
    pair_key, ip_key = services._login_keys("someone@test.healthlink.pk", "127.0.0.1")

    assert "someone" not in pair_key
    assert "127.0.0.1" not in ip_key


def test_login_follows_a_local_next_but_not_an_external_one(client: Client) -> None:
    user = PatientFactory.create()
    profile_url = reverse("accounts:profile")

    local = _login(client, user.email, next=profile_url)
    client.logout()
    external = _login(client, user.email, next="https://evil.example/phish")

    assert local["Location"] == profile_url
    assert external["Location"] == reverse("core:dashboard")


def test_logout_needs_a_post(client: Client) -> None:
    client.force_login(PatientFactory.create())

    assert client.get(reverse("accounts:logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
