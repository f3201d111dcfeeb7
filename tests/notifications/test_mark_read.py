"""Marking one or all notifications read: POST only, own notifications only, htmx or not."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _mark_read_url(notification: Notification) -> str:
    return reverse("notifications:mark_read", kwargs={"notification_id": notification.pk})


def test_it_marks_one_notification_read_and_goes_back_to_the_list(
    client: Client, patient: User, make_notification
) -> None:
    notification = make_notification(patient)
    client.force_login(patient)

    response = client.post(_mark_read_url(notification), {"next": "/notifications/?page=2"})

    assert response.status_code == 302
    assert response["Location"] == "/notifications/?page=2"
    notification.refresh_from_db()
    assert notification.is_read is True
    assert notification.read_at is not None


def test_marking_an_already_read_notification_keeps_its_first_read_time(
    client: Client, patient: User, make_notification
) -> None:
    notification = make_notification(patient)
    client.force_login(patient)
    client.post(_mark_read_url(notification))
    notification.refresh_from_db()
    first_read_at = notification.read_at

    client.post(_mark_read_url(notification))

    notification.refresh_from_db()
    assert notification.read_at == first_read_at


def test_an_outsider_gets_404_and_the_notification_stays_unread(
    client: Client, patient: User, other_patient: User, make_notification
) -> None:
    notification = make_notification(patient)
    client.force_login(other_patient)

    response = client.post(_mark_read_url(notification))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.is_read is False
    assert notification.read_at is None


def test_a_missing_notification_is_a_404(client: Client, patient: User) -> None:
    client.force_login(patient)

    response = client.post(reverse("notifications:mark_read", kwargs={"notification_id": 999999}))

    assert response.status_code == 404


def test_get_does_not_mark_read(client: Client, patient: User, make_notification) -> None:
    notification = make_notification(patient)
    client.force_login(patient)

    response = client.get(_mark_read_url(notification))

    assert response.status_code == 405
    notification.refresh_from_db()
    assert notification.is_read is False


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_an_offsite_next_is_ignored(
    client: Client, patient: User, make_notification, next_url: str
) -> None:
    notification = make_notification(patient)
    client.force_login(patient)

    response = client.post(_mark_read_url(notification), {"next": next_url})

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")


def test_htmx_gets_the_updated_item_and_the_new_header_count(
    client: Client, patient: User, make_notification
) -> None:
    notification = make_notification(patient, title="First")
    make_notification(patient, title="Second")
    client.force_login(patient)

    response = client.post(_mark_read_url(notification), headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{notification.pk}"' in html
    assert "notification-unread" not in html
    assert "Mark as read" not in html
    assert 'id="unread-notification-count" class="badge" hx-swap-oob="true">1<' in html


def test_mark_all_read_marks_only_the_users_own(
    client: Client, patient: User, other_patient: User, make_notification
) -> None:
    mine = [make_notification(patient) for _ in range(3)]
    theirs = make_notification(other_patient)
    client.force_login(patient)

    response = client.post(reverse("notifications:mark_all_read"))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], is_read=False).count() == 0
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at=None).count() == 0
    theirs.refresh_from_db()
    assert theirs.is_read is False


def test_mark_all_read_over_htmx_returns_the_list_with_a_zero_count(
    client: Client, patient: User, make_notification
) -> None:
    make_notification(patient, title="Unread one")
    client.force_login(patient)

    response = client.post(reverse("notifications:mark_all_read"), {"page": "1"},
                           headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Unread one" in html
    assert "notification-unread" not in html
    assert '<span id="unread-notification-count" hx-swap-oob="true"></span>' in html


def test_marking_read_needs_a_login(client: Client, patient: User, make_notification) -> None:
    notification = make_notification(patient)

    response = client.post(_mark_read_url(notification))

    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.is_read is False
