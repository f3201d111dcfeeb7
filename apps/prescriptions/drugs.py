"""Drug names: the bundled list, brand and synonym aliases, classes, and name normalization.

Everything here is pure and offline. The data lives in ``apps/prescriptions/data`` (see the
README section "Drug checks") and is loaded once per process.

Normalization never guesses: a name is resolved only when the whole cleaned-up text (or the
whole text with salt words removed) is a known generic, synonym or brand. A first word alone
never decides a match, so "sodium bicarbonate" stays sodium bicarbonate and an unknown
"sodium something" stays unknown instead of becoming some other sodium salt.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
CLASS_PREFIX = "class:"

# Words that name the salt or ester of an active ingredient, not the ingredient itself.
SALT_WORDS = frozenset({
    "hydrochloride", "hcl", "dihydrochloride", "hydrobromide", "sodium", "disodium",
    "potassium", "calcium", "magnesium", "maleate", "besylate", "besilate", "mesylate",
    "mesilate", "dimesylate", "tartrate", "bitartrate", "succinate", "fumarate",
    "hemifumarate", "citrate", "sulfate", "phosphate", "acetate", "carbonate", "bromide",
    "chloride", "nitrate", "dihydrate", "monohydrate", "trihydrate", "hydrate", "anhydrous",
    "dipropionate", "propionate", "furoate", "xinafoate", "valerate", "mofetil", "axetil",
    "proxetil", "pivoxil", "hyclate", "estolate", "stearate", "ethylsuccinate",
    "lactobionate", "decanoate", "enanthate", "cypionate", "tromethamine", "pamoate",
    "embonate", "medoxomil", "cilexetil", "erbumine", "arginine", "lysine",
})

# Dose forms, release modifiers and routes that say how a drug is given, not what it is.
FORM_WORDS = frozenset({
    "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules", "syrup", "syp",
    "susp", "suspension", "inj", "injection", "infusion", "vial", "amp", "ampoule", "cream",
    "oint", "ointment", "gel", "drops", "drop", "spray", "inhaler", "puff", "puffs",
    "solution", "soln", "sachet", "sachets", "powder", "granules", "lotion", "patch",
    "suppository", "supp", "elixir", "oral", "iv", "im", "sc", "po", "sr", "xr", "er", "cr",
    "mr", "xl", "la", "ds", "forte", "retard", "dispersible", "chewable", "effervescent",
    "film", "coated", "enteric", "ec", "dt", "odt", "pfs", "mg", "mcg", "g", "gm", "ml",
    "iu", "unit", "units", "dose", "doses",
})

_STRENGTH = re.compile(
    r"(?<![a-z0-9.,])\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|gm|gram|grams|ml|l|iu|units?|%|mmol|meq)"
    r"(?:\s*/\s*\d*(?:[.,]\d+)?\s*(?:mg|mcg|g|ml|l|dose|tab|tablet|actuation))?(?![a-z])",
)
_NUMBER = re.compile(r"(?<![a-z0-9.,])\d+(?:[.,]\d+)?(?![a-z])")
_COMBINATION = re.compile(r"\s*(?:\+|&|/|,|;|\bwith\b|\band\b)\s*")
_NOT_NAME = re.compile(r"[^a-z0-9+&/,;\s]")
_SPACES = re.compile(r"\s+")


def clean_text(value: str) -> str:
    """Lower-case, fold Unicode, turn punctuation into spaces and collapse whitespace."""
    text = unicodedata.normalize("NFKC", value).casefold()
    text = text.replace("sulph", "sulf").replace("aluminum", "aluminium")
    text = _NOT_NAME.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def name_key(value: str) -> str:
    """The key a name is stored and looked up under: cleaned, no separators at all."""
    return _SPACES.sub(" ", re.sub(r"[+&/,;]", " ", clean_text(value))).strip()


@dataclass(frozen=True)
class DrugClass:
    key: str
    label: str
    allergy: bool
    terms: tuple[str, ...]
    members: frozenset[str]


@dataclass(frozen=True)
class Catalog:
    generics: frozenset[str]
    synonyms: dict[str, tuple[str, ...]]
    brands: dict[str, tuple[str, ...]]
    brand_display: dict[str, str]
    us_names: dict[str, str]
    classes: dict[str, DrugClass]
    classes_of: dict[str, frozenset[str]]
    class_terms: dict[str, str]


def _split_generics(value: str) -> tuple[str, ...]:
    return tuple(name_key(part) for part in value.split("+") if part.strip())


@cache
def catalog() -> Catalog:
    """Load the bundled data once per process."""
    with (DATA_DIR / "drugs.csv").open(encoding="utf-8") as handle:
        generics = frozenset(name_key(row["name"]) for row in csv.DictReader(handle))

    synonyms: dict[str, tuple[str, ...]] = {}
    us_names: dict[str, str] = {}
    with (DATA_DIR / "synonyms.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            targets = _split_generics(row["generics"])
            if (name_key(row["name"]),) != targets:  # "aluminum" already cleans to "aluminium"
                synonyms[name_key(row["name"])] = targets
            if row["us_name"] == "yes" and len(targets) == 1:
                us_names[targets[0]] = " ".join(row["name"].casefold().split())

    brands: dict[str, tuple[str, ...]] = {}
    brand_display: dict[str, str] = {}
    with (DATA_DIR / "brands.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = name_key(row["brand"])
            brands[key] = _split_generics(row["generics"])
            brand_display[key] = row["brand"]

    with (DATA_DIR / "classes.json").open(encoding="utf-8") as handle:
        raw_classes = json.load(handle)
    classes = {
        key: DrugClass(
            key=key, label=spec["label"], allergy=bool(spec["allergy"]),
            terms=tuple(name_key(term) for term in spec["terms"]),
            members=frozenset(name_key(member) for member in spec["members"]),
        )
        for key, spec in raw_classes.items()
    }
    classes_of: dict[str, set[str]] = {}
    for drug_class in classes.values():
        for member in drug_class.members:
            classes_of.setdefault(member, set()).add(drug_class.key)
    class_terms = {term: c.key for c in classes.values() for term in c.terms}

    return Catalog(
        generics=generics, synonyms=synonyms, brands=brands, brand_display=brand_display,
        us_names=us_names, classes=classes,
        classes_of={drug: frozenset(keys) for drug, keys in classes_of.items()},
        class_terms=class_terms,
    )


@dataclass(frozen=True)
class Medication:
    """One medication name as entered, and what it resolved to.

    ``components`` are the known generic names (a combination product has several);
    ``unknown`` are the parts that could not be resolved, as normalized text. A medication
    with any unknown part was not fully checked, and callers must say so.
    """

    entered: str
    text: str
    components: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def is_known(self) -> bool:
        return bool(self.components) and not self.unknown


def _strip_forms(text: str) -> str:
    text = _STRENGTH.sub(" ", text)
    text = _NUMBER.sub(" ", text)
    words = [word for word in text.split() if word not in FORM_WORDS]
    return " ".join(words)


def _lookup(key: str) -> tuple[str, ...] | None:
    data = catalog()
    if key in data.generics:
        return (key,)
    if key in data.synonyms:
        return data.synonyms[key]
    if key in data.brands:
        return data.brands[key]
    return None


def _resolve(key: str) -> tuple[str, ...] | None:
    """Resolve a whole cleaned name; salt words are dropped only from its two ends."""
    if not key:
        return None
    found = _lookup(key)
    if found is not None:
        return found
    words = key.split()
    start, end = 0, len(words)
    while start < end and words[start] in SALT_WORDS:
        start += 1
    while end > start and words[end - 1] in SALT_WORDS:
        end -= 1
    core = " ".join(words[start:end])
    if core and core != key:
        return _lookup(core)
    return None


# "Brand (generic + generic)": the shape the autocomplete used to insert, and a common way
# of writing a brand with its ingredients.
_TRAILING_PARENTHESIS = re.compile(r"^(?P<outer>[^()]*?)\s*\((?P<inner>[^()]*)\)\s*$")


def normalize(entered: str) -> Medication:
    """Resolve one entered medication name (brand, generic, with strength and form).

    A trailing parenthesis, "Augmentin (amoxicillin + clavulanic acid)", is read as a name
    and its ingredients: the name outside decides when it is known (with the ingredients
    inside added when they are known too), otherwise the ingredients inside decide.
    """
    match = _TRAILING_PARENTHESIS.match(entered)
    if match and match.group("outer").strip() and match.group("inner").strip():
        outer = _normalize_plain(match.group("outer"))
        inner = _normalize_plain(match.group("inner"))
        if outer.is_known:
            extra = inner.components if inner.is_known else ()
            return Medication(entered=entered, text=outer.text,
                              components=tuple(dict.fromkeys(outer.components + extra)),
                              unknown=())
        if inner.is_known:
            return Medication(entered=entered, text=inner.text,
                              components=inner.components, unknown=())
    return _normalize_plain(entered)


def _normalize_plain(entered: str) -> Medication:
    text = clean_text(_STRENGTH.sub(" ", unicodedata.normalize("NFKC", entered).casefold()))
    whole = name_key(_strip_forms(text))
    resolved = _resolve(whole)
    if resolved is not None:
        return Medication(entered=entered, text=whole, components=resolved, unknown=())

    components: list[str] = []
    unknown: list[str] = []
    for part in _COMBINATION.split(text):
        key = name_key(_strip_forms(part))
        if not key:
            continue
        found = _resolve(key)
        if found is None:
            unknown.append(key)
        else:
            components.extend(found)
    if not components and not unknown and whole:
        unknown.append(whole)
    return Medication(
        entered=entered, text=whole, components=tuple(dict.fromkeys(components)),
        unknown=tuple(dict.fromkeys(unknown)),
    )


def normalize_all(names: Iterable[str]) -> list[Medication]:
    """Normalize entered names, dropping blank entries (an empty formset row is not a drug)."""
    return [normalize(name) for name in names if name and name.strip()]


def classes_of(generic: str) -> frozenset[str]:
    return catalog().classes_of.get(generic, frozenset())


def class_for_term(term: str) -> str | None:
    """The class a free-text term names ("penicillin", "sulfa drugs" → sulfa), if any."""
    return catalog().class_terms.get(name_key(term))


def aliases_of(generic: str) -> tuple[str, ...]:
    """Every name the bundled data knows for one generic: itself, synonyms, single brands."""
    data = catalog()
    names = {generic}
    names.update(key for key, targets in data.synonyms.items() if targets == (generic,))
    names.update(key for key, targets in data.brands.items() if targets == (generic,))
    return tuple(sorted(names))


def label_search_name(generic: str) -> str:
    """The name openFDA labels use for a generic (US adopted name where it differs)."""
    return catalog().us_names.get(generic, generic)


@dataclass(frozen=True)
class Suggestion:
    """One autocomplete option: ``value`` is inserted (a name the checker resolves on its
    own), ``label`` is shown beside it ("Brand (generic)")."""

    value: str
    label: str


def suggestions(prefix: str, *, limit: int = 10) -> list[Suggestion]:
    """Autocomplete: generics, then brands (label "Brand (generic)"), starting with prefix."""
    key = name_key(prefix)
    if not key:
        return []
    data = catalog()
    generics = [Suggestion(value=name, label=name)
                for name in sorted(name for name in data.generics if name.startswith(key))]
    brands = sorted(
        (Suggestion(value=data.brand_display[brand],
                    label=f"{data.brand_display[brand]} ({' + '.join(data.brands[brand])})")
         for brand in data.brands if brand.startswith(key)),
        key=lambda suggestion: suggestion.label,
    )
    return (generics + brands)[:limit]


def expand(reference: str) -> frozenset[str]:
    """A data row's drug reference ("warfarin" or "class:nsaids") as a set of generics."""
    if reference.startswith(CLASS_PREFIX):
        return catalog().classes[reference.removeprefix(CLASS_PREFIX)].members
    return frozenset({name_key(reference)})


def component_names(medications: Sequence[Medication]) -> set[str]:
    return {component for medication in medications for component in medication.components}
