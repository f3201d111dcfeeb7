"""Account emails. Called after the transaction commits; a failed delivery never undoes it."""

from __future__ import annotations

import logging
import smtplib
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

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
    except (smtplib.SMTPException, OSError):
        logger.exception("verification email delivery failed user=%s", user.pk)
        return False
    logger.info("verification email sent user=%s", user.pk)
    return True
