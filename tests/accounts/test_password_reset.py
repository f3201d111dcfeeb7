from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts import emails, services
from apps.accounts.models import User
from tests.factories import TEST_PASSWORD, PatientFactory

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
REQUEST_URL = reverse("accounts:password_reset")
DONE_URL = reverse("accounts:password_reset_done")
NEW_PASSWORD = "a-brand-new-clinic-passphrase"  # noqa: S105 - test fixture
INVALID_LINK = "This password reset link is not valid"
_LINK = re.compile(r"https?://\S+/accounts/password/reset/\S+/")


def _request(client: Client, email: str, capture: Any, **extra: Any) -> Any:
    with capture(execute=True):
        return client.post(REQUEST_URL, {"email": email}, **extra)


def _link_path(message: Any) -> str:
    link = _LINK.search(str(message.body))
    assert link is not None
    return urlsplit(link.group(0)).path


def _html(message: EmailMessage) -> str:
    assert isinstance(message, EmailMultiAlternatives)
    return str(message.alternatives[0][0])


def _link_for(user: User) -> str:
    return reverse("accounts:password_reset_confirm",
                   kwargs={"token": emails.reset_link_token(user=user)})


def _set_password(client: Client, path: str, capture: Any, password: str = NEW_PASSWORD,
                  repeat: str | None = None) -> Any:
    """Open the link like a browser: follow its redirect, then post the new password."""
    opened = client.get(path)
    assert opened.status_code == 302
    with capture(execute=True):
        return client.post(opened["Location"], {"new_password1": password,
                                                "new_password2": repeat or password})


def _assert_invalid_link(client: Client, path: str) -> None:
    response = client.get(path, follow=True)

    assert response.status_code == 400
    assert INVALID_LINK in response.content.decode()
    assert reverse("accounts:password_reset") in response.content.decode()
    assert "new_password1" not in response.content.decode()


def test_login_page_links_to_the_reset_form(client: Client) -> None:
    html = client.get(LOGIN_URL).content.decode()

    assert f'<a href="{REQUEST_URL}">Forgot your password?</a>' in html


def test_reset_form_asks_for_the_email(client: Client, django_assert_max_num_queries) -> None:
    with django_assert_max_num_queries(2):
        response = client.get(REQUEST_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_email">Email</label>' in html
    assert '<button type="submit">Send reset link</button>' in html


def test_reset_happy_path_from_request_to_login_with_the_new_password(
    client: Client, django_capture_on_commit_callbacks: Any, django_assert_max_num_queries: Any,
) -> None:
    user = PatientFactory.create(is_verified=False)

    with django_assert_max_num_queries(4):
        requested = _request(client, user.email.upper(), django_capture_on_commit_callbacks)
    assert requested.status_code == 302
    assert requested["Location"] == DONE_URL
    with django_assert_max_num_queries(2):
        done = client.get(DONE_URL)
    assert "If an account uses the address you entered" in done.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    assert mail.outbox[0].subject == "Set a new HealthLink password"
    link = _link_path(mail.outbox[0])
    assert link in _html(mail.outbox[0])

    opened = client.get(link)
    assert opened.status_code == 302
    with django_assert_max_num_queries(4):
        form_page = client.get(opened["Location"])
    assert form_page.status_code == 200
    assert '<label for="id_new_password1">New password</label>' in form_page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(opened["Location"], {"new_password1": NEW_PASSWORD,
                                                 "new_password2": NEW_PASSWORD})

    assert saved.status_code == 302
    assert saved["Location"] == LOGIN_URL
    assert "Your new password is set" in client.get(LOGIN_URL).content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(TEST_PASSWORD)
    assert user.is_verified is True  # the link proved the mailbox
    assert mail.outbox[1].subject == "Your HealthLink password was changed"
    logged_in = client.post(LOGIN_URL, {"email": user.email, "password": NEW_PASSWORD})
    assert logged_in.status_code == 302


def test_link_address_moves_the_token_out_of_the_url(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    path = _link_for(user)
    token = path.rstrip("/").rsplit(".", 1)[1]

    response = client.get(path)

    assert response.status_code == 302
    assert token not in response["Location"]
    assert response["Location"].endswith(".set-password/")
    assert "no-cache" in response["Cache-Control"]


def test_unknown_email_gets_the_same_page_and_no_mail(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    known = PatientFactory.create()

    unknown = _request(client, "nobody@test.healthlink.pk", django_capture_on_commit_callbacks)
    assert mail.outbox == []
    found = _request(client, known.email, django_capture_on_commit_callbacks)

    assert (unknown.status_code, unknown["Location"]) == (found.status_code, found["Location"])
    assert len(mail.outbox) == 1


def test_soft_deleted_user_gets_no_mail(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create(deleted_at=timezone.now())

    response = _request(client, user.email, django_capture_on_commit_callbacks)

    assert response["Location"] == DONE_URL
    assert mail.outbox == []


def test_user_without_a_usable_password_gets_no_mail(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    user.set_unusable_password()
    user.save(update_fields=["password"])

    response = _request(client, user.email, django_capture_on_commit_callbacks)

    assert response["Location"] == DONE_URL
    assert mail.outbox == []


def test_invalid_email_is_a_form_error(client: Client) -> None:
    response = client.post(REQUEST_URL, {"email": "not-an-email"})

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert mail.outbox == []


def test_used_link_cannot_be_used_again(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    path = _link_for(user)
    assert _set_password(client, path, django_capture_on_commit_callbacks).status_code == 302

    _assert_invalid_link(client, path)
    _assert_invalid_link(Client(), path)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_second_post_from_the_same_session_is_refused(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    opened = client.get(_link_for(user))
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(opened["Location"], data).status_code == 302

    again = client.post(opened["Location"], {"new_password1": "yet-another-passphrase-1",
                                             "new_password2": "yet-another-passphrase-1"})

    assert again.status_code == 400
    assert INVALID_LINK in again.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_link_stops_working_once_the_user_logs_in(client: Client) -> None:
    user = PatientFactory.create()
    path = _link_for(user)

    assert Client().post(LOGIN_URL, {"email": user.email, "password": TEST_PASSWORD})[
        "Location"] == reverse("core:dashboard")

    _assert_invalid_link(client, path)


def test_link_stops_working_once_the_password_changes(client: Client) -> None:
    user = PatientFactory.create()
    path = _link_for(user)

    services.user_change_password(user=user, password="changed-elsewhere-passphrase")

    _assert_invalid_link(client, path)


def test_link_of_a_user_soft_deleted_later_stops_working(client: Client) -> None:
    user = PatientFactory.create()
    path = _link_for(user)
    User.objects.filter(pk=user.pk).update(deleted_at=timezone.now())

    _assert_invalid_link(client, path)


def test_expired_link_shows_the_message(client: Client) -> None:
    user = PatientFactory.create()
    # Naive local time, as the token generator itself counts.
    issued = datetime.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)  # noqa: DTZ005
    with mock.patch.object(default_token_generator, "_now", return_value=issued):
        path = _link_for(user)

    _assert_invalid_link(client, path)


@pytest.mark.parametrize("segment", [
    "garbage",
    "MQ.not-a-token",
    "!!!.1a2b-0123456789abcdef",
    "a.b.c",
    "OTk5OTk5OTk5.set-password",
    "MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDAw.1a2b-0123456789abcdef",  # id beyond bigint
    "x" * 500,
])
def test_malformed_link_shows_the_message_not_an_error(client: Client, segment: str) -> None:
    PatientFactory.create()

    _assert_invalid_link(client, reverse("accounts:password_reset_confirm",
                                         kwargs={"token": segment}))


def test_token_of_one_user_does_not_open_another_users_reset(client: Client) -> None:
    victim, attacker = PatientFactory.create(), PatientFactory.create()
    victim_uid = emails.reset_link_token(user=victim).split(".")[0]
    attacker_token = emails.reset_link_token(user=attacker).split(".")[1]

    _assert_invalid_link(client, reverse("accounts:password_reset_confirm",
                                         kwargs={"token": f"{victim_uid}.{attacker_token}"}))


def test_set_password_page_without_opening_a_link_is_refused(client: Client) -> None:
    user = PatientFactory.create()
    uid = emails.reset_link_token(user=user).split(".")[0]

    response = client.post(
        reverse("accounts:password_reset_confirm", kwargs={"token": f"{uid}.set-password"}),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)


@pytest.mark.parametrize(("first", "second", "field"), [
    (NEW_PASSWORD, NEW_PASSWORD + "x", "new_password2"),
    ("short", "short", "new_password2"),
    ("1234567890123", "1234567890123", "new_password2"),
])
def test_new_password_must_match_and_pass_the_validators(
    client: Client, django_capture_on_commit_callbacks: Any, first: str, second: str,
    field: str,
) -> None:
    user = PatientFactory.create()

    response = _set_password(client, _link_for(user), django_capture_on_commit_callbacks,
                             password=first, repeat=second)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    user.refresh_from_db()
    assert user.check_password(TEST_PASSWORD)
    assert mail.outbox == []


def test_reset_ends_other_sessions_and_revokes_api_tokens(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    elsewhere = Client()
    elsewhere.force_login(user)
    before = timezone.now()

    _set_password(client, _link_for(user), django_capture_on_commit_callbacks)

    user.refresh_from_db()
    assert user.tokens_revoked_at is not None and user.tokens_revoked_at >= before
    assert elsewhere.get(reverse("accounts:profile"))["Location"].startswith(LOGIN_URL)


def test_too_many_requests_are_refused_for_known_and_unknown_addresses_alike(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    for email in (user.email, "nobody@test.healthlink.pk"):
        for _attempt in range(services.PASSWORD_RESET_LIMIT):
            assert _request(client, email, django_capture_on_commit_callbacks)[
                "Location"] == DONE_URL

        refused = _request(client, email, django_capture_on_commit_callbacks)

        assert refused.status_code == 429
        assert "We have sent several reset emails already" in refused.content.decode()
    assert len(mail.outbox) == services.PASSWORD_RESET_LIMIT


def test_one_address_cannot_exhaust_the_requests_of_many(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    for number in range(services.PASSWORD_RESET_IP_LIMIT):
        _request(client, f"probe{number}@test.healthlink.pk", django_capture_on_commit_callbacks)
    user = PatientFactory.create()

    refused = _request(client, user.email, django_capture_on_commit_callbacks)
    elsewhere = _request(Client(REMOTE_ADDR="10.7.7.7"), user.email,
                         django_capture_on_commit_callbacks)

    assert refused.status_code == 429
    assert elsewhere["Location"] == DONE_URL
    assert len(mail.outbox) == 1


def test_reset_link_uses_site_url_not_the_request_host(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()

    _request(client, user.email, django_capture_on_commit_callbacks, HTTP_HOST="localhost")

    link = _LINK.search(str(mail.outbox[0].body))
    assert link is not None
    assert link.group(0).startswith(settings.SITE_URL.rstrip("/") + "/accounts/")


def test_reset_email_follows_the_language_of_the_request(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    user = PatientFactory.create()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"

    _request(client, user.email, django_capture_on_commit_callbacks)

    assert mail.outbox[0].subject == "نیا HealthLink پاس ورڈ بنائیں"
    assert 'dir="rtl"' in _html(mail.outbox[0])


def test_reset_token_never_lands_in_logs(
    client: Client, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = PatientFactory.create()
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.request")

    _request(client, user.email, django_capture_on_commit_callbacks)
    path = _link_path(mail.outbox[0])
    _set_password(client, path, django_capture_on_commit_callbacks, password="short",
                  repeat="short")
    _set_password(client, path, django_capture_on_commit_callbacks)
    client.get(path, follow=True)  # used link: refused with a 400

    token = path.rstrip("/").rsplit("/", 1)[1]
    assert "Bad Request" in caplog.text  # the request logger did write the 400s
    assert f"password reset requested user={user.pk}" in caplog.messages
    assert f"password reset completed user={user.pk}" in caplog.messages
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token.split(".")[1] not in record.getMessage()
    assert user.email not in caplog.text
