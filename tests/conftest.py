from __future__ import annotations

import pytest

from apps.accounts.models import User
from tests import factories

pytest_plugins = ["tests.browser_fixtures"]


@pytest.fixture
def patient(db: None) -> User:
    return factories.PatientFactory()


@pytest.fixture
def other_patient(db: None) -> User:
    return factories.PatientFactory()


@pytest.fixture
def doctor(db: None) -> User:
    return factories.DoctorFactory()


@pytest.fixture
def other_doctor(db: None) -> User:
    return factories.DoctorFactory()
