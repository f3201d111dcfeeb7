"""Account emails. Called after the transaction commits; a failed delivery never undoes it."""

from __future__ import annotations

import logging
import smtplib
import zoneinfo
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.debug import sensitive_variables

from apps.accounts import tokens
from apps.accounts.models import User

logger = logging.getLogger(__name__)


def verification_url(*, user_id: int) -> str:
    # SITE_URL, not the request's Host header, so a forged Host cannot redirect the link.
    path = reverse(
        "accounts:verify_email",
        kwargs={"token": tokens.email_verification_token(user_id=user_id)},
    )
    return urljoin(str(settings.SITE_URL), path)


def send_verification_email(*, user_id: int) -> bool:
    """Email the user a fresh verification link; True when the message was handed over."""
    user = User.objects.filter(pk=user_id).only("pk", "email", "name", "role").first()
    if user is None:
        return False
    context = {
        "name": user.name,
        "verify_url": verification_url(user_id=user.pk),
        "max_age_days": max(1, settings.EMAIL_VERIFICATION_MAX_AGE // 86400),
        "is_doctor": user.is_doctor,
    }
    # Rendered in the language active for the request that registered or asked to resend.
    subject = render_to_string("emails/verify_email_subject.txt", context).strip()
    text_body = render_to_string("emails/verify_email.txt", context)
    html_body = render_to_string("emails/verify_email.html", context)
    message = EmailMultiAlternatives(subject, text_body, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html_body, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        # The exception text can hold the recipient address: log its class only.
        logger.warning("verification email delivery failed user=%s error=%s", user.pk,
                       type(exc).__name__)
        return False
    logger.info("verification email sent user=%s", user.pk)
    return True


# --- Passwords ----------------------------------------------------------------------------
# The reset link carries "<uidb64>.<token>" as one path segment: no account URL takes a bare
# user id, and neither urlsafe base64 nor Django's tokens contain a dot.
RESET_LINK_SEPARATOR = "."


def reset_link_token(*, user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uidb64}{RESET_LINK_SEPARATOR}{default_token_generator.make_token(user)}"


def reset_link_parts(value: str) -> tuple[str, str]:
    """Split a link segment into (uidb64, token); a malformed one gives an empty token."""
    uidb64, _separator, token = value.partition(RESET_LINK_SEPARATOR)
    return uidb64, token


def _site_url(path: str) -> str:
    # SITE_URL, not the request's Host header, so a forged Host cannot redirect the link.
    return urljoin(str(settings.SITE_URL), path)


def _send(*, user: User, template: str, context: dict[str, Any], purpose: str) -> bool:
    # Rendered in the language active for the request that caused the email.
    subject = render_to_string(f"emails/{template}_subject.txt", context).strip()
    text_body = render_to_string(f"emails/{template}.txt", context)
    html_body = render_to_string(f"emails/{template}.html", context)
    message = EmailMultiAlternatives(subject, text_body, settings.DEFAULT_FROM_EMAIL, [user.email])
    message.attach_alternative(html_body, "text/html")
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as error:
        # The class name only: SMTP errors quote the recipient's address.
        logger.error("%s email delivery failed user=%s error=%s", purpose, user.pk,
                     type(error).__name__)
        return False
    logger.info("%s email sent user=%s", purpose, user.pk)
    return True


def _validity(seconds: int) -> dict[str, int | None]:
    if seconds >= 86400 and seconds % 86400 == 0:
        return {"valid_days": seconds // 86400, "valid_hours": None}
    return {"valid_days": None, "valid_hours": max(1, seconds // 3600)}


@sensitive_variables("reset_url", "context")
def send_password_reset_email(*, user_id: int) -> bool:
    """Email a one-time link to set a new password; True when the message was handed over.

    The link holds the token, so neither it nor the message body is ever logged.
    """
    user = (
        User.objects.filter(pk=user_id)
        .only("pk", "email", "name", "password", "last_login")
        .first()
    )
    if user is None or not user.has_usable_password():
        return False
    reset_url = _site_url(
        reverse("accounts:password_reset_confirm", kwargs={"token": reset_link_token(user=user)})
    )
    context = {
        "name": user.name,
        "reset_url": reset_url,
        "request_url": _site_url(reverse("accounts:password_reset")),
        **_validity(int(settings.PASSWORD_RESET_TIMEOUT)),
    }
    return _send(user=user, template="password_reset", context=context, purpose="password reset")


def send_password_changed_email(*, user_id: int) -> bool:
    """Tell the user their password changed, so a change they did not make gets noticed."""
    user = (
        User.objects.filter(pk=user_id)
        .only("pk", "email", "name", "time_zone", "updated_at")
        .first()
    )
    if user is None:
        return False
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    context = {
        "name": user.name,
        "changed_at": user.updated_at or timezone.now(),
        "time_zone": zone.key,
        "reset_url": _site_url(reverse("accounts:password_reset")),
    }
    # Dates in the message read in the user's own time zone, as on the site.
    with timezone.override(zone):
        return _send(user=user, template="password_changed", context=context,
                     purpose="password changed")
