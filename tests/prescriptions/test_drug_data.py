"""The bundled data files are consistent: every reference resolves, nothing is duplicated."""

from __future__ import annotations

import csv
import json

import pytest

from apps.prescriptions import drugs
from apps.prescriptions.drugs import CLASS_PREFIX, DATA_DIR, name_key
from apps.prescriptions.models import Severity


def _rows(filename: str) -> list[dict[str, str]]:
    with (DATA_DIR / filename).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _classes() -> dict[str, dict[str, object]]:
    with (DATA_DIR / "classes.json").open(encoding="utf-8") as handle:
        data: dict[str, dict[str, object]] = json.load(handle)
    return data


def _generics() -> list[str]:
    return [row["name"] for row in _rows("drugs.csv")]


def _is_known_reference(reference: str) -> bool:
    if reference.startswith(CLASS_PREFIX):
        return reference.removeprefix(CLASS_PREFIX) in _classes()
    return reference in set(_generics())


def test_drug_list_is_large_unique_and_already_normalized():
    names = _generics()

    assert len(names) >= 300
    assert len(names) == len(set(names))
    assert names == sorted(names), "keep drugs.csv sorted so additions are easy to review"
    assert all(name == name_key(name) for name in names), "store names as name_key() gives"


def test_pakistani_brands_resolve_to_their_generics():
    catalog = drugs.catalog()

    assert catalog.brands["panadol"] == ("paracetamol",)
    assert catalog.brands["disprin"] == ("aspirin",)
    assert catalog.brands["augmentin"] == ("amoxicillin", "clavulanic acid")
    assert catalog.brands["brufen"] == ("ibuprofen",)
    assert catalog.brands["glucophage"] == ("metformin",)


@pytest.mark.parametrize("filename", ["brands.csv", "synonyms.csv"])
def test_every_alias_points_at_known_generics_and_is_unique(filename):
    rows = _rows(filename)
    key_column = "brand" if filename == "brands.csv" else "name"
    generics = set(_generics())

    keys = [name_key(row[key_column]) for row in rows]
    assert len(keys) == len(set(keys)), "an alias is listed twice"
    for row in rows:
        targets = [part.strip() for part in row["generics"].split("+")]
        assert targets and all(target in generics for target in targets), row
    for row in rows:
        key = name_key(row[key_column])
        # Only a spelling that cleans to its own generic ("aluminum") may equal a generic.
        assert key not in generics or key == row["generics"], f"{key} shadows a generic"


def test_brands_and_synonyms_do_not_collide():
    brands = {name_key(row["brand"]) for row in _rows("brands.csv")}
    synonyms = {name_key(row["name"]) for row in _rows("synonyms.csv")}

    assert not brands & synonyms


def test_every_class_member_is_a_known_generic_and_terms_are_unique():
    generics = set(_generics())
    seen_terms: set[str] = set()

    for key, spec in _classes().items():
        members = spec["members"]
        assert isinstance(members, list) and members, key
        assert set(members) <= generics, (key, set(members) - generics)
        assert len(members) == len(set(members)), key
        assert isinstance(spec["allergy"], bool)
        terms = [name_key(str(term)) for term in spec["terms"]]  # type: ignore[attr-defined]
        assert not seen_terms & set(terms), (key, seen_terms & set(terms))
        seen_terms.update(terms)


@pytest.mark.parametrize(
    ("filename", "first", "second"),
    [("interactions.csv", "drug_a", "drug_b"), ("cross_reactivity.csv", "allergen", "drug")],
)
def test_rule_rows_are_valid_complete_and_not_duplicated(filename, first, second):
    rows = _rows(filename)
    pairs: set[tuple[str, ...]] = set()

    for row in rows:
        assert set(row) == {first, second, "severity", "mechanism", "citation"}, row
        assert _is_known_reference(row[first]), row[first]
        assert _is_known_reference(row[second]), row[second]
        assert row["severity"] in Severity.values, row
        assert len(row["mechanism"].strip()) >= 20, row
        assert row["mechanism"].strip().endswith("."), row
        assert len(row["citation"].strip()) >= 8, row
        # Interactions are symmetric; cross-reactivity reads allergen → drug, so order counts.
        pair = (
            tuple(sorted((row[first], row[second]))) if filename == "interactions.csv"
            else (row[first], row[second])
        )
        assert pair not in pairs, f"duplicate pair {pair}"
        pairs.add(pair)


def test_interaction_table_is_a_useful_size_with_every_severity():
    rows = _rows("interactions.csv")

    assert 60 <= len(rows) <= 200
    assert {row["severity"] for row in rows} == set(Severity.values)
