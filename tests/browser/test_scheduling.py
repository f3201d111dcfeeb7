"""Scheduling in Chromium: the doctor sets hours, the patient books, cancels, rebooks and
reschedules, and the doctor marks a consultation completed."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from apps.accounts.models import User
from apps.appointments.models import (
    Appointment,
    AppointmentStatus,
    ConsultationType,
    DoctorAvailability,
)
from tests import factories
from tests.browser_fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


def slot_hours_ahead(hours: int) -> datetime:
    """The first half-hour mark at least `hours` from now (past the patient's 2-hour cut-off)."""
    soon = timezone.now() + timedelta(hours=hours)
    mark = soon.replace(minute=0, second=0, microsecond=0)
    while mark < soon:
        mark += timedelta(minutes=30)
    return mark


def choose_slot(page: Page, start: datetime) -> None:
    """Tick the radio for `start` on the booking page, paging to the week that lists it."""
    radio = page.locator(f'input[name="slot"][value="{start.astimezone(UTC).isoformat()}"]')
    for _ in range(2):
        if radio.count():
            break
        page.get_by_role("link", name="Next week").click()
    radio.check()


@pytest.fixture
def doctor() -> User:
    return factories.DoctorFactory.create(name="Dr Hina Qureshi", specialty="Dermatologist")


def test_the_doctor_sets_hours_then_a_patient_books_cancels_rebooks_and_reschedules(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, doctor: User
) -> None:
    patient = factories.PatientFactory.create(name="Bilal Ahmed")

    # The doctor opens their working hours from the dashboard and adds every day, all day.
    doctor_page = new_context().new_page()
    log_in(doctor_page, doctor.email)
    doctor_page.get_by_role("link", name="Working hours").click()
    form = doctor_page.locator("form[aria-labelledby='weekly-add-heading']")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        form.get_by_label(day).check()
    form.get_by_label("Where").select_option(label="Video and phone (remote)")
    form.get_by_label("From").fill("00:00")
    form.get_by_label("Until").fill("23:30")
    form.get_by_label("Slot length (minutes)").fill("30")
    doctor_page.screenshot(path=artifacts_dir / "scheduling-0-hours-form.png", full_page=True)
    form.get_by_role("button", name="Add weekly hours").click()
    expect(doctor_page.locator("table.weekly-hours")).to_contain_text("Sunday")
    doctor_page.screenshot(path=artifacts_dir / "scheduling-1-hours.png", full_page=True)
    assert DoctorAvailability.objects.filter(doctor=doctor, facility=None).count() == 7

    # The patient books a video call more than two hours ahead.
    slot = slot_hours_ahead(4)
    page = new_context().new_page()
    log_in(page, patient.email)
    page.goto(f"/appointments/book/{doctor.pk}/?consultation_type=VIDEO_CALL")
    choose_slot(page, slot)
    page.get_by_label("Reason for the visit").fill("Rash on both forearms")
    page.get_by_role("button", name="Book appointment").click()
    page.wait_for_url("**/appointments/*/")
    expect(page.locator(".messages")).to_contain_text("Your appointment is booked.")
    expect(page.locator("main")).to_contain_text(timezone.localtime(slot, KARACHI)
                                                 .strftime("%H:%M"))
    page.screenshot(path=artifacts_dir / "scheduling-2-booked.png", full_page=True)
    first = Appointment.objects.get()

    # ...cancels it...
    page.get_by_label("Reason for cancelling (optional)").fill("Feeling better")
    page.get_by_role("button", name="Cancel appointment").click()
    expect(page.locator(".messages")).to_contain_text("The appointment is cancelled.")
    expect(page.locator("h1 .badge")).to_have_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel appointment")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "scheduling-3-cancelled.png", full_page=True)
    first.refresh_from_db()
    assert (first.status, first.cancelled_by_id) == (AppointmentStatus.CANCELLED, patient.pk)

    # ...and books the very same time again: the cancelled booking no longer holds it.
    page.goto(f"/appointments/book/{doctor.pk}/?consultation_type=VIDEO_CALL")
    choose_slot(page, slot)
    page.get_by_role("button", name="Book appointment").click()
    page.wait_for_url("**/appointments/*/")
    expect(page.locator(".messages")).to_contain_text("Your appointment is booked.")
    second = Appointment.objects.get(status=AppointmentStatus.SCHEDULED)
    assert second.pk != first.pk and second.scheduled_at == slot

    # Then moves it one hour later from the reschedule page.
    later = slot + timedelta(hours=1)
    page.get_by_role("link", name="Reschedule").click()
    day = timezone.localtime(later, KARACHI).date().isoformat()
    page.goto(f"/appointments/{second.pk}/reschedule/?day={day}")
    begins = timezone.localtime(later, KARACHI)
    ends = begins + timedelta(minutes=30)
    label = f"{begins:%H:%M}\N{EN DASH}{ends:%H:%M}"
    page.get_by_label(label, exact=True).check()
    page.screenshot(path=artifacts_dir / "scheduling-4-reschedule.png", full_page=True)
    page.get_by_role("button", name="Move to this time").click()
    expect(page.locator(".messages")).to_contain_text("The appointment is moved to the new time.")
    second.refresh_from_db()
    assert second.scheduled_at == later
    assert Appointment.objects.filter(status=AppointmentStatus.SCHEDULED).count() == 1

    # The doctor's week view shows the moved appointment.
    doctor_page.goto("/dashboard/")
    doctor_page.get_by_role("link", name="Week view").click()
    if not doctor_page.locator(f"a[href='/appointments/{second.pk}/']").count():
        doctor_page.get_by_role("link", name="Next week").click()
    expect(doctor_page.locator(f"a[href='/appointments/{second.pk}/']")).to_have_count(1)
    expect(doctor_page.locator("main")).to_contain_text("Bilal Ahmed")
    doctor_page.screenshot(path=artifacts_dir / "scheduling-5-week.png", full_page=True)


def test_the_doctor_marks_a_past_appointment_completed(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path, doctor: User
) -> None:
    patient = factories.PatientFactory.create(name="Ayesha Malik")
    started = timezone.localtime(timezone.now(), KARACHI) - timedelta(minutes=20)
    appointment = factories.AppointmentFactory.create(
        doctor=doctor, patient=patient, consultation_type=ConsultationType.VIDEO_CALL,
        scheduled_at=started.replace(second=0, microsecond=0),
    )

    page = new_context().new_page()
    log_in(page, doctor.email)
    page.get_by_role("link", name="Day view").click()
    if not page.locator(f"a[href='/appointments/{appointment.pk}/']").count():
        page.get_by_role("link", name="Previous day").click()  # just after midnight
    page.locator(f"a[href='/appointments/{appointment.pk}/']").click()
    expect(page.locator("main")).to_contain_text("Ayesha Malik")
    page.screenshot(path=artifacts_dir / "scheduling-6-outcome.png", full_page=True)

    page.get_by_role("button", name="Mark completed").click()

    expect(page.locator(".messages")).to_contain_text("The appointment is marked completed.")
    expect(page.locator("h1 .badge")).to_have_text("Completed")
    expect(page.get_by_role("button", name="Mark completed")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "scheduling-7-completed.png", full_page=True)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
