"""Following a notification's link: same-site paths only, never another site."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.notifications.links import safe_action_url
from apps.notifications.models import Notification, NotificationEvent
from apps.notifications.services import notification_create

pytestmark = pytest.mark.django_db

UNSAFE = [
    "https://evil.example/phish",
    "http://evil.example",
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "appointments/1/",
    "/appointments/1/\nLocation: https://evil.example",
    "/\tevil",
    "https:/evil.example",
]


def _open_url(notification: Notification) -> str:
    return reverse("notifications:open", kwargs={"notification_id": notification.pk})


def test_it_follows_a_same_site_link_and_marks_the_notification_read(
    client: Client, patient: User, make_notification
) -> None:
    notification = make_notification(patient, action_url="/appointments/12/?tab=details")
    client.force_login(patient)

    response = client.post(_open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == "/appointments/12/?tab=details"
    notification.refresh_from_db()
    assert notification.is_read is True
    assert notification.read_at is not None


@pytest.mark.parametrize("url", UNSAFE)
def test_it_never_redirects_off_site(
    client: Client, patient: User, make_notification, url: str
) -> None:
    # Written straight to the table, as an old row or an admin edit could be.
    notification = make_notification(patient, action_url=url)
    client.force_login(patient)

    response = client.post(_open_url(notification))

    assert response.status_code == 302
    assert response["Location"] == reverse("notifications:list")


def test_a_notification_without_a_link_opens_the_list(
    client: Client, patient: User, make_notification
) -> None:
    notification = make_notification(patient, action_url=None)
    client.force_login(patient)

    response = client.post(_open_url(notification))

    assert response["Location"] == reverse("notifications:list")


def test_an_outsider_gets_404_from_open(
    client: Client, patient: User, other_patient: User, make_notification
) -> None:
    notification = make_notification(patient)
    client.force_login(other_patient)

    response = client.post(_open_url(notification))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.is_read is False


def test_the_list_offers_no_open_button_for_an_offsite_link(
    client: Client, patient: User, make_notification
) -> None:
    offsite = make_notification(patient, action_url="https://evil.example/")
    onsite = make_notification(patient, action_url="/appointments/3/")
    client.force_login(patient)

    html = client.get(reverse("notifications:list")).content.decode()

    assert _open_url(onsite) in html
    assert _open_url(offsite) not in html
    assert "evil.example" not in html


@pytest.mark.parametrize("url", UNSAFE)
def test_safe_action_url_refuses_anything_but_a_site_path(url: str) -> None:
    assert safe_action_url(url) is None


@pytest.mark.parametrize("url", ["/", "/appointments/1/", "/notifications/?page=2#top"])
def test_safe_action_url_keeps_site_paths(url: str) -> None:
    assert safe_action_url(url) == url


def test_notification_create_drops_an_offsite_link(patient: User) -> None:
    notification = notification_create(
        user=patient, event=NotificationEvent.GENERAL, title="Hi", message="Hello",
        action_url="https://evil.example/",
    )

    notification.refresh_from_db()
    assert notification.action_url is None
