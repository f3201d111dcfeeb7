"""Brand names as the autocomplete offers them, "Brand (generic)", reach the checks."""

from __future__ import annotations

import pytest

from apps.accounts.models import User
from apps.prescriptions import services, signing
from apps.prescriptions.drugs import normalize, suggestions
from apps.prescriptions.interactions import check_allergies
from apps.prescriptions.models import ESignStatus, PrescriptionWarning, Severity, WarningType
from tests.prescriptions.writing_support import visit, write

SUGGESTED = {
    "aug": ("Augmentin (amoxicillin + clavulanic acid)", ("amoxicillin", "clavulanic acid")),
    "amoxi": ("Amoxil (amoxicillin)", ("amoxicillin",)),
    "dispr": ("Disprin (aspirin)", ("aspirin",)),
    "couma": ("Coumadin (warfarin)", ("warfarin",)),
}


@pytest.mark.parametrize("prefix", sorted(SUGGESTED))
def test_the_suggested_brand_label_and_value_are_both_recognised(prefix: str) -> None:
    label, components = SUGGESTED[prefix]
    [suggestion] = [s for s in suggestions(prefix) if s.label == label]

    assert suggestion.value == label.split(" (")[0]
    assert normalize(suggestion.value).components == components
    assert normalize(label).is_known
    assert normalize(label).components == components


@pytest.mark.parametrize(
    ("entered", "components"),
    [
        ("Unknownbrand (aspirin)", ("aspirin",)),
        ("Augmentin 625mg (amoxicillin + clavulanic acid)", ("amoxicillin", "clavulanic acid")),
        ("Panadol (acetaminophen)", ("paracetamol",)),
        ("Amoxil (clavulanic acid)", ("amoxicillin", "clavulanic acid")),
    ],
)
def test_a_trailing_parenthesis_names_the_generic(entered: str,
                                                  components: tuple[str, ...]) -> None:
    medication = normalize(entered)

    assert medication.is_known
    assert medication.components == components


def test_an_unknown_name_with_an_unknown_parenthesis_stays_unchecked() -> None:
    assert not normalize("Zzbrand (zzgeneric)").is_known


def test_penicillin_allergy_flags_the_suggested_augmentin_label_critical() -> None:
    [warning] = check_allergies(["Augmentin (amoxicillin + clavulanic acid)"], "Penicillin")

    assert warning.warning_type == WarningType.ALLERGY
    assert warning.severity == Severity.CRITICAL


@pytest.mark.django_db
def test_signing_the_suggested_augmentin_label_waits_for_the_acknowledgement(
        patient: User, doctor: User) -> None:
    patient.allergies = "Penicillin"
    patient.save()
    visit(patient, doctor)
    prescription = write(doctor, patient, "Augmentin (amoxicillin + clavulanic acid)")
    [warning] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert warning.severity == Severity.CRITICAL

    with pytest.raises(signing.SigningError, match="critical warning"):
        signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
    services.warning_acknowledge(doctor=doctor, prescription_id=prescription.pk,
                                 warning_id=warning.pk, reason="Tolerated it last year")
    signed = signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)
    assert signed.e_sign_status == ESignStatus.SIGNED
