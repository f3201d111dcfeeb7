from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts import emails, services
from apps.accounts.models import User
from tests.factories import TEST_PASSWORD, DoctorFactory, PatientFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = reverse("accounts:password_change")
PROFILE_URL = reverse("accounts:profile")
LOGIN_URL = reverse("accounts:login")
NEW_PASSWORD = "a-brand-new-clinic-passphrase"  # noqa: S105 - test fixture


def _change(client: Client, capture: Any, old: str = TEST_PASSWORD, new: str = NEW_PASSWORD,
            repeat: str | None = None) -> Any:
    with capture(execute=True):
        return client.post(CHANGE_URL, {"old_password": old, "new_password1": new,
                                        "new_password2": new if repeat is None else repeat})


@pytest.fixture
def user(client: Client) -> User:
    user = PatientFactory.create()
    client.force_login(user)
    return user


def test_profile_links_to_the_password_change_page(client: Client) -> None:
    client.force_login(DoctorFactory.create())

    html = client.get(PROFILE_URL).content.decode()

    assert f'<a href="{CHANGE_URL}">Change password</a>' in html


def test_page_needs_a_login(client: Client) -> None:
    response = client.get(CHANGE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_page_asks_for_the_current_and_the_new_password_twice(
    client: Client, user: User, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        response = client.get(CHANGE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_old_password">Current password</label>' in html
    assert '<label for="id_new_password1">New password</label>' in html
    assert '<label for="id_new_password2">Repeat new password</label>' in html
    assert 'autocomplete="current-password"' in html


def test_wrong_current_password_is_a_form_error_and_changes_nothing(
    client: Client, user: User, django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    with django_assert_max_num_queries(4):
        response = _change(client, django_capture_on_commit_callbacks, old="not-my-password")

    assert response.status_code == 400
    assert response.context["form"].errors["old_password"] == [
        "Your current password is not correct."]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert mail.outbox == []


def test_success_keeps_you_logged_in_and_the_old_password_stops_working(
    client: Client, user: User, django_capture_on_commit_callbacks: Any,
    django_assert_max_num_queries: Any,
) -> None:
    # Session load and key cycle, the locked user row, the update, the notice email's read.
    with django_assert_max_num_queries(16):
        response = _change(client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    profile = client.get(PROFILE_URL)
    assert profile.status_code == 200
    assert "Your password has been changed." in profile.content.decode()
    assert authenticate(username=user.email, password=TEST_PASSWORD) is None
    assert authenticate(username=user.email, password=NEW_PASSWORD) == user


def test_other_sessions_end_and_api_tokens_are_revoked(
    client: Client, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    elsewhere = Client()
    elsewhere.force_login(user)
    before = timezone.now()

    _change(client, django_capture_on_commit_callbacks)

    assert elsewhere.get(PROFILE_URL)["Location"].startswith(LOGIN_URL)
    user.refresh_from_db()
    assert user.tokens_revoked_at is not None and user.tokens_revoked_at >= before


def test_change_sends_a_notice_without_the_password(
    client: Client, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    User.objects.filter(pk=user.pk).update(time_zone="Asia/Dubai")

    _change(client, django_capture_on_commit_callbacks)

    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [user.email]
    assert notice.subject == "Your HealthLink password was changed"
    assert "(Asia/Dubai)" in str(notice.body)
    assert reverse("accounts:password_reset") in str(notice.body)
    assert NEW_PASSWORD not in str(notice.body)
    assert isinstance(notice, EmailMultiAlternatives)
    assert NEW_PASSWORD not in str(notice.alternatives[0][0])


@pytest.mark.parametrize(("new", "repeat", "message"), [
    (NEW_PASSWORD, NEW_PASSWORD + "x", "The two passwords do not match."),
    ("short", "short", "This password is too short. It must contain at least 10 characters."),
    ("1234567890123", "1234567890123", "This password is entirely numeric."),
])
def test_new_password_must_match_and_pass_the_validators(
    client: Client, user: User, django_capture_on_commit_callbacks: Any, new: str,
    repeat: str, message: str,
) -> None:
    response = _change(client, django_capture_on_commit_callbacks, new=new, repeat=repeat)

    assert response.status_code == 400
    assert message in response.context["form"].errors["new_password2"]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


def test_new_password_must_differ_from_the_current_one(
    client: Client, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    response = _change(client, django_capture_on_commit_callbacks, new=TEST_PASSWORD)

    assert response.status_code == 400
    assert response.context["form"].errors["new_password1"] == [
        "Choose a password different from your current one."]


def test_wrong_current_passwords_lock_like_failed_logins(
    client: Client, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    for _attempt in range(services.LOGIN_FAILURE_LIMIT):
        _change(client, django_capture_on_commit_callbacks, old="a-wrong-guess-here")

    response = _change(client, django_capture_on_commit_callbacks)

    assert response.status_code == 400
    assert response.context["form"].errors["old_password"] == [
        "Too many failed attempts. Please wait 15 minutes and try again."]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert Client().post(LOGIN_URL, {"email": user.email, "password": TEST_PASSWORD}
                         ).status_code == 400


def test_change_voids_reset_links_sent_before(
    client: Client, user: User, django_capture_on_commit_callbacks: Any
) -> None:
    link = reverse("accounts:password_reset_confirm",
                   kwargs={"token": emails.reset_link_token(user=user)})

    _change(client, django_capture_on_commit_callbacks)

    response = Client().get(link, follow=True)
    assert response.status_code == 400
    assert "This password reset link is not valid" in response.content.decode()
