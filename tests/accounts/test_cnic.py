"""A CNIC is unique although encrypted: the blind index beside it carries the constraint."""

from __future__ import annotations

import base64
import hashlib
import hmac
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from pytest_django.fixtures import Settings

from apps.accounts.models import User
from apps.core import crypto
from tests import factories

DASHED = "35202-1234567-1"
DIGITS = "3520212345671"


def raw_user(pk: int) -> tuple[str | None, str | None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cnic, cnic_blind_index FROM users WHERE id = %s", [pk])
        row = cursor.fetchone()
    return row[0], row[1]


def test_both_forms_of_one_cnic_cannot_both_be_saved(db: None) -> None:
    factories.PatientFactory.create(cnic=DASHED)

    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        factories.PatientFactory.create(cnic=DIGITS)

    assert "cnic_blind_index" in str(caught.value)


def test_lookup_by_either_form_finds_the_same_user(db: None) -> None:
    user = factories.PatientFactory.create(cnic=DIGITS)
    factories.PatientFactory.create(cnic="42101-7654321-9")

    assert list(User.objects.with_cnic(DASHED)) == [user]
    assert list(User.objects.with_cnic(DIGITS)) == [user]
    assert list(User.objects.with_cnic(" 35202 1234567 1 ")) == [user]


def test_cnic_is_stored_encrypted_and_read_back_formatted(db: None) -> None:
    user = factories.PatientFactory.create(cnic=DIGITS)
    stored, blind = raw_user(user.pk)

    assert stored is not None
    assert blind is not None
    assert DIGITS not in stored
    assert "1234567" not in stored
    assert crypto.stored_key_id(stored) == crypto.key_ring().current_id
    assert User.objects.get(pk=user.pk).cnic == DASHED


def test_blind_index_is_a_keyed_hmac_of_the_digits(db: None) -> None:
    user = factories.PatientFactory.create(cnic=DASHED)
    _, blind = raw_user(user.pk)
    key = base64.b64decode(django_settings.PHI_BLIND_INDEX_KEY)

    assert blind == hmac.new(key, f"users.cnic:{DIGITS}".encode(), hashlib.sha256).hexdigest()
    assert blind != hashlib.sha256(DIGITS.encode()).hexdigest()


def test_changing_the_cnic_with_update_fields_moves_the_blind_index(db: None) -> None:
    user = factories.PatientFactory.create(cnic=DASHED)
    user.cnic = "61101-1111111-1"
    user.save(update_fields=["cnic"])

    assert list(User.objects.with_cnic("6110111111111")) == [user]
    assert not User.objects.with_cnic(DASHED).exists()
    factories.PatientFactory.create(cnic=DIGITS)  # the old number is free again


def test_users_without_a_cnic_do_not_collide(db: None) -> None:
    first = factories.PatientFactory.create(cnic=None)
    second = factories.PatientFactory.create(cnic="")

    assert raw_user(first.pk) == (None, None)
    assert raw_user(second.pk) == (None, None)


def test_lookup_survives_encryption_key_rotation(db: None, settings: Settings) -> None:
    user = factories.PatientFactory.create(cnic=DASHED)
    old_key = settings.PHI_ENCRYPTION_KEY
    settings.PHI_ENCRYPTION_KEY = crypto.generate_key()
    settings.PHI_ENCRYPTION_OLD_KEYS = [old_key]

    call_command("rotate_phi_keys", stdout=StringIO())
    settings.PHI_ENCRYPTION_OLD_KEYS = []

    found = User.objects.with_cnic(DIGITS).get()
    assert found == user
    assert found.cnic == DASHED
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.PatientFactory.create(cnic=DIGITS)
