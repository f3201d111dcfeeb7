"""Allergy checks: free allergy text against the medications, including classes."""

from __future__ import annotations

from apps.prescriptions.interactions import check_allergies, check_medications, parse_allergies
from apps.prescriptions.models import Severity, WarningType


def test_penicillin_allergy_flags_amoxicillin():
    [warning] = check_allergies(["Amoxicillin 500mg caps"], "Penicillin")

    assert warning.warning_type == WarningType.ALLERGY
    assert warning.severity in {Severity.HIGH, Severity.CRITICAL}
    assert warning.drug_a == "Amoxicillin 500mg caps"
    assert warning.drug_b == "penicillins"


def test_penicillin_allergy_flags_augmentin_by_brand():
    [warning] = check_allergies(["Augmentin 625mg"], "penicillin allergy (rash)")

    assert warning.warning_type == WarningType.ALLERGY
    assert warning.severity == Severity.CRITICAL


def test_free_text_is_split_into_drug_classes_drugs_and_other_terms():
    terms = parse_allergies("Penicillin, sulfa drugs; peanuts\nallergic to Disprin")

    assert [t.entered for t in terms] == ["Penicillin", "sulfa drugs", "peanuts",
                                          "allergic to Disprin"]
    assert terms[0].classes == ("penicillins",)
    assert terms[1].classes == ("sulfonamide_antibiotics",)
    assert not terms[2].is_drug_related
    assert terms[3].drugs == ("aspirin",)


def test_cross_reactivity_is_a_lower_severity_warning():
    [warning] = check_allergies(["cefixime 400mg"], "penicillins")

    assert warning.severity == Severity.MEDIUM
    assert "beta-lactam" in warning.mechanism
    assert warning.citation.startswith("BNF")


def test_a_drug_allergy_extends_to_its_class_at_high():
    [warning] = check_allergies(["ampicillin"], "amoxicillin")

    assert warning.severity == Severity.HIGH
    assert "penicillins" in warning.message


def test_a_drug_allergy_matches_the_same_ingredient_under_a_brand():
    [warning] = check_allergies(["Brufen 400"], ["Ibuprofen"])

    assert warning.severity == Severity.CRITICAL
    assert warning.drug_b == "ibuprofen"


def test_sulfa_allergy_flags_cotrimoxazole_high_and_furosemide_low():
    warnings = check_allergies(["Septran DS", "furosemide 40mg", "paracetamol"], "sulfa")

    by_drug = {w.drug_a: w.severity for w in warnings}
    assert by_drug == {"Septran DS": Severity.CRITICAL, "furosemide 40mg": Severity.LOW}


def test_unrelated_allergies_and_drugs_raise_nothing():
    assert check_allergies(["paracetamol", "metformin"], "Penicillin, peanuts") == []
    assert check_allergies(["amoxicillin"], "") == []
    assert check_allergies(["amoxicillin"], None) == []


def test_one_warning_per_medication_and_allergy_term_the_strongest():
    # Augmentin contains amoxicillin: a direct match and a class match; only one warning.
    warnings = check_allergies(["Augmentin"], "amoxicillin")

    assert len(warnings) == 1
    assert warnings[0].severity == Severity.CRITICAL


def test_combined_check_reports_interactions_allergies_and_unrecognised_terms():
    result = check_medications(["warfarin", "Disprin", "Augmentin"], "Penicillin; latex")

    types = {(w.warning_type, w.drug_a) for w in result.warnings}
    assert (WarningType.ALLERGY, "Augmentin") in types
    assert (WarningType.INTERACTION, "warfarin") in types
    assert result.unrecognized_allergies == ("latex",)
    assert result.needs_acknowledgement


def test_no_known_allergies_is_not_an_unrecognised_term():
    result = check_medications(["amoxicillin"], "NKDA; none; No known drug allergies")

    assert result.warnings == ()
    assert result.unrecognized_allergies == ()
