"""First booking, end to end in Chromium: the patient books, the doctor sees it."""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, expect

from apps.accounts.models import User
from apps.appointments.models import Appointment, AppointmentStatus, ConsultationType
from apps.appointments.services import booking_notices_send
from apps.facilities.models import Facility
from tests import factories
from tests.browser_fixtures import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KARACHI = zoneinfo.ZoneInfo("Asia/Karachi")


def next_free_slot() -> datetime:
    """Later today in Karachi, at least two hours out; tomorrow morning if that is too late."""
    soon = timezone.localtime(timezone.now(), KARACHI) + timedelta(hours=2)
    slot = soon.replace(minute=0, second=0, microsecond=0) + timedelta(minutes=30)
    if slot.date() != timezone.localdate(timezone=KARACHI):
        tomorrow = timezone.localdate(timezone=KARACHI) + timedelta(days=1)
        slot = datetime.combine(tomorrow, datetime.min.time(), tzinfo=KARACHI).replace(hour=10)
    return slot


@pytest.fixture
def clinic() -> Facility:
    return factories.FacilityFactory.create(name="Gulberg Heart Centre", city="Lahore",
                                            address="12 Main Boulevard, Gulberg III")


@pytest.fixture
def cardiologist(clinic: Facility) -> User:
    doctor = factories.DoctorFactory.create(name="Dr Sana Iqbal", specialty="Cardiologist",
                                            years_of_experience=11, facilities=[clinic])
    factories.available_all_week(doctor)
    return doctor


def test_a_patient_books_a_verified_doctor_and_the_doctor_sees_it(
    new_context: Callable[[], BrowserContext], artifacts_dir: Path,
    clinic: Facility, cardiologist: User,
) -> None:
    patient = factories.PatientFactory.create(name="Ali Raza")
    factories.DoctorFactory.create(name="Dr Not Yet Verified", specialty="Cardiologist",
                                   pmdc_verified=False, facilities=[clinic])
    factories.DoctorFactory.create(name="Dr Karachi Heart", specialty="Cardiologist",
                                   facilities=[factories.FacilityFactory.create(city="Karachi")])
    slot = next_free_slot()

    # The patient logs in through the real login page and searches the directory.
    page = new_context().new_page()
    page.goto("/")
    expect(page.get_by_role("button", name="Search doctors")).to_be_visible()
    page.screenshot(path=artifacts_dir / "first-booking-0-home.png", full_page=True)
    log_in(page, patient.email)
    page.get_by_role("link", name="Find a doctor").first.click()
    page.get_by_label("Specialty").fill("Cardiologist")
    page.get_by_label("City").fill("Lahore")
    page.get_by_role("button", name="Search doctors").click()

    results = page.locator(".doctor-results")
    expect(results).to_contain_text("Dr Sana Iqbal")
    expect(results).not_to_contain_text("Dr Not Yet Verified")
    expect(results).not_to_contain_text("Dr Karachi Heart")
    page.screenshot(path=artifacts_dir / "first-booking-1-search.png", full_page=True)

    # The doctor's profile: the patient picks an in-person visit and sees the free times.
    page.get_by_role("link", name="Dr Sana Iqbal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dr Sana Iqbal")
    expect(page.locator("main")).to_contain_text("Gulberg Heart Centre")
    page.get_by_label("In person").check()
    page.get_by_label("Facility").select_option(label="Gulberg Heart Centre")
    page.screenshot(path=artifacts_dir / "first-booking-2-doctor.png", full_page=True)
    page.get_by_role("button", name="Show free times").click()

    # The week of free times, grouped by day on the patient's clock; one is chosen.
    expect(page.locator("main")).to_contain_text(
        "Free times for an in-person visit at Gulberg Heart Centre")
    day = page.get_by_role("group", name=f"{slot:%A} {slot.day} {slot:%B %Y}")
    day.get_by_label(slot.strftime("%H:%M"), exact=True).check()
    page.get_by_label("Reason for the visit").fill("Chest tightness when climbing stairs")
    page.screenshot(path=artifacts_dir / "first-booking-2b-free-times.png", full_page=True)
    page.get_by_role("button", name="Book appointment").click()

    # The confirmation.
    page.wait_for_url("**/appointments/*/")
    expect(page.locator(".messages")).to_contain_text("Your appointment is booked.")
    main = page.locator("main")
    expect(main).to_contain_text("Dr Sana Iqbal")
    expect(main).to_contain_text("Scheduled")
    expect(main).to_contain_text(slot.strftime("%H:%M"))
    expect(main).to_contain_text("Chest tightness when climbing stairs")
    page.screenshot(path=artifacts_dir / "first-booking-3-confirmation.png", full_page=True)

    page.get_by_role("link", name="My appointments").click()
    expect(page.locator("main table")).to_contain_text("Dr Sana Iqbal")
    page.screenshot(path=artifacts_dir / "first-booking-3b-patient-dashboard.png",
                    full_page=True)

    appointment = Appointment.objects.get()
    assert appointment.patient_id == patient.pk
    assert appointment.doctor_id == cardiologist.pk
    assert appointment.scheduled_at == slot
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.consultation_type == ConsultationType.IN_PERSON
    assert appointment.facility_id == clinic.pk

    # The doctor, in a browser context of their own, finds it on the dashboard.
    doctor_page = new_context().new_page()
    log_in(doctor_page, cardiologist.email)
    is_today = slot.date() == timezone.localdate(timezone=KARACHI)
    section = doctor_page.locator(
        "section[aria-labelledby='today-heading']" if is_today
        else "section[aria-labelledby='next-heading']"
    )
    expect(section).to_contain_text("Ali Raza")
    expect(section).to_contain_text(slot.strftime("%H:%M"))
    expect(section).to_contain_text("In person")
    doctor_page.screenshot(path=artifacts_dir / "first-booking-4-doctor-dashboard.png",
                           full_page=True)
    section.get_by_role("link", name=re.compile(r"^View appointment")).first.click()
    expect(doctor_page.locator("main")).to_contain_text("Chest tightness when climbing stairs")

    # Seconds later beat's outbox job writes the booking's notifications; the doctor's header
    # counts one unread, and it opens the appointment.
    assert booking_notices_send() == 1
    doctor_page.reload()
    expect(doctor_page.locator("#unread-notification-count")).to_contain_text("1")
    doctor_page.get_by_role("link", name=re.compile(r"^Notifications")).first.click()
    expect(doctor_page.locator("main")).to_contain_text("New appointment")
    doctor_page.screenshot(path=artifacts_dir / "first-booking-5-doctor-notified.png",
                           full_page=True)
    doctor_page.get_by_role("button", name=re.compile(r"^Open")).first.click()
    doctor_page.wait_for_url(f"**/appointments/{appointment.pk}/")
    expect(doctor_page.locator("#unread-notification-count")).not_to_contain_text("1")
