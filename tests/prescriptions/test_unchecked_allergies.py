"""Allergy text the offline check cannot read is shown as unchecked, never as no allergy."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import User
from apps.prescriptions.interactions import check_medications
from tests import factories
from tests.prescriptions.writing_support import form_data, logged_in, visit, write

URDU_PENICILLIN = "پینسلین"
NO_WARNING = "raised no warning"


@pytest.mark.parametrize("allergies", [URDU_PENICILLIN, "penicilin", "Allergy to penicilin"])
def test_an_allergy_term_the_checker_cannot_read_is_reported(allergies: str) -> None:
    result = check_medications(["Amoxil"], allergies)

    assert result.warnings == ()
    assert result.unchecked_allergies == (allergies.strip(),)
    assert not result.complete


@pytest.mark.parametrize("allergies", [
    "peanuts", "Peanut allergy", "latex; dust mites", "NKDA", "No known drug allergies", "",
])
def test_recognised_non_drug_allergies_and_negations_stay_quiet(allergies: str) -> None:
    result = check_medications(["Amoxil"], allergies)

    assert result.unchecked_allergies == ()
    assert result.complete


def test_only_the_unreadable_term_is_reported_next_to_a_real_warning() -> None:
    result = check_medications(["Amoxil"], f"Penicillin, peanuts, {URDU_PENICILLIN}, sulfa")

    assert len(result.warnings) == 1
    assert result.unchecked_allergies == (URDU_PENICILLIN,)


@pytest.mark.django_db
@pytest.mark.parametrize("allergies", [URDU_PENICILLIN, "penicilin"])
def test_the_live_check_and_form_show_the_unchecked_allergy(doctor: User, allergies: str) -> None:
    patient = factories.PatientFactory(allergies=allergies)
    visit(patient, doctor)
    client = logged_in(doctor)
    check_url = reverse("prescriptions:check", kwargs={"patient_id": patient.pk})

    live = client.post(check_url, form_data("Amoxil")).content.decode()
    empty = client.post(check_url, form_data()).content.decode()
    form = client.get(reverse("prescriptions:create",
                              kwargs={"patient_id": patient.pk})).content.decode()

    for content in (live, empty, form):
        assert f"Could not check this allergy: {allergies}" in content
        assert "data-unchecked-allergies" in content
        assert NO_WARNING not in content


@pytest.mark.django_db
def test_the_prescription_page_shows_the_unchecked_allergy(doctor: User) -> None:
    patient = factories.PatientFactory(allergies=URDU_PENICILLIN)
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxil")

    content = logged_in(doctor).get(reverse(
        "prescriptions:detail", kwargs={"prescription_id": prescription.pk})).content.decode()

    assert f"Could not check this allergy: {URDU_PENICILLIN}" in content
    assert NO_WARNING not in content


@pytest.mark.django_db
def test_peanuts_leave_the_no_warning_notice(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="peanuts")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxil")

    content = logged_in(doctor).get(reverse(
        "prescriptions:detail", kwargs={"prescription_id": prescription.pk})).content.decode()

    assert "Could not check this allergy" not in content
    assert NO_WARNING in content
