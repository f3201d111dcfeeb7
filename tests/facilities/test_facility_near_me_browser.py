"""'Use my location' in Chromium, and the same search typed by hand with JavaScript off."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from pytest_django.live_server_helper import LiveServer

from tests import factories
from tests.browser_fixtures import TIMEOUT_MS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PATH = "/doctors/facilities/"


@pytest.fixture
def clinics() -> None:
    for name, lat, lon in (("Karachi Clifton Centre", "24.8607", "67.0011"),
                           ("Gulberg Clinic", "31.5100", "74.3450"),
                           ("Blue Area Clinic", "33.6844", "73.0479")):
        factories.FacilityFactory.create(name=name, latitude=Decimal(lat),
                                         longitude=Decimal(lon))


@pytest.fixture
def browser_context(chromium: Browser, live_server: LiveServer,
                    request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    options: dict[str, Any] = request.param
    context = chromium.new_context(base_url=live_server.url, locale="en-GB",
                                   timezone_id="Asia/Karachi", **options)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.mark.parametrize(
    "browser_context",
    [{"geolocation": {"latitude": 31.5204, "longitude": 74.3587},
      "permissions": ["geolocation"]}],
    indirect=True,
)
def test_use_my_location_fills_the_point_and_lists_the_nearest_first(
    browser_context: BrowserContext, clinics: None
) -> None:
    page = browser_context.new_page()
    page.goto(PATH)

    page.get_by_role("button", name="Use my location").click()

    page.wait_for_url("**latitude=31.520400**")
    rows = page.locator("table.facility-results tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("Gulberg Clinic")
    expect(rows.nth(0)).to_contain_text("1.7 km")
    expect(rows.nth(2)).to_contain_text("Karachi Clifton Centre")


@pytest.mark.parametrize("browser_context", [{"java_script_enabled": False}], indirect=True)
def test_without_javascript_typed_coordinates_work_and_the_button_stays_hidden(
    browser_context: BrowserContext, clinics: None
) -> None:
    page = browser_context.new_page()
    page.goto(PATH)
    expect(page.get_by_role("button", name="Use my location")).to_be_hidden()

    page.get_by_label("Latitude").fill("33.70")
    page.get_by_label("Longitude").fill("73.05")
    page.get_by_role("button", name="Search facilities").click()

    rows = page.locator("table.facility-results tbody tr")
    expect(rows.nth(0)).to_contain_text("Blue Area Clinic")
    expect(rows.nth(1)).to_contain_text("Gulberg Clinic")


@pytest.mark.parametrize("browser_context", [{"permissions": []}], indirect=True)
def test_a_refused_location_says_what_to_do_instead(
    browser_context: BrowserContext, clinics: None
) -> None:
    page = browser_context.new_page()
    page.goto(PATH)

    page.get_by_role("button", name="Use my location").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Your location is not available. Choose a city or type coordinates instead.")
    expect(page.get_by_role("button", name="Use my location")).to_be_enabled()
    assert "latitude" not in page.url
