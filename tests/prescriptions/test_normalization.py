"""Entered names become generic ingredients; anything not recognised is reported, not dropped."""

from __future__ import annotations

import pytest

from apps.prescriptions.drugs import aliases_of, label_search_name, normalize, suggestions


@pytest.mark.parametrize(
    ("entered", "components"),
    [
        ("Paracetamol", ("paracetamol",)),
        ("  PARACETAMOL  ", ("paracetamol",)),
        ("Panadol 500 mg tab", ("paracetamol",)),
        ("panadol-500mg", ("paracetamol",)),
        ("Brufen 400", ("ibuprofen",)),
        ("Disprin", ("aspirin",)),
        ("Glucophage 850mg tablets", ("metformin",)),
        ("Augmentin 625mg", ("amoxicillin", "clavulanic acid")),
        ("Augmentin DS 457mg/5ml suspension", ("amoxicillin", "clavulanic acid")),
        ("amoxicillin/clavulanic acid 500/125", ("amoxicillin", "clavulanic acid")),
        ("Co-Amoxiclav", ("amoxicillin", "clavulanic acid")),
        ("Septran DS", ("sulfamethoxazole", "trimethoprim")),
        ("sulfamethoxazole + trimethoprim", ("sulfamethoxazole", "trimethoprim")),
        ("Ventolin 2mg/5ml syrup", ("salbutamol",)),
        ("acetaminophen", ("paracetamol",)),
        ("Sodium valproate 500 mg", ("valproate",)),
        ("valproic acid", ("valproate",)),
        ("Sodium Bicarbonate", ("sodium bicarbonate",)),
        ("potassium chloride 600mg SR", ("potassium chloride",)),
        ("Losartan Potassium 50mg", ("losartan",)),
        ("diclofenac sodium 50 mg", ("diclofenac",)),
        ("Amlodipine besylate", ("amlodipine",)),
        ("metformin hydrochloride 500mg", ("metformin",)),
        ("chlorpheniramine maleate", ("chlorphenamine",)),
        ("lithium carbonate 400 mg", ("lithium",)),
        ("esomeprazole magnesium trihydrate 40mg", ("esomeprazole",)),
        ("ferrous sulphate 200mg", ("ferrous sulfate",)),
        ("Calcium carbonate", ("calcium carbonate",)),
        ("mycophenolate mofetil", ("mycophenolate",)),
        ("Vitamin B12 1000mcg inj", ("cyanocobalamin",)),
        ("vitamin D3 200,000 IU", ("cholecalciferol",)),
        ("Calpol 120mg/5ml", ("paracetamol",)),
        ("Seretide 25/250 inhaler", ("salmeterol", "fluticasone")),
    ],
)
def test_known_names_resolve_to_generic_components(entered, components):
    medication = normalize(entered)

    assert medication.components == components
    assert medication.unknown == ()
    assert medication.is_known
    assert medication.entered == entered


@pytest.mark.parametrize(
    "entered", ["sodium chloride", "sodium", "potassium", "sodium xyzate", "Xyzzyl 20mg"]
)
def test_unresolvable_names_are_kept_as_unknown_text(entered):
    medication = normalize(entered)

    assert medication.components == ()
    assert medication.unknown and medication.unknown[0]
    assert not medication.is_known


def test_a_first_word_alone_never_decides_the_match():
    # Both start with "sodium"; neither may turn into the other.
    assert normalize("sodium bicarbonate").components == ("sodium bicarbonate",)
    assert normalize("sodium valproate").components == ("valproate",)
    # "Panadol Extra" is its own product; "Panadol Something" is not silently paracetamol.
    assert normalize("Panadol Extra").components == ("paracetamol", "caffeine")
    assert not normalize("Panadol Something").is_known


def test_a_combination_with_one_unknown_part_keeps_both_facts():
    medication = normalize("paracetamol + xyzzyl")

    assert medication.components == ("paracetamol",)
    assert medication.unknown == ("xyzzyl",)
    assert not medication.is_known


def test_aliases_and_label_names_cover_brands_and_us_names():
    assert {"paracetamol", "panadol", "acetaminophen", "calpol"} <= set(aliases_of("paracetamol"))
    assert label_search_name("paracetamol") == "acetaminophen"
    assert label_search_name("warfarin") == "warfarin"


def test_suggestions_offer_generics_and_brands_by_prefix():
    found = suggestions("aug")

    assert ("Augmentin", "Augmentin (amoxicillin + clavulanic acid)") in [
        (s.value, s.label) for s in found]
    assert suggestions("amox")[0].value == "amoxicillin"
    assert suggestions("  ") == []
