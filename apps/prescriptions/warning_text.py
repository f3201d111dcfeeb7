"""Warning messages in the reader's language, from the structured fields of a stored row.

Rows keep their message in English, the canonical language (``canonical_fields``), with
the structured fields next to it (type, severity, drug_a, drug_b, source). A page shows
``display_message``: for an OFFLINE row the bundled check is run again for that pair (or
that medication and allergen) in the active language and the matching warning's text is
used; for an OPENFDA row the English framing is parsed and re-rendered, the label's
section and set id kept as they are. A row that cannot be matched (an older row saved in
another language, a table that changed since) shows its stored text. Nothing is written:
the rows of a signed prescription stay as they were signed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from django.utils import translation

from apps.prescriptions import interactions, openfda
from apps.prescriptions.interactions import DrugWarning
from apps.prescriptions.models import PrescriptionWarning, WarningSource, WarningType

CANONICAL_LANGUAGE = "en"

T = TypeVar("T")

# How openfda.OnlineCheckResult.warnings + DrugWarning.model_fields word a row in English.
_OPENFDA_ENGLISH = re.compile(
    r"^The FDA label for (?P<label_drug>.+) mentions (?P<other>.+) under (?P<section>[^.]+)\. "
    r"Source: openFDA drug label set_id (?P<set_id>\S+), (?P=section)\.$",
    re.DOTALL,
)


def canonical(build: Callable[[], T]) -> T:
    """``build()`` with English active: what rows store, whoever saves them."""
    with translation.override(CANONICAL_LANGUAGE):
        return build()


def _matching(warnings: Sequence[DrugWarning], row: PrescriptionWarning,
              *, same_drug_b: bool) -> str | None:
    for warning in warnings:
        if (warning.warning_type == row.warning_type and warning.severity == row.severity
                and warning.drug_a == (row.drug_a or "")
                and (not same_drug_b or warning.drug_b == (row.drug_b or ""))):
            return warning.model_fields()["message"]
    return None


def _offline(row: PrescriptionWarning) -> str | None:
    if not row.drug_a or not row.drug_b:
        return None
    if row.warning_type == WarningType.ALLERGY:
        # drug_b is the canonical allergen (English); the re-rendered label may be
        # translated, so only type, severity and medication are compared.
        found = interactions.check_allergies([row.drug_a], row.drug_b)
        return _matching(found, row, same_drug_b=False)
    result = interactions.check_interactions([row.drug_a, row.drug_b])
    return _matching(result.warnings, row, same_drug_b=True)


def _section_key(title: str) -> str | None:
    with translation.override(CANONICAL_LANGUAGE):
        titles = {openfda.section_title(key): key for key in openfda.SECTIONS}
    return titles.get(title)


def _openfda(row: PrescriptionWarning) -> str | None:
    match = _OPENFDA_ENGLISH.match(row.message or "")
    section = _section_key(match.group("section")) if match else None
    if match is None or section is None:
        return None
    finding = openfda.LabelFinding(label_drug=match.group("label_drug"),
                                   other=match.group("other"), section=section,
                                   set_id=match.group("set_id"))
    [warning] = openfda.OnlineCheckResult(status=openfda.OnlineStatus.OK,
                                          findings=(finding,)).warnings([])
    return warning.model_fields()["message"]


def display_message(row: PrescriptionWarning) -> str:
    """The row's message in the active language, or as stored when it cannot be rebuilt."""
    rebuilt = _openfda(row) if row.source == WarningSource.OPENFDA else _offline(row)
    return rebuilt or row.message


def with_display_messages(rows: Sequence[PrescriptionWarning]) -> list[PrescriptionWarning]:
    """The rows, each with ``display_message`` set for the template."""
    for row in rows:
        row.display_message = display_message(row)  # type: ignore[attr-defined]
    return list(rows)
