"""Offline interaction checks against the bundled table."""

from __future__ import annotations

from django.utils import translation

from apps.prescriptions.interactions import DUPLICATE_CITATION, check_interactions
from apps.prescriptions.models import Severity, WarningType


def _pairs(result):
    return {(w.drug_a, w.drug_b) for w in result.warnings}


def test_warfarin_with_aspirin_is_a_high_or_critical_interaction():
    result = check_interactions(["Warfarin 5mg", "Aspirin 75mg"])

    [warning] = result.warnings
    assert warning.warning_type == WarningType.INTERACTION
    assert warning.severity in {Severity.HIGH, Severity.CRITICAL}
    assert (warning.drug_a, warning.drug_b) == ("Warfarin 5mg", "Aspirin 75mg")
    assert "bleeding" in warning.mechanism
    assert warning.citation == "FDA label: warfarin, Drug Interactions"
    assert warning.mechanism in warning.message
    assert result.complete


def test_swapping_aspirin_for_paracetamol_removes_the_warning():
    before = check_interactions(["warfarin", "Disprin", "omeprazole"])
    after = check_interactions(["warfarin", "Panadol", "omeprazole"])

    assert ("warfarin", "Disprin") in _pairs(before)
    assert after.warnings == ()
    assert after.complete


def test_sodium_bicarbonate_is_never_matched_as_valproate():
    # Valproate + meropenem is a HIGH row; sodium bicarbonate must not borrow it.
    assert check_interactions(["sodium valproate", "meropenem"]).warnings
    result = check_interactions(["sodium bicarbonate", "meropenem"])

    assert result.warnings == ()
    assert result.complete


def test_class_rows_apply_to_every_member():
    result = check_interactions(["lisinopril", "Aldactone 25mg"])

    [warning] = result.warnings
    assert warning.severity == Severity.HIGH
    assert "potassium" in warning.mechanism


def test_a_specific_drug_row_wins_over_a_class_row_for_the_same_pair():
    # clarithromycin + simvastatin: the specific CRITICAL row, not also the QT or statin rows.
    result = check_interactions(["simvastatin 20mg", "Klaricid"])

    [warning] = result.warnings
    assert warning.severity == Severity.CRITICAL
    assert warning.citation == "FDA label: simvastatin, Contraindications"


def test_combination_products_are_checked_component_by_component():
    result = check_interactions(["Septran DS", "methotrexate 7.5mg", "warfarin"])

    assert ("Septran DS", "methotrexate 7.5mg") in _pairs(result)  # trimethoprim
    assert ("Septran DS", "warfarin") in _pairs(result)  # sulfamethoxazole


def test_the_same_ingredient_twice_is_flagged_once():
    result = check_interactions(["Panadol 500mg", "paracetamol 1g", "Calpol"])

    assert len(result.warnings) == 3
    assert {w.citation for w in result.warnings} == {DUPLICATE_CITATION}
    assert all(w.severity == Severity.MEDIUM for w in result.warnings)


def test_results_are_deduplicated_and_ordered_by_severity_then_entry_order():
    names = ["ibuprofen", "warfarin", "aspirin", "sildenafil", "isosorbide mononitrate"]

    result = check_interactions(names)

    assert result == check_interactions(list(names))
    severities = [w.severity for w in result.warnings]
    assert severities[0] == Severity.CRITICAL  # sildenafil + nitrate
    ranks = {"LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4}
    assert [ranks[s] for s in severities] == sorted((ranks[s] for s in severities), reverse=True)
    assert len(set(result.warnings)) == len(result.warnings)
    assert _pairs(result) >= {("ibuprofen", "warfarin"), ("warfarin", "aspirin"),
                              ("ibuprofen", "aspirin")}


def test_unknown_names_are_reported_not_treated_as_safe():
    result = check_interactions(["warfarin", "Xyzzyl 20mg", "  ", ""])

    assert result.warnings == ()
    assert result.unknown == ("Xyzzyl 20mg",)
    assert not result.complete
    assert [m.entered for m in result.medications] == ["warfarin", "Xyzzyl 20mg"]


def test_an_empty_list_has_nothing_to_check():
    result = check_interactions([])

    assert result.warnings == () and result.complete and result.highest_severity is None


def test_critical_warnings_ask_for_acknowledgement():
    assert check_interactions(["sildenafil", "glyceryl trinitrate"]).needs_acknowledgement
    assert not check_interactions(["warfarin", "aspirin"]).needs_acknowledgement


def test_a_milder_drug_row_never_hides_a_more_severe_class_row():
    # erythromycin + domperidone: a CRITICAL drug row and the HIGH QT class row; and
    # citalopram + escitalopram: two class rows (SSRI MEDIUM, QT HIGH) - the HIGH one shows.
    [critical] = check_interactions(["erythromycin", "domperidone"]).warnings
    [qt] = check_interactions(["citalopram", "escitalopram"]).warnings

    assert critical.severity == Severity.CRITICAL
    assert qt.severity == Severity.HIGH
    assert "QT" in qt.mechanism


def test_model_fields_fit_a_prescription_warning_row_and_keep_the_citation():
    # English explicitly: an Urdu request earlier in the same worker can leave Urdu active.
    with translation.override("en"):
        [warning] = check_interactions(["warfarin", "aspirin"]).warnings
        fields = warning.model_fields()

    assert set(fields) == {"warning_type", "severity", "message", "drug_a", "drug_b"}
    assert fields["message"].endswith("Source: FDA label: warfarin, Drug Interactions.")
    long = check_interactions(["warfarin 5mg " + "tab " * 80, "aspirin"]).warnings[0]
    assert len(long.model_fields()["drug_a"]) == 255
