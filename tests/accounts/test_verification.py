from __future__ import annotations

import base64
import json
import re
import time
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.accounts import emails, services, tokens
from apps.accounts.models import User
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _verify_url(user: User) -> str:
    return reverse("accounts:verify_email",
                   kwargs={"token": tokens.email_verification_token(user_id=user.pk)})


def test_link_from_the_email_sets_is_verified(client: Client) -> None:
    user = PatientFactory.create(is_verified=False)
    emails.send_verification_email(user_id=user.pk)
    link = re.search(r"https?://\S+/accounts/verify/\S+/", str(mail.outbox[0].body))
    assert link is not None

    response = client.get(urlsplit(link.group(0)).path)

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.is_verified is True


def test_token_carries_only_the_user_id() -> None:
    token = tokens.email_verification_token(user_id=42)
    payload = token.split(":")[0]

    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))

    assert decoded == {"u": 42}


def test_tampered_token_is_refused_with_a_message(client: Client) -> None:
    user = PatientFactory.create(is_verified=False)
    token = tokens.email_verification_token(user_id=user.pk)
    other = PatientFactory.create(is_verified=False)
    forged = tokens.email_verification_token(user_id=other.pk).split(":")[0] + token[
        token.index(":"):]

    response = client.get(reverse("accounts:verify_email", kwargs={"token": forged}))

    assert response.status_code == 400
    assert "This verification link is not valid" in response.content.decode()
    other.refresh_from_db()
    assert other.is_verified is False


def test_expired_token_is_refused_with_a_message(client: Client) -> None:
    user = PatientFactory.create(is_verified=False)
    issued = time.time() - settings.EMAIL_VERIFICATION_MAX_AGE - 60
    with mock.patch("django.core.signing.time.time", return_value=issued):
        url = _verify_url(user)

    response = client.get(url)

    assert response.status_code == 400
    assert "This verification link has expired" in response.content.decode()
    user.refresh_from_db()
    assert user.is_verified is False


def test_token_of_a_soft_deleted_user_is_refused(client: Client) -> None:
    user = PatientFactory.create(is_verified=False)
    url = _verify_url(user)
    user.soft_delete()
    user.save(update_fields=["deleted_at"])

    assert client.get(url).status_code == 400


def test_unverified_user_sees_the_banner_with_a_resend_button(client: Client) -> None:
    client.force_login(PatientFactory.create(is_verified=False))

    html = client.get(reverse("accounts:profile")).content.decode()

    assert "Please verify your email address" in html
    assert f'action="{reverse("accounts:resend_verification")}"' in html


def test_verified_user_sees_no_banner(client: Client) -> None:
    client.force_login(PatientFactory.create(is_verified=True))

    html = client.get(reverse("accounts:profile")).content.decode()

    assert "Please verify your email address" not in html


def test_resend_sends_a_new_link_then_stops_after_the_limit(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(PatientFactory.create(is_verified=False))
    url = reverse("accounts:resend_verification")

    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(services.RESEND_LIMIT + 2):
            response = client.post(url)

    assert response.status_code == 302
    assert len(mail.outbox) == services.RESEND_LIMIT


def test_resend_needs_a_post_and_a_login(client: Client) -> None:
    url = reverse("accounts:resend_verification")

    assert client.post(url).status_code == 302  # to the login page
    assert len(mail.outbox) == 0
    client.force_login(PatientFactory.create(is_verified=False))
    assert client.get(url).status_code == 405


def test_resend_for_a_verified_user_sends_nothing(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(PatientFactory.create(is_verified=True))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:resend_verification"))

    assert len(mail.outbox) == 0
