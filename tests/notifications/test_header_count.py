"""The unread count in the header: one cheap query per request, none for visitors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import User
from apps.notifications.context_processors import unread_notifications
from apps.notifications.selectors import UNREAD_COUNT_CAP

pytestmark = pytest.mark.django_db


def _notification_queries(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if '"notifications"' in q["sql"]]


def test_the_header_shows_the_unread_count(
    client: Client, patient: User, other_patient: User, make_notification
) -> None:
    for _ in range(3):
        make_notification(patient)
    make_notification(patient, is_read=True)
    make_notification(other_patient)
    client.force_login(patient)

    html = client.get(reverse("core:dashboard")).content.decode()

    assert 'id="unread-notification-count" class="badge">3<' in html
    assert 'href="/notifications/"' in html


def test_the_header_hides_the_badge_at_zero(client: Client, patient: User) -> None:
    client.force_login(patient)

    html = client.get(reverse("core:dashboard")).content.decode()

    assert '<span id="unread-notification-count"></span>' in html


def test_the_header_caps_the_count(client: Client, patient: User, make_notification) -> None:
    for _ in range(UNREAD_COUNT_CAP + 1):
        make_notification(patient)
    client.force_login(patient)

    html = client.get(reverse("core:dashboard")).content.decode()

    assert 'class="badge">99+<' in html


def test_the_header_count_is_one_query_whatever_the_number_of_notifications(
    client: Client, patient: User, other_patient: User, make_notification
) -> None:
    for _ in range(50):
        make_notification(other_patient)
    make_notification(patient)
    client.force_login(patient)
    other = Client()
    other.force_login(other_patient)

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("core:dashboard"))
    with CaptureQueriesContext(connection) as many:
        other.get(reverse("core:dashboard"))

    assert len(_notification_queries(few.captured_queries)) == 1
    assert len(_notification_queries(many.captured_queries)) == 1
    assert len(few.captured_queries) == len(many.captured_queries)


def test_an_anonymous_page_runs_no_notification_query(client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("core:home"))

    assert response.status_code == 200
    assert _notification_queries(queries.captured_queries) == []
    assert "unread-notification-count" not in response.content.decode()


def test_the_count_is_computed_once_per_request(
    patient: User, make_notification, django_assert_num_queries
) -> None:
    make_notification(patient)
    request = RequestFactory().get("/")
    request.user = patient
    count = unread_notifications(request)["unread_notification_count"]
    assert callable(count)

    with django_assert_num_queries(1):
        assert count() == 1
        assert count() == 1
        assert unread_notifications(request)["unread_notification_count"]() == 1  # type: ignore[operator]


def test_the_count_is_not_queried_when_no_template_shows_it(patient: User) -> None:
    request = RequestFactory().get("/")
    request.user = patient

    with CaptureQueriesContext(connection) as queries:
        unread_notifications(request)

    assert queries.captured_queries == []
