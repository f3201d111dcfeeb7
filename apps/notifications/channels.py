"""PUSH, EMAIL and SMS behind one interface: `send(channel, message, recipient)`.

Email goes through Django's email backend (EMAIL_BACKEND); SMS and push through the pluggable
providers in apps.notifications.backends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urljoin

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from apps.notifications import backends
from apps.notifications.links import safe_action_url
from apps.notifications.models import Channel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: int
    title: str
    body: str
    link: str | None

    @classmethod
    def build(
        cls, *, notification_id: int, title: str, body: str, action_url: str | None
    ) -> OutgoingMessage:
        # Links leave the site as absolute URLs on SITE_URL; only same-site paths qualify.
        path = safe_action_url(action_url)
        link = urljoin(str(settings.SITE_URL), path) if path else None
        return cls(notification_id=notification_id, title=title, body=body, link=link)


def _send_email(message: OutgoingMessage, recipient: Recipient) -> bool:
    if not recipient.email:
        return False
    context = {"title": message.title, "body": message.body, "link": message.link}
    text_body = render_to_string("notifications/email/notification.txt", context)
    html_body = render_to_string("notifications/email/notification.html", context)
    subject = " ".join(message.title.split())  # a header must stay on one line
    email = EmailMultiAlternatives(
        subject, text_body, settings.DEFAULT_FROM_EMAIL, [recipient.email]
    )
    email.attach_alternative(html_body, "text/html")
    email.send(fail_silently=False)
    return True


def _send_sms(message: OutgoingMessage, recipient: Recipient) -> bool:
    if not recipient.phone:
        return False
    parts = [message.title, message.body, message.link or ""]
    body = "\n".join(part for part in parts if part)
    backends.sms_backend().send_sms(
        notification_id=message.notification_id, to=recipient.phone, body=body
    )
    return True


def _send_push(message: OutgoingMessage, recipient: Recipient) -> bool:
    backends.push_backend().send_push(
        notification_id=message.notification_id,
        user_id=recipient.user_id,
        title=message.title,
        body=message.body,
        url=message.link,
    )
    return True


_SENDERS: dict[str, Callable[[OutgoingMessage, Recipient], bool]] = {
    Channel.EMAIL: _send_email,
    Channel.SMS: _send_sms,
    Channel.PUSH: _send_push,
}


def send(channel: str, message: OutgoingMessage, recipient: Recipient) -> bool:
    """Deliver `message` on `channel`; False when the recipient has no address there.

    Raises whatever the channel raised: the caller decides between retry and failure.
    """
    sent = _SENDERS[channel](message, recipient)
    if not sent:
        logger.info("notification %s: no %s address for user %s, channel skipped",
                    message.notification_id, channel, recipient.user_id)
    return sent
