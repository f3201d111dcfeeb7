"""The in-app notification list: the user's own notifications, newest first, paginated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.notifications.models import Notification
from apps.notifications.selectors import PAGE_SIZE

pytestmark = pytest.mark.django_db

URL = reverse("notifications:list")


def _make_many(
    make_notification: Callable[..., Notification], user: User, count: int
) -> list[Notification]:
    start = timezone.now() - timedelta(days=1)
    return [
        make_notification(user, title=f"Notice {n:02d}", created_at=start + timedelta(minutes=n))
        for n in range(count)
    ]


def test_it_lists_only_the_users_own_notifications_newest_first(
    client: Client, patient: User, other_patient: User, make_notification
) -> None:
    _make_many(make_notification, patient, 3)
    make_notification(other_patient, title="Someone else's notice")
    client.force_login(patient)

    response = client.get(URL)

    assert response.status_code == 200
    titles = [n.title for n in response.context["page"].object_list]
    assert titles == ["Notice 02", "Notice 01", "Notice 00"]
    assert b"Someone else&#x27;s notice" not in response.content


def test_it_paginates_with_the_newest_on_the_first_page(
    client: Client, patient: User, make_notification
) -> None:
    _make_many(make_notification, patient, PAGE_SIZE + 5)
    client.force_login(patient)

    first = client.get(URL)
    second = client.get(URL, {"page": 2})

    first_titles = [n.title for n in first.context["page"].object_list]
    second_titles = [n.title for n in second.context["page"].object_list]
    assert len(first_titles) == PAGE_SIZE
    assert first_titles[0] == f"Notice {PAGE_SIZE + 4:02d}"
    assert second_titles == [f"Notice {n:02d}" for n in range(4, -1, -1)]
    assert b'rel="next"' in first.content
    assert b'rel="prev"' in second.content


@pytest.mark.parametrize("page", ["999", "abc", "-1"])
def test_a_bad_page_number_shows_a_page_instead_of_failing(
    client: Client, patient: User, make_notification, page: str
) -> None:
    _make_many(make_notification, patient, 3)
    client.force_login(patient)

    response = client.get(URL, {"page": page})

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3


def test_the_list_runs_the_same_number_of_queries_for_few_or_many_notifications(
    client: Client, patient: User, other_patient: User, make_notification,
    django_assert_max_num_queries,
) -> None:
    _make_many(make_notification, patient, 2)
    _make_many(make_notification, other_patient, PAGE_SIZE * 2)
    client.force_login(patient)
    other = Client()
    other.force_login(other_patient)
    client.get(URL)  # warm the session and content-type caches
    other.get(URL)

    # session, user, count (paginator), page rows, unread count in the header
    with django_assert_max_num_queries(6):
        few = client.get(URL)
    with django_assert_max_num_queries(6):
        many = other.get(URL)

    assert few.status_code == many.status_code == 200


def test_it_shows_an_empty_state(client: Client, patient: User) -> None:
    client.force_login(patient)

    response = client.get(URL)

    assert b"You have no notifications." in response.content


def test_it_sends_an_anonymous_visitor_to_log_in(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
