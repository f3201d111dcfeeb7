"""Playwright fixtures: Debian's Chromium, headless, driving pytest-django's live_server.

A browser that cannot start fails the test; it never skips it, so CI cannot go green
without having run the browser tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Error, Page, Playwright, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def playwright_runtime() -> Iterator[Playwright]:
    # The sync API runs an event loop in this thread; Django's ORM calls made by the test
    # itself (factories, assertions) would otherwise be refused as "async unsafe".
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as runtime:
            yield runtime
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def chromium(playwright_runtime: Playwright) -> Iterator[Browser]:
    try:
        browser = playwright_runtime.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Error as exc:
        ci = " (CI=true)" if os.environ.get("CI") == "true" else ""
        pytest.fail(f"Chromium at {CHROMIUM} did not start{ci}: {exc}", pytrace=False)
    yield browser
    browser.close()


@pytest.fixture
def new_context(
    chromium: Browser, live_server: LiveServer
) -> Iterator[Callable[[], BrowserContext]]:
    """Open fresh browser contexts (separate cookie jars) against the live server."""
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = chromium.new_context(
            base_url=live_server.url, locale="en-GB", timezone_id="Asia/Karachi",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[[], BrowserContext]) -> Page:
    return new_context().new_page()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def log_in(page: Page, email: str) -> None:
    """Log in through the login page as a factory user (factories.TEST_PASSWORD)."""
    from tests import factories  # imported late: the factories import the Django models

    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/dashboard/")
