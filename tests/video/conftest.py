"""Video tests talk to a real Janus at JANUS_URL (scripts/janus.sh start; CI starts it)."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from apps.accounts.models import User
from apps.appointments.models import Appointment
from apps.video.janus import JanusClient
from apps.video.selectors import join_window
from tests import factories


@pytest.fixture
def janus() -> JanusClient:
    """The real Janus; a test needing it fails (never skips) when it does not answer."""
    client = JanusClient()
    if not client.is_available():
        pytest.fail(f"Janus does not answer at {settings.JANUS_URL}: run scripts/janus.sh start",
                    pytrace=False)
    return client


@pytest.fixture
def janus_down(settings: SettingsWrapper) -> str:
    """JANUS_URL pointed at a loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.JANUS_URL = settings.JANUS_PUBLIC_URL = f"http://127.0.0.1:{port}/janus"
    return str(settings.JANUS_URL)


def starts_in(minutes: float) -> datetime:
    return timezone.now() + timedelta(minutes=minutes)


def room_closes(appointment: Appointment) -> datetime:
    """When the close job destroys the call's room: the join window's end plus the grace."""
    return join_window(appointment).room_closes


@pytest.fixture
def staff(db: None) -> User:
    return factories.StaffFactory()


@pytest.fixture
def video_appointment(patient: User, doctor: User, staff: User) -> Appointment:
    """A video consultation that started five minutes ago, with a staff participant."""
    return factories.AppointmentFactory(
        patient=patient, doctor=doctor, staff=staff, facility=staff.facility,
        scheduled_at=starts_in(-5), duration_minutes=30,
    )
