"""A record names its author even after the doctor's account is deleted (medico-legal), but
nothing on it leads to contacting or booking that doctor."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.records.models import MedicalRecord
from tests.records.support import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def deleted_author(doctor: User, record: MedicalRecord) -> User:
    doctor.soft_delete()
    doctor.save()
    return doctor


def test_the_record_still_names_its_deleted_author_without_a_way_to_book_them(
    patient: User, deleted_author: User, record: MedicalRecord,
) -> None:
    client = logged_in(patient)
    book_url = reverse("appointments:book", args=[deleted_author.pk])

    pages = [client.get(reverse("records:detail", args=[record.pk])),
             client.get(reverse("records:list"))]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert deleted_author.name in html
        assert book_url not in html
    assert client.get(book_url).status_code == 404


def test_the_api_names_the_deleted_author(
    patient: User, deleted_author: User, record: MedicalRecord,
) -> None:
    api = APIClient()
    api.force_authenticate(patient)

    [item] = api.get("/api/records/").json()["results"]

    assert (item["doctor_id"], item["doctor_name"]) == (deleted_author.pk, deleted_author.name)
