"""A video consultation in Chromium with fake camera and microphone, on the real Janus:
doctor and patient join the same room from two browser contexts and see each other."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Playwright, expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.video import services
from apps.video.janus import JanusClient
from apps.video.models import VideoCall
from tests import factories
from tests.browser_fixtures import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, log_in
from tests.video.conftest import room_closes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_MEDIA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture
def media_browser(playwright_runtime: Playwright) -> Iterator[Browser]:
    browser = playwright_runtime.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *FAKE_MEDIA]
    )
    yield browser
    browser.close()


@pytest.fixture
def media_context(
    media_browser: Browser, live_server: LiveServer
) -> Iterator[Callable[[], BrowserContext]]:
    contexts: list[BrowserContext] = []

    def open_context() -> BrowserContext:
        context = media_browser.new_context(
            base_url=live_server.url, locale="en-GB", timezone_id="Asia/Karachi",
            permissions=["camera", "microphone"],
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def _reported_stats(appointment: Appointment) -> dict[str, object]:
    for _ in range(40):
        call = VideoCall.objects.filter(appointment=appointment).first()
        if call is not None and call.quality_metrics:
            return dict(call.quality_metrics)
        time.sleep(0.25)
    return {}


def test_doctor_and_patient_join_one_room_and_see_each_other(
    janus: JanusClient, media_context: Callable[[], BrowserContext], settings: Settings
) -> None:
    settings.VIDEO_STATS_INTERVAL_SECONDS = 1
    doctor: User = factories.DoctorFactory(name="Dr Sana Mirza")
    patient: User = factories.PatientFactory(name="Bilal Ahmed")
    appointment: Appointment = factories.AppointmentFactory(
        patient=patient, doctor=doctor,
        scheduled_at=timezone.now() - timedelta(minutes=2), duration_minutes=30,
    )
    pages = {}
    for user in (doctor, patient):
        page = media_context().new_page()
        log_in(page, user.email)
        page.goto(f"/appointments/{appointment.pk}/")
        page.get_by_role("link", name="Open the video call").click()
        page.get_by_role("button", name="Join the call").click()
        pages[user.role] = page

    doctor_sees = pages["DOCTOR"].locator("#call-participants li[data-role=PATIENT]")
    patient_sees = pages["PATIENT"].locator("#call-participants li[data-role=DOCTOR]")
    expect(doctor_sees).to_contain_text("Bilal Ahmed")
    expect(patient_sees).to_contain_text("Dr Sana Mirza")
    expect(pages["DOCTOR"].locator("#call-participants li")).to_have_count(2)
    expect(pages["DOCTOR"].get_by_role("button", name="Mute")).to_be_visible()
    # Media flows through Janus over loopback ICE: each side plays the other's video.
    expect(pages["DOCTOR"].locator("#call-remote video")).to_have_count(1)
    expect(pages["PATIENT"].locator("#call-remote video")).to_have_count(1)
    assert int(_reported_stats(appointment).get("samples", 0)) >= 1  # type: ignore[call-overload]
    pages["DOCTOR"].get_by_role("button", name="Mute").click()
    expect(pages["DOCTOR"].get_by_role("button", name="Unmute")).to_be_visible()

    pages["PATIENT"].get_by_role("button", name="Leave").click()
    expect(pages["PATIENT"].locator("#call-status")).to_have_text("You have left the call.")
    expect(doctor_sees).to_have_count(0)
    pages["DOCTOR"].get_by_role("button", name="Leave").click()
    expect(pages["DOCTOR"].locator("#call-status")).to_have_text("You have left the call.")

    call = VideoCall.objects.get(appointment=appointment)
    roles = sorted(entry["role"] for entry in call.participants or [])
    assert roles == ["DOCTOR", "PATIENT"]
    assert all(entry["left_at"] for entry in call.participants or [])
    assert call.started_at is not None and call.ended_at is not None
    assert call.duration_seconds is not None
    services.video_rooms_close_due(now=room_closes(appointment))
    assert not janus.room_exists(call.room_number)


def test_join_after_waiting_on_the_page_and_the_end_of_the_call_is_shown(
    janus: JanusClient, media_context: Callable[[], BrowserContext], settings: Settings
) -> None:
    settings.VIDEO_JOIN_TOKEN_SECONDS = 3
    patient: User = factories.PatientFactory(name="Ayesha Khan")
    appointment: Appointment = factories.AppointmentFactory(
        patient=patient, scheduled_at=timezone.now() - timedelta(minutes=2), duration_minutes=30,
    )
    page = media_context().new_page()
    log_in(page, patient.email)
    page.goto(f"/video/{appointment.pk}/")
    time.sleep(4.5)  # the token in the page has expired by now

    page.get_by_role("button", name="Join the call").click()
    expect(page.get_by_role("button", name="Leave")).to_be_visible()
    expect(page.locator("#call-participants li[data-role=PATIENT]")).to_contain_text(
        "Ayesha Khan (you)"
    )
    for _ in range(40):  # the page's `joined` report
        call = VideoCall.objects.get(appointment=appointment)
        if call.participants:
            break
        time.sleep(0.25)
    assert call.participants and call.participants[0]["left_at"] is None

    # The close job destroys the room: the page says so instead of going silent.
    assert services.video_rooms_close_due(now=room_closes(appointment)) == 1
    expect(page.locator("#call-status")).to_have_text("The call has ended.")
    expect(page.get_by_role("button", name="Leave")).to_be_hidden()
    call.refresh_from_db()
    assert call.participants and call.participants[0]["left_at"] is not None
