"""The summary flags conditions that two or more first-degree relatives share."""

from __future__ import annotations

from apps.records.family_forms import split_terms
from apps.records.family_selectors import family_condition_flags
from apps.records.models import FamilyMedicalHistory, Relation


def relative(relation: str, pk: int, name: str = "", *, conditions: list[str] | None = None,
             chronic: list[str] | None = None, genetic: list[str] | None = None,
             ) -> FamilyMedicalHistory:
    return FamilyMedicalHistory(
        pk=pk, relation=relation, relation_name=name or None, conditions=conditions,
        chronic_diseases=chronic, genetic_conditions=genetic,
    )


def test_it_flags_a_condition_shared_by_a_parent_and_a_sibling() -> None:
    mother = relative(Relation.PARENT, 1, "Amna", conditions=["Diabetes"])
    brother = relative(Relation.SIBLING, 2, "Bilal", chronic=["diabetes"])

    flags = family_condition_flags([mother, brother])

    assert [(flag.condition, flag.relatives) for flag in flags] == [
        ("Diabetes", [mother, brother])
    ]


def test_it_matches_across_case_whitespace_and_the_three_lists() -> None:
    father = relative(Relation.PARENT, 1, genetic=["  Type 2   Diabetes "])
    daughter = relative(Relation.CHILD, 2, conditions=["type 2 diabetes"])
    sister = relative(Relation.SIBLING, 3, chronic=["TYPE 2\tDIABETES"])

    flags = family_condition_flags([sister, daughter, father])

    assert len(flags) == 1
    assert flags[0].condition == "Type 2 Diabetes"  # the parent's spelling: oldest first
    assert flags[0].count == 3


def test_grandparents_do_not_count() -> None:
    grandfather = relative(Relation.GRANDPARENT, 1, conditions=["Asthma"])
    grandmother = relative(Relation.GRANDPARENT, 2, conditions=["Asthma"])
    mother = relative(Relation.PARENT, 3, conditions=["Asthma"])

    assert family_condition_flags([grandfather, grandmother, mother]) == []


def test_one_relative_listing_a_condition_twice_counts_once() -> None:
    mother = relative(Relation.PARENT, 1, conditions=["Hypertension"],
                      chronic=["hypertension"], genetic=["HYPERTENSION"])

    assert family_condition_flags([mother]) == []


def test_flags_are_ordered_by_how_many_share_them_then_alphabetically() -> None:
    members = [
        relative(Relation.PARENT, 1, conditions=["Migraine", "Asthma", "Gout"]),
        relative(Relation.PARENT, 2, conditions=["migraine", "gout"]),
        relative(Relation.SIBLING, 3, conditions=["MIGRAINE", "asthma"]),
        relative(Relation.CHILD, 4, conditions=["Eczema"]),
    ]

    flags = family_condition_flags(members)

    assert [(flag.condition, flag.count) for flag in flags] == [
        ("Migraine", 3), ("Asthma", 2), ("Gout", 2),
    ]


def test_no_relatives_no_flags() -> None:
    assert family_condition_flags([]) == []


def test_split_terms_trims_deduplicates_and_accepts_commas_and_lines() -> None:
    text = " Asthma ,diabetes\n\n  asthma ;  High   blood pressure\r\nDIABETES,, "

    assert split_terms(text) == ["Asthma", "diabetes", "High blood pressure"]
