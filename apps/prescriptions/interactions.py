"""Offline interaction and allergy checks against the bundled tables.

``check_interactions`` and ``check_allergies`` are pure functions of the names entered; a
form or service calls them whenever the medication list changes and replaces the previous
warnings with the result, so a warning that no longer applies disappears.

Results never claim "no interactions" on their own: ``CheckResult.unknown`` lists every
entered name that could not be resolved, and a caller must show those as unchecked.
Likewise ``CheckResult.unchecked_allergies`` lists every allergy term that names no known
drug or class and is not a recognised non-drug allergen (``NON_DRUG_ALLERGENS``): text in
another script ("پینسلین") or a misspelling ("penicilin") must never read as "no allergy".
Such terms are shown prominently but do not block signing (the doctor can read the
patient's allergy text, which the pages show next to the notice).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from django.utils.translation import gettext as _

from apps.prescriptions import drugs
from apps.prescriptions.drugs import DATA_DIR, Medication
from apps.prescriptions.models import Severity, WarningType

SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}
SOURCE_BUNDLED = "bundled"
SOURCE_OPENFDA = "openfda"
DUPLICATE_CITATION = "HealthLink rule: the same active ingredient entered twice"


def severity_rank(severity: str) -> int:
    return SEVERITY_RANK[Severity(severity)]


@dataclass(frozen=True)
class DrugWarning:
    """One warning, shaped like a ``prescription_warnings`` row plus its evidence."""

    warning_type: str
    severity: str
    drug_a: str
    drug_b: str
    message: str
    mechanism: str
    citation: str
    source: str = SOURCE_BUNDLED

    @property
    def severity_label(self) -> str:
        return str(Severity(self.severity).label)

    @property
    def type_label(self) -> str:
        return str(WarningType(self.warning_type).label)

    def model_fields(self) -> dict[str, str]:
        """Field values for a ``PrescriptionWarning`` row (which has no citation column)."""
        return {
            "warning_type": self.warning_type,
            "severity": self.severity,
            "message": _("%(message)s Source: %(citation)s.") % {
                "message": self.message, "citation": self.citation,
            },
            "drug_a": self.drug_a[:255],
            "drug_b": self.drug_b[:255],
        }

    def sort_key(self, order: dict[str, int]) -> tuple[int, str, int, int, str]:
        return (
            -severity_rank(self.severity), self.warning_type,
            order.get(self.drug_a, len(order)), order.get(self.drug_b, len(order)),
            self.citation,
        )


@dataclass(frozen=True)
class CheckResult:
    """The offline result for one medication list.

    ``unknown`` holds the entered names (or parts of combinations) that could not be
    resolved; they were not checked, so the absence of warnings says nothing about them.
    """

    warnings: tuple[DrugWarning, ...]
    medications: tuple[Medication, ...]
    unrecognized_allergies: tuple[str, ...] = field(default=())
    unchecked_allergies: tuple[str, ...] = field(default=())

    @property
    def unknown(self) -> tuple[str, ...]:
        return tuple(m.entered for m in self.medications if not m.is_known)

    @property
    def complete(self) -> bool:
        """True when every entered medication and every allergy term was checked."""
        return not self.unknown and not self.unchecked_allergies

    @property
    def highest_severity(self) -> str | None:
        if not self.warnings:
            return None
        return max((w.severity for w in self.warnings), key=severity_rank)

    @property
    def needs_acknowledgement(self) -> bool:
        return any(w.severity == Severity.CRITICAL for w in self.warnings)


# --- Bundled rules --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A row of interactions.csv or cross_reactivity.csv, with its references expanded."""

    drug_a: str
    drug_b: str
    severity: str
    mechanism: str
    citation: str
    members_a: frozenset[str]
    members_b: frozenset[str]

    @property
    def specificity(self) -> int:
        """0 for drug-drug rows, 1 for drug-class, 2 for class-class: lower is more specific."""
        return sum(ref.startswith(drugs.CLASS_PREFIX) for ref in (self.drug_a, self.drug_b))

    def matches(self, first: str, second: str) -> bool:
        return (first in self.members_a and second in self.members_b) or (
            first in self.members_b and second in self.members_a
        )


def _load_rules(filename: str, first: str, second: str) -> tuple[Rule, ...]:
    with (DATA_DIR / filename).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        Rule(
            drug_a=row[first], drug_b=row[second], severity=Severity(row["severity"]).value,
            mechanism=row["mechanism"], citation=row["citation"],
            members_a=drugs.expand(row[first]), members_b=drugs.expand(row[second]),
        )
        for row in rows
    )


@cache
def interaction_rules() -> tuple[Rule, ...]:
    return _load_rules("interactions.csv", "drug_a", "drug_b")


@cache
def cross_reactivity_rules() -> tuple[Rule, ...]:
    """Rows read allergen → drug: members_a are allergens, members_b the drugs they reach."""
    return _load_rules("cross_reactivity.csv", "allergen", "drug")


@cache
def _rules_by_drug() -> dict[str, tuple[Rule, ...]]:
    index: dict[str, list[Rule]] = {}
    for rule in interaction_rules():
        for member in rule.members_a | rule.members_b:
            index.setdefault(member, []).append(rule)
    return {drug: tuple(rules) for drug, rules in index.items()}


def _best_rule(first: str, second: str) -> Rule | None:
    """The most severe matching row; among equally severe rows, the most specific.

    Severity comes first so that a class row can never be hidden by a milder drug row.
    """
    index = _rules_by_drug()
    candidates = [r for r in index.get(first, ()) if r.matches(first, second)]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (-severity_rank(r.severity), r.specificity, r.citation))


# --- Interactions ---------------------------------------------------------------------------


def _interaction_warning(a: Medication, b: Medication, rule: Rule) -> DrugWarning:
    return DrugWarning(
        warning_type=WarningType.INTERACTION.value, severity=rule.severity,
        drug_a=a.entered, drug_b=b.entered,
        message=_("%(drug_a)s and %(drug_b)s: %(mechanism)s") % {
            "drug_a": a.entered, "drug_b": b.entered, "mechanism": rule.mechanism,
        },
        mechanism=rule.mechanism, citation=rule.citation,
    )


def _duplicate_warning(a: Medication, b: Medication, ingredient: str) -> DrugWarning:
    mechanism = _("Both contain %(ingredient)s; the doses add up.") % {"ingredient": ingredient}
    return DrugWarning(
        warning_type=WarningType.INTERACTION.value, severity=Severity.MEDIUM.value,
        drug_a=a.entered, drug_b=b.entered,
        message=_("%(drug_a)s and %(drug_b)s: %(mechanism)s") % {
            "drug_a": a.entered, "drug_b": b.entered, "mechanism": mechanism,
        },
        mechanism=mechanism, citation=DUPLICATE_CITATION,
    )


def _pair_warnings(a: Medication, b: Medication) -> list[DrugWarning]:
    found: dict[tuple[str, str], DrugWarning] = {}
    for first in a.components:
        for second in b.components:
            if first == second:
                warning = _duplicate_warning(a, b, first)
            else:
                rule = _best_rule(first, second)
                if rule is None:
                    continue
                warning = _interaction_warning(a, b, rule)
            # One warning per row: a row reached through two components is said once.
            found.setdefault((warning.citation, warning.mechanism), warning)
    return list(found.values())


def _ordered(warnings: Iterable[DrugWarning], medications: Sequence[Medication]) -> tuple[
    DrugWarning, ...
]:
    order: dict[str, int] = {}
    for position, medication in enumerate(medications):
        order.setdefault(medication.entered, position)
    unique = dict.fromkeys(warnings)
    return tuple(sorted(unique, key=lambda w: w.sort_key(order)))


def _interaction_warnings(medications: Sequence[Medication]) -> list[DrugWarning]:
    # LIMITATION: components of one combination product are not checked against each
    # other — the product is taken as a deliberate pairing.
    warnings: list[DrugWarning] = []
    for i, first in enumerate(medications):
        for second in medications[i + 1:]:
            warnings.extend(_pair_warnings(first, second))
    return warnings


def check_interactions(medication_names: Sequence[str]) -> CheckResult:
    """Check every pair in the list against the bundled interaction table."""
    medications = drugs.normalize_all(medication_names)

    return CheckResult(
        warnings=_ordered(_interaction_warnings(medications), medications),
        medications=tuple(medications),
    )


# --- Allergies ------------------------------------------------------------------------------

_ALLERGY_SPLIT = re.compile(r"[,;\n/|]+|\band\b|&|\+")
_ALLERGY_NOISE = re.compile(
    r"\b(?:known|allergic to|allergy to|allergies to|allergy|allergies|allergic|intolerance|"
    r"intolerant to|sensitivity to|sensitivity|hypersensitivity to|hypersensitivity|"
    r"reaction to|reactions to|h o|history of|nkda)\b"
)
_ALLERGY_FILLER = frozenset({
    "drug", "drugs", "medicine", "medicines", "medication", "medications", "group", "class",
    "family", "type", "based", "containing",
})
_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NO_ALLERGY = re.compile(r"^(?:none|nil|no|nkda|nka|no known(?: drug)? allergies|n a)$")
# Allergens that are not drugs: recorded, recognised, and deliberately not reported as
# "could not check" (no medication check applies to them). Compared after noise words.
NON_DRUG_ALLERGENS = frozenset({
    "peanut", "peanuts", "nut", "nuts", "tree nut", "tree nuts", "groundnut", "groundnuts",
    "latex", "rubber", "egg", "eggs", "milk", "dairy", "lactose", "cow milk", "soy", "soya",
    "wheat", "gluten", "sesame", "fish", "shellfish", "seafood", "sea food", "shrimp",
    "shrimps", "prawn", "prawns", "crab", "dust", "house dust", "dust mite", "dust mites",
    "pollen", "pollens", "grass", "animal dander", "dander", "cat", "cats", "dog", "dogs",
    "bee sting", "bee stings", "wasp sting", "wasp stings", "insect sting", "insect stings",
    "mould", "mold", "perfume", "nickel", "food", "strawberry", "strawberries",
})


@dataclass(frozen=True)
class AllergyTerm:
    """One term of a patient's allergy text, and the drugs or classes it names."""

    entered: str
    classes: tuple[str, ...]
    drugs: tuple[str, ...]
    non_drug: bool = False

    @property
    def is_drug_related(self) -> bool:
        return bool(self.classes or self.drugs)

    @property
    def is_checked(self) -> bool:
        """False for a term the checker could not read: it must be shown as unchecked."""
        return self.is_drug_related or self.non_drug

    @property
    def display(self) -> str:
        """A canonical name for messages: the class label or the generic names."""
        catalog = drugs.catalog()
        names = [catalog.classes[key].label for key in self.classes] + list(self.drugs)
        return ", ".join(names)


def _allergy_term(entered: str) -> AllergyTerm | None:
    if _NO_ALLERGY.match(drugs.name_key(entered)):
        return None
    residual = _ALLERGY_NOISE.sub(" ", _PARENTHESES.sub(" ", entered.casefold()))
    text = drugs.name_key(residual)
    if not text:
        if any(char.isalpha() for char in residual):
            # Letters the drug tables cannot hold (another script): unchecked, not absent.
            return AllergyTerm(entered=entered.strip(), classes=(), drugs=())
        return None
    drug_class = drugs.class_for_term(text)
    if drug_class is None:
        trimmed = " ".join(word for word in text.split() if word not in _ALLERGY_FILLER)
        drug_class = drugs.class_for_term(trimmed) if trimmed else None
        text = trimmed or text
    if drug_class is not None:
        return AllergyTerm(entered=entered.strip(), classes=(drug_class,), drugs=())
    medication = drugs.normalize(text)
    if medication.is_known:
        return AllergyTerm(entered=entered.strip(), classes=(), drugs=medication.components)
    return AllergyTerm(entered=entered.strip(), classes=(), drugs=(),
                       non_drug=text in NON_DRUG_ALLERGENS)


def parse_allergies(allergies: str | Sequence[str] | None) -> list[AllergyTerm]:
    """Split free allergy text ("Penicillin, sulfa drugs; peanuts") into terms, in order."""
    if not allergies:
        return []
    chunks = [allergies] if isinstance(allergies, str) else list(allergies)
    terms: list[AllergyTerm] = []
    for chunk in chunks:
        for piece in _ALLERGY_SPLIT.split(chunk or ""):
            term = _allergy_term(piece)
            if term is not None and term.entered:
                terms.append(term)
    return terms


@dataclass(frozen=True)
class _AllergyMatch:
    severity: str
    message: str
    mechanism: str
    citation: str


def _match_component(component: str, term: AllergyTerm, entered: str) -> _AllergyMatch | None:
    catalog = drugs.catalog()
    allergen = term.display
    citation = _("Patient allergy record")
    if component in term.drugs:
        return _AllergyMatch(
            Severity.CRITICAL.value,
            _("%(drug)s matches the recorded allergy to %(allergen)s.")
            % {"drug": entered, "allergen": allergen},
            _("The same active ingredient the patient is recorded as allergic to."), citation,
        )
    for key in term.classes:
        if component in catalog.classes[key].members:
            return _AllergyMatch(
                Severity.CRITICAL.value,
                _("%(drug)s is one of the %(allergen)s listed as an allergy.")
                % {"drug": entered, "allergen": allergen},
                _("The drug belongs to the class the patient is recorded as allergic to."),
                citation,
            )
    for allergen_drug in term.drugs:
        shared = [
            catalog.classes[key] for key in sorted(drugs.classes_of(allergen_drug))
            if catalog.classes[key].allergy and component in catalog.classes[key].members
        ]
        if shared:
            return _AllergyMatch(
                Severity.HIGH.value,
                _("%(drug)s is in the same class (%(drug_class)s) as %(allergen)s, listed as an "
                  "allergy.") % {
                    "drug": entered, "drug_class": shared[0].label, "allergen": allergen,
                },
                _("Drugs of one class share the structure that allergic reactions target."),
                citation,
            )
    best: _AllergyMatch | None = None
    allergen_drugs = set(term.drugs).union(
        *(catalog.classes[key].members for key in term.classes)
    )
    for rule in cross_reactivity_rules():
        if component in rule.members_b and allergen_drugs & rule.members_a:
            candidate = _AllergyMatch(
                rule.severity,
                _("%(drug)s may cross-react with the recorded allergy to %(allergen)s.")
                % {"drug": entered, "allergen": allergen},
                rule.mechanism, rule.citation,
            )
            if best is None or severity_rank(candidate.severity) > severity_rank(best.severity):
                best = candidate
    return best


def _allergy_warnings(
    medications: Sequence[Medication], terms: Sequence[AllergyTerm]
) -> list[DrugWarning]:
    warnings: list[DrugWarning] = []
    for medication in medications:
        for term in terms:
            if not term.is_drug_related:
                continue
            matches = [
                match for component in medication.components
                if (match := _match_component(component, term, medication.entered)) is not None
            ]
            if not matches:
                continue
            match = max(matches, key=lambda m: severity_rank(m.severity))
            warnings.append(DrugWarning(
                warning_type=WarningType.ALLERGY.value, severity=match.severity,
                drug_a=medication.entered, drug_b=term.display, message=match.message,
                mechanism=match.mechanism, citation=match.citation,
            ))
    return warnings


def check_allergies(
    medication_names: Sequence[str], allergies: str | Sequence[str] | None
) -> list[DrugWarning]:
    """ALLERGY warnings for each medication against the patient's allergy text.

    ``drug_b`` is the canonical allergen (class label or generic), not the patient's text.
    """
    medications = drugs.normalize_all(medication_names)
    terms = parse_allergies(allergies)

    return list(_ordered(_allergy_warnings(medications, terms), medications))


def check_medications(
    medication_names: Sequence[str], allergies: str | Sequence[str] | None = None
) -> CheckResult:
    """Interactions and allergies together: what a prescription form shows while typing."""
    medications = drugs.normalize_all(medication_names)
    terms = parse_allergies(allergies)
    warnings = _interaction_warnings(medications) + _allergy_warnings(medications, terms)

    return CheckResult(
        warnings=_ordered(warnings, medications),
        medications=tuple(medications),
        unrecognized_allergies=tuple(t.entered for t in terms if not t.is_drug_related),
        unchecked_allergies=unchecked_allergy_terms(terms),
    )


def unchecked_allergy_terms(terms: Sequence[AllergyTerm]) -> tuple[str, ...]:
    """The entered allergy terms no check could read, in order, each once."""
    return tuple(dict.fromkeys(t.entered for t in terms if not t.is_checked))
