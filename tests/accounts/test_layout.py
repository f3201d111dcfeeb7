from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    AdminFactory,
    DoctorFactory,
    OrganizationFactory,
    PatientFactory,
    PlatformOwnerFactory,
    StaffFactory,
)

pytestmark = pytest.mark.django_db


def _urdu(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    return client


def test_urdu_page_renders_right_to_left(client: Client) -> None:
    html = _urdu(client).get(reverse("accounts:login")).content.decode()

    assert '<html lang="ur" dir="rtl">' in html
    assert "لاگ ان" in html  # "Log in"


def test_english_page_renders_left_to_right(client: Client) -> None:
    html = client.get(reverse("accounts:login")).content.decode()

    assert '<html lang="en" dir="ltr">' in html


def test_set_language_switches_to_urdu(client: Client) -> None:
    response = client.post(reverse("set_language"),
                           {"language": "ur", "next": reverse("accounts:login")})

    assert response.status_code == 302
    assert 'dir="rtl"' in client.get(response["Location"]).content.decode()


def test_layout_has_landmarks_skip_link_and_deferred_htmx(client: Client) -> None:
    html = client.get(reverse("accounts:login")).content.decode()

    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html
    assert '<nav class="main-nav" aria-label="Main">' in html
    assert "<footer" in html
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html
    assert "https://" not in html.split("<body")[0]  # nothing fetched from a CDN


@pytest.mark.parametrize(
    ("factory", "shown", "hidden"),
    [
        (PatientFactory, ["Find a doctor", "My appointments"],
         ["Administration", "Today's schedule"]),
        (DoctorFactory, ["Today's schedule"], ["Find a doctor", "Administration"]),
        (StaffFactory, ["Facility appointments"], ["Administration", "My appointments"]),
        (OrganizationFactory, [">Facilities<"], ["Administration", "My appointments"]),
        (AdminFactory, ["Administration"], ["My appointments"]),
        (PlatformOwnerFactory, ["Administration"], ["My appointments"]),
    ],
)
def test_navigation_follows_the_role(
    client: Client, factory: Any, shown: list[str], hidden: list[str],
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(factory.create())

    with django_assert_max_num_queries(6):
        html = client.get(reverse("accounts:profile")).content.decode()

    nav = html.split('<nav class="main-nav"')[1].split("</nav>")[0]
    for label in [*shown, "Profile", "Log out"]:
        assert label in nav
    for label in hidden:
        assert label not in nav


def test_anonymous_navigation_offers_log_in_and_register(client: Client) -> None:
    html = client.get(reverse("accounts:register")).content.decode()
    nav = html.split('<nav class="main-nav"')[1].split("</nav>")[0]

    assert "Log in" in nav
    assert "Register" in nav
    assert "Log out" not in nav


def test_404_page_is_generic(client: Client) -> None:
    response = client.get("/accounts/no-such-page-35202-1234567-1/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "35202" not in html


def test_500_page_renders_without_a_request_or_database() -> None:
    with translation.override("ur"):
        html = render_to_string("500.html")

    assert 'dir="rtl"' in html
    assert "<main" in html


def test_400_page_renders_without_a_request() -> None:
    assert "<main" in render_to_string("400.html")


def test_a_doctor_awaiting_pmdc_verification_gets_no_links_to_pages_they_cannot_open(
    client: Client,
) -> None:
    doctor = DoctorFactory(pmdc_verified=False)
    client.force_login(doctor)
    html = client.get(reverse("core:dashboard"), follow=True).content.decode()

    for name in ("records:patients", "prescriptions:list", "records:break_glass"):
        url = reverse(name)
        assert f'href="{url}"' not in html, name
        assert client.get(url).status_code == 404  # the pages stay closed to them


def test_a_verified_doctor_gets_the_links(client: Client) -> None:
    client.force_login(DoctorFactory(pmdc_verified=True))
    html = client.get(reverse("core:dashboard"), follow=True).content.decode()

    for name in ("records:patients", "prescriptions:list", "records:break_glass"):
        assert f'href="{reverse(name)}"' in html, name
