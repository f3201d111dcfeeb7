"""Delivery over PUSH, EMAIL and SMS: PENDING → SENT, retries with backoff, then FAILED."""

from __future__ import annotations

import logging
from unittest import mock

import pytest
from django.core import mail
from django.test import override_settings
from kombu.exceptions import OperationalError

from apps.accounts.models import User
from apps.notifications import delivery
from apps.notifications.models import Channel, DeliveryStatus, Notification, NotificationEvent
from apps.notifications.services import notification_create
from apps.notifications.tasks import deliver_notification
from tests import factories
from tests.notifications.backends import Recorder
from tests.notifications.conftest import RECORDING_PUSH, RECORDING_SMS

pytestmark = pytest.mark.django_db

ALL_CHANNELS = [Channel.PUSH, Channel.EMAIL, Channel.SMS]
RECORDING = {"NOTIFICATION_SMS_BACKEND": RECORDING_SMS,
             "NOTIFICATION_PUSH_BACKEND": RECORDING_PUSH}


@pytest.fixture
def reachable_patient(db: None) -> User:
    return factories.PatientFactory(phone="+923001234567")


def _reload(notification: Notification) -> Notification:
    notification.refresh_from_db()
    return notification


def test_email_goes_through_django_email_with_the_text_and_an_absolute_link(
    patient: User, make_notification, settings
) -> None:
    settings.SITE_URL = "https://healthlink.test"
    notification = make_notification(
        patient, title="Appointment in one hour", message="Video call with Dr Test at 10:00.",
        action_url="/appointments/7/", delivery_channels=[Channel.EMAIL],
    )

    deliver_notification.delay(notification.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [patient.email]
    assert message.subject == "Appointment in one hour"
    assert "Video call with Dr Test at 10:00." in message.body
    assert "https://healthlink.test/appointments/7/" in message.body
    html = message.alternatives[0][0]  # type: ignore[attr-defined]
    assert 'href="https://healthlink.test/appointments/7/"' in html
    assert _reload(notification).delivery_status == DeliveryStatus.SENT


def test_a_delivered_notification_is_sent_with_its_time_and_attempt_count(
    patient: User, make_notification
) -> None:
    notification = make_notification(patient)

    result = deliver_notification.delay(notification.pk)

    assert result.get() == DeliveryStatus.SENT
    notification = _reload(notification)
    assert notification.delivery_status == DeliveryStatus.SENT
    assert notification.delivery_attempts == 1
    assert notification.sent_at is not None
    assert notification.last_delivery_error is None


@override_settings(**RECORDING)
def test_every_channel_reaches_its_backend(reachable_patient: User, make_notification) -> None:
    notification = make_notification(reachable_patient, delivery_channels=ALL_CHANNELS)

    deliver_notification.delay(notification.pk)

    assert len(mail.outbox) == 1
    assert sorted(sent.to for sent in Recorder.sent) == sorted(
        ["+923001234567", f"user:{reachable_patient.pk}"]
    )
    push = next(sent for sent in Recorder.sent if sent.to.startswith("user:"))
    assert push.title == notification.title
    assert push.url is not None and push.url.endswith("/appointments/1/")


@override_settings(**RECORDING)
def test_a_sent_notification_is_never_sent_again(
    reachable_patient: User, make_notification
) -> None:
    notification = make_notification(reachable_patient, delivery_channels=ALL_CHANNELS)
    deliver_notification.delay(notification.pk)
    sent_at = _reload(notification).sent_at

    deliver_notification.delay(notification.pk)
    deliver_notification.delay(notification.pk)

    assert len(mail.outbox) == 1
    assert len(Recorder.sent) == 2
    notification = _reload(notification)
    assert notification.delivery_attempts == 1
    assert notification.sent_at == sent_at


@override_settings(**RECORDING, NOTIFICATION_MAX_DELIVERY_ATTEMPTS=4)
def test_it_retries_then_fails_with_the_error_class_only(
    reachable_patient: User, make_notification, recorder: type[Recorder], caplog
) -> None:
    recorder.failures_left = 100
    notification = make_notification(reachable_patient, delivery_channels=[Channel.SMS])

    with caplog.at_level(logging.DEBUG):
        deliver_notification.delay(notification.pk)  # eager: every retry runs in turn

    notification = _reload(notification)
    assert notification.delivery_status == DeliveryStatus.FAILED
    assert notification.delivery_attempts == 4
    assert notification.last_delivery_error == "ProviderDown"
    assert notification.sent_at is None
    assert recorder.calls == 4
    assert "+923001234567" not in caplog.text


@override_settings(**RECORDING, NOTIFICATION_MAX_DELIVERY_ATTEMPTS=4)
def test_a_failed_notification_is_never_retried(
    reachable_patient: User, make_notification, recorder: type[Recorder]
) -> None:
    recorder.failures_left = 100
    notification = make_notification(reachable_patient, delivery_channels=[Channel.SMS])
    deliver_notification.delay(notification.pk)
    recorder.failures_left = 0

    deliver_notification.delay(notification.pk)

    assert recorder.calls == 4
    assert _reload(notification).delivery_status == DeliveryStatus.FAILED


@override_settings(**RECORDING)
def test_it_retries_a_transient_failure_until_it_is_sent(
    reachable_patient: User, make_notification, recorder: type[Recorder]
) -> None:
    recorder.failures_left = 2
    notification = make_notification(reachable_patient, delivery_channels=[Channel.SMS])

    deliver_notification.delay(notification.pk)

    notification = _reload(notification)
    assert notification.delivery_status == DeliveryStatus.SENT
    assert notification.delivery_attempts == 3
    assert notification.last_delivery_error == "ProviderDown"
    assert len(recorder.sent) == 1


@override_settings(NOTIFICATION_RETRY_BACKOFF_SECONDS=30,
                   NOTIFICATION_RETRY_BACKOFF_MAX_SECONDS=200)
def test_backoff_doubles_after_each_failure_up_to_the_cap() -> None:
    assert [delivery.backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 200, 200]


@override_settings(**RECORDING, NOTIFICATION_RETRY_BACKOFF_SECONDS=30,
                   NOTIFICATION_MAX_DELIVERY_ATTEMPTS=5)
def test_each_failed_attempt_asks_for_a_longer_wait(
    reachable_patient: User, make_notification, recorder: type[Recorder]
) -> None:
    recorder.failures_left = 100
    notification = make_notification(reachable_patient, delivery_channels=[Channel.SMS])

    waits = [
        delivery.notification_deliver(notification_id=notification.pk).retry_in
        for _ in range(5)
    ]

    assert waits == [30, 60, 120, 240, None]
    assert _reload(notification).delivery_status == DeliveryStatus.FAILED


@override_settings(**RECORDING)
def test_a_retry_after_a_partial_failure_skips_the_channels_already_delivered(
    reachable_patient: User, make_notification, recorder: type[Recorder]
) -> None:
    # EMAIL goes out, then SMS fails once: the retry sends the SMS but not the email again.
    notification = make_notification(reachable_patient,
                                     delivery_channels=[Channel.EMAIL, Channel.SMS])
    recorder.failures_left = 1

    deliver_notification.delay(notification.pk)

    assert len(mail.outbox) == 1
    assert len(recorder.sent) == 1
    assert _reload(notification).delivery_status == DeliveryStatus.SENT


@override_settings(NOTIFICATION_SMS_BACKEND="tests.notifications.backends.RejectingSmsBackend")
def test_a_permanent_error_fails_at_once(
    reachable_patient: User, make_notification, recorder: type[Recorder]
) -> None:
    notification = make_notification(reachable_patient, delivery_channels=[Channel.SMS])

    deliver_notification.delay(notification.pk)

    notification = _reload(notification)
    assert notification.delivery_status == DeliveryStatus.FAILED
    assert notification.delivery_attempts == 1
    assert notification.last_delivery_error == "PermanentDeliveryError"
    assert recorder.calls == 1


@override_settings(**RECORDING)
def test_sms_is_skipped_for_a_user_without_a_phone(
    patient: User, make_notification, recorder: type[Recorder]
) -> None:
    notification = make_notification(patient, delivery_channels=[Channel.SMS, Channel.EMAIL])

    deliver_notification.delay(notification.pk)

    assert recorder.calls == 0
    assert len(mail.outbox) == 1
    assert _reload(notification).delivery_status == DeliveryStatus.SENT


def test_a_closed_account_is_not_contacted(patient: User, make_notification) -> None:
    notification = make_notification(patient, delivery_channels=[Channel.EMAIL])
    patient.soft_delete()
    patient.save(update_fields=["deleted_at"])

    deliver_notification.delay(notification.pk)

    assert mail.outbox == []
    notification = _reload(notification)
    assert notification.delivery_status == DeliveryStatus.FAILED
    assert notification.last_delivery_error == "PermanentDeliveryError"


def test_a_missing_notification_is_skipped_quietly() -> None:
    assert deliver_notification.delay(987654321).get() == "SKIPPED"


def test_a_notification_without_channels_is_sent_in_app_only(
    patient: User, make_notification
) -> None:
    notification = make_notification(patient, delivery_channels=[])

    deliver_notification.delay(notification.pk)

    assert mail.outbox == []
    assert _reload(notification).delivery_status == DeliveryStatus.SENT


def test_the_default_backends_log_ids_but_never_text_phone_or_email(
    reachable_patient: User, make_notification, caplog
) -> None:
    notification = make_notification(
        reachable_patient, title="Secret title", message="Secret clinical text",
        delivery_channels=[Channel.SMS, Channel.PUSH],
    )

    with caplog.at_level(logging.DEBUG):
        deliver_notification.delay(notification.pk)

    assert _reload(notification).delivery_status == DeliveryStatus.SENT
    logged = caplog.text
    assert f"sms logged notification={notification.pk}" in logged
    assert f"push logged notification={notification.pk} user={reachable_patient.pk}" in logged
    for secret in ("Secret title", "Secret clinical text", "+923001234567",
                   reachable_patient.email):
        assert secret not in logged


def test_delivery_is_queued_only_after_the_transaction_commits(
    patient: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notification_create(
            user=patient, event=NotificationEvent.GENERAL, title="Hi", message="Hello",
            channels=[Channel.EMAIL],
        )

    assert len(callbacks) == 1
    assert mail.outbox == []
    assert _reload(notification).delivery_status == DeliveryStatus.PENDING

    callbacks[0]()

    assert len(mail.outbox) == 1
    assert _reload(notification).delivery_status == DeliveryStatus.SENT


def test_a_broker_outage_at_commit_leaves_the_notification_pending_without_an_error(
    patient: User, django_capture_on_commit_callbacks, caplog
) -> None:
    with (
        mock.patch.object(deliver_notification, "delay",
                          side_effect=OperationalError("redis://:pw@host down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notification = notification_create(
            user=patient, event=NotificationEvent.GENERAL, title="Hi", message="Hello",
        )

    assert _reload(notification).delivery_status == DeliveryStatus.PENDING
    assert "not queued error=OperationalError" in caplog.text
    assert "pw@host" not in caplog.text


def test_a_mistyped_backend_path_fails_the_system_check(settings) -> None:
    from apps.notifications.checks import check_backends

    settings.NOTIFICATION_SMS_BACKEND = "apps.notifications.backends.NoSuchBackend"
    settings.NOTIFICATION_PUSH_BACKEND = "apps.notifications.links.safe_action_url"

    ids = [error.id for error in check_backends()]

    assert ids == ["notifications.E001", "notifications.E002"]
