"""The online half of the drug checks: openFDA drug labels (``/drug/label.json``).

For each ingredient in the list the client fetches its label(s) and scans the sections
``boxed_warning``, ``contraindications``, ``drug_interactions`` and ``warnings`` (and
``warnings_and_cautions``, the same section in newer labels) for whole-word mentions of the
other medications — by generic name, the label's US name, the bundled synonyms and
single-ingredient brands, and the names of their drug classes ("NSAIDs").

Severity rule for a mention (a mention is a signal, not a graded interaction, so it never
reaches CRITICAL; the bundled table carries the clinical grading):

    boxed_warning, contraindications  → CONTRAINDICATION, HIGH
    drug_interactions                 → INTERACTION, MEDIUM
    warnings, warnings_and_cautions   → INTERACTION, LOW

One finding per pair of entered medications, from the strongest section that mentions it.

Outcomes are explicit: ``OnlineStatus`` says whether the check ran, and only
``OnlineCheckResult.may_report_none_found`` allows a caller to say nothing was found.
A 404 NOT_FOUND means "no label" (not an error, not "no interactions"); a 429
OVER_RATE_LIMIT is RATE_LIMITED; timeouts, refused connections, 5xx and malformed
responses are UNAVAILABLE. Labels (and "no label") are cached; failures never are.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from apps.prescriptions import drugs
from apps.prescriptions.drugs import Medication
from apps.prescriptions.interactions import SOURCE_OPENFDA, DrugWarning
from apps.prescriptions.models import Severity, WarningType

logger = logging.getLogger(__name__)

LABEL_PATH = "/drug/label.json"
CACHE_VERSION = "v1"

# Strongest first: a pair is reported once, from the first section that mentions it.
SECTIONS: tuple[str, ...] = (
    "boxed_warning", "contraindications", "drug_interactions", "warnings_and_cautions",
    "warnings",
)
SECTION_RULES: dict[str, tuple[str, str]] = {
    "boxed_warning": (WarningType.CONTRAINDICATION.value, Severity.HIGH.value),
    "contraindications": (WarningType.CONTRAINDICATION.value, Severity.HIGH.value),
    "drug_interactions": (WarningType.INTERACTION.value, Severity.MEDIUM.value),
    "warnings_and_cautions": (WarningType.INTERACTION.value, Severity.LOW.value),
    "warnings": (WarningType.INTERACTION.value, Severity.LOW.value),
}


class LabelStatus(StrEnum):
    FOUND = "FOUND"
    NO_LABEL = "NO_LABEL"
    RATE_LIMITED = "RATE_LIMITED"
    UNAVAILABLE = "UNAVAILABLE"
    DISABLED = "DISABLED"


class OnlineStatus(StrEnum):
    """Whether the online check ran. Only OK with no findings means "nothing found"."""

    OK = "OK"  # every ingredient's label was fetched and scanned
    PARTIAL = "PARTIAL"  # some labels scanned; others missing or failed (see no_label/failed)
    NO_LABELS = "NO_LABELS"  # nothing scanned: no label for any ingredient, or none known
    RATE_LIMITED = "RATE_LIMITED"  # nothing scanned: openFDA refused with 429
    UNAVAILABLE = "UNAVAILABLE"  # nothing scanned: timeout, refused connection, bad answer
    DISABLED = "DISABLED"  # OPENFDA_BASE_URL is not set; the check never runs


@dataclass(frozen=True)
class LabelLookup:
    """The label text openFDA holds for one ingredient, or why there is none."""

    name: str
    status: LabelStatus
    # (section, set_id of the label it came from, text)
    sections: tuple[tuple[str, str, str], ...] = ()
    set_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status.value,
            "sections": [list(pair) for pair in self.sections], "set_ids": list(self.set_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelLookup:
        return cls(
            name=data["name"], status=LabelStatus(data["status"]),
            sections=tuple((section, set_id, text) for section, set_id, text in data["sections"]),
            set_ids=tuple(data["set_ids"]),
        )


@dataclass(frozen=True)
class LabelFinding:
    """Medication ``label_drug``'s label mentions medication ``other`` in ``section``.

    Both are the medications' normalized texts, so a stored result can be shown again for
    the same list typed slightly differently ("Panadol 500mg" and "Panadol 650 mg").
    """

    label_drug: str
    other: str
    section: str
    set_id: str

    @property
    def warning_type(self) -> str:
        return SECTION_RULES[self.section][0]

    @property
    def severity(self) -> str:
        return SECTION_RULES[self.section][1]


@dataclass(frozen=True)
class OnlineCheckResult:
    status: OnlineStatus
    findings: tuple[LabelFinding, ...] = ()
    checked: tuple[str, ...] = ()
    no_label: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @property
    def ran(self) -> bool:
        """True when at least one label was actually scanned."""
        return self.status in {OnlineStatus.OK, OnlineStatus.PARTIAL}

    @property
    def may_report_none_found(self) -> bool:
        """The only case in which a caller may say "no interactions found online"."""
        return self.status == OnlineStatus.OK and not self.findings

    @property
    def should_retry(self) -> bool:
        return bool(self.failed) and self.status != OnlineStatus.DISABLED

    def warnings(self, medication_names: Sequence[str]) -> tuple[DrugWarning, ...]:
        """Findings as warnings, in the active language, named as in ``medication_names``."""
        entered: dict[str, str] = {}
        for medication in drugs.normalize_all(medication_names):
            entered.setdefault(medication.text, medication.entered)
        result = []
        for finding in self.findings:
            label_drug = entered.get(finding.label_drug, finding.label_drug)
            other = entered.get(finding.other, finding.other)
            section = section_title(finding.section)
            result.append(DrugWarning(
                warning_type=finding.warning_type, severity=finding.severity,
                drug_a=label_drug, drug_b=other,
                message=_("The FDA label for %(label_drug)s mentions %(other)s under "
                          "%(section)s.") % {
                    "label_drug": label_drug, "other": other, "section": section,
                },
                mechanism=_("Named in the label's %(section)s section; read the label for "
                            "the details.") % {"section": section},
                citation=f"openFDA drug label set_id {finding.set_id}, {section}",
                source=SOURCE_OPENFDA,
            ))
        return tuple(result)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "findings": [
                [f.label_drug, f.other, f.section, f.set_id] for f in self.findings
            ],
            "checked": list(self.checked), "no_label": list(self.no_label),
            "failed": list(self.failed),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OnlineCheckResult:
        return cls(
            status=OnlineStatus(data["status"]),
            findings=tuple(LabelFinding(*row) for row in data["findings"]),
            checked=tuple(data["checked"]), no_label=tuple(data["no_label"]),
            failed=tuple(data["failed"]),
        )


def section_title(section: str) -> str:
    titles = {
        "boxed_warning": _("Boxed Warning"),
        "contraindications": _("Contraindications"),
        "drug_interactions": _("Drug Interactions"),
        "warnings_and_cautions": _("Warnings and Precautions"),
        "warnings": _("Warnings"),
    }
    return titles[section]


# --- HTTP client ----------------------------------------------------------------------------


def _error_code(response: requests.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def _label_cache_key(name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return f"openfda:label:{CACHE_VERSION}:{digest}"


class OpenFDAClient:
    """Fetches and caches labels. One ``requests.Session`` per client; close it when done."""

    def __init__(
        self, *, base_url: str | None = None, api_key: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        base = settings.OPENFDA_BASE_URL if base_url is None else base_url
        self.base_url = base.rstrip("/")
        self.api_key = settings.OPENFDA_API_KEY if api_key is None else api_key
        self.timeout = (
            settings.OPENFDA_CONNECT_TIMEOUT_SECONDS, settings.OPENFDA_READ_TIMEOUT_SECONDS,
        )
        self.session = session or requests.Session()
        self.session.headers.setdefault("Accept", "application/json")

    @property
    def enabled(self) -> bool:
        return bool(self.base_url)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> OpenFDAClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def label(self, name: str) -> LabelLookup:
        """The label of one ingredient, from the cache when it was fetched before."""
        if not self.enabled:
            return LabelLookup(name=name, status=LabelStatus.DISABLED)
        key = _label_cache_key(name)
        try:
            cached = cache.get(key)
        except RedisError:
            logger.warning("openfda label cache unreachable: fetching without it")
            cached = None
        if cached is not None:
            return LabelLookup.from_dict(cached)
        lookup = self._fetch(name)
        if lookup.status in {LabelStatus.FOUND, LabelStatus.NO_LABEL}:
            try:
                cache.set(key, lookup.to_dict(), timeout=settings.OPENFDA_CACHE_SECONDS)
            except RedisError:
                logger.warning("openfda label cache unreachable: label not cached")
        return lookup

    def _fetch(self, name: str) -> LabelLookup:
        search_name = drugs.label_search_name(name)
        params: dict[str, str | int] = {
            "search": f'openfda.generic_name:"{search_name}"',
            "limit": settings.OPENFDA_LABELS_PER_DRUG,
        }
        if self.api_key:
            params["api_key"] = self.api_key
        started = time.monotonic()
        try:
            response = self.session.get(
                f"{self.base_url}{LABEL_PATH}", params=params, timeout=self.timeout,
            )
        except requests.Timeout:
            logger.warning("openfda label lookup timed out after_ms=%d",
                           (time.monotonic() - started) * 1000)
            return LabelLookup(name=name, status=LabelStatus.UNAVAILABLE)
        except requests.RequestException as exc:
            logger.warning("openfda label lookup failed error=%s", type(exc).__name__)
            return LabelLookup(name=name, status=LabelStatus.UNAVAILABLE)
        with response:
            return self._parse(name, response, started)

    def _parse(self, name: str, response: requests.Response, started: float) -> LabelLookup:
        elapsed_ms = (time.monotonic() - started) * 1000
        if response.status_code == 429:
            logger.warning("openfda rate limited code=%s", _error_code(response))
            return LabelLookup(name=name, status=LabelStatus.RATE_LIMITED)
        if response.status_code == 404 and _error_code(response) == "NOT_FOUND":
            logger.info("openfda label lookup status=no_label duration_ms=%d", elapsed_ms)
            return LabelLookup(name=name, status=LabelStatus.NO_LABEL)
        if response.status_code != 200:
            logger.warning("openfda label lookup http_status=%s", response.status_code)
            return LabelLookup(name=name, status=LabelStatus.UNAVAILABLE)
        try:
            body = response.json()
            results = body["results"]
            if not isinstance(results, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            logger.warning("openfda label lookup returned a malformed body")
            return LabelLookup(name=name, status=LabelStatus.UNAVAILABLE)
        sections: list[tuple[str, str, str]] = []
        set_ids: list[str] = []
        for label in results:
            if not isinstance(label, dict):
                continue
            set_id = str(label.get("set_id") or label.get("id") or "unknown")
            set_ids.append(set_id)
            for section in SECTIONS:
                texts = label.get(section) or []
                if isinstance(texts, str):
                    texts = [texts]
                sections.extend(
                    (section, set_id, text) for text in texts if isinstance(text, str)
                )
        if not set_ids:
            return LabelLookup(name=name, status=LabelStatus.NO_LABEL)
        logger.info("openfda label lookup status=found labels=%d duration_ms=%d",
                    len(set_ids), elapsed_ms)
        return LabelLookup(
            name=name, status=LabelStatus.FOUND, sections=tuple(sections),
            set_ids=tuple(set_ids),
        )


# --- The check ------------------------------------------------------------------------------


def _terms_for(medication: Medication) -> set[str]:
    """Whole-word names under which a label may mention this medication."""
    catalog = drugs.catalog()
    terms: set[str] = set(medication.unknown)
    for component in medication.components:
        terms.update(drugs.aliases_of(component))
        terms.add(drugs.label_search_name(component))
        for class_key in drugs.classes_of(component):
            terms.update(catalog.classes[class_key].terms)
    return {term for term in terms if term}


def _lookup_names(medication: Medication) -> tuple[str, ...]:
    # Only generic names from the bundled list are sent: free text typed into the form
    # never leaves the server. Unknown names are still looked for in the labels fetched.
    # LIMITATION: a drug missing from the bundled list gets no label of its own — it
    # matters until the list covers it; the offline result already reports it as unknown.
    return medication.components


def _status(
    *, checked: Sequence[str], missing: bool, failures: dict[str, LabelStatus]
) -> OnlineStatus:
    if checked:
        return OnlineStatus.PARTIAL if (missing or failures) else OnlineStatus.OK
    if not failures:
        return OnlineStatus.NO_LABELS
    if LabelStatus.RATE_LIMITED in failures.values():
        return OnlineStatus.RATE_LIMITED
    return OnlineStatus.UNAVAILABLE


def check_online(
    medication_names: Sequence[str], *, client: OpenFDAClient | None = None
) -> OnlineCheckResult:
    """Scan each medication's openFDA label for the others in the list."""
    medications = drugs.normalize_all(medication_names)
    if len({m.text for m in medications}) < 2:
        # A single medication has nothing to interact with; nothing needs fetching.
        return OnlineCheckResult(status=OnlineStatus.OK)
    own_client = client is None
    active = client or OpenFDAClient()
    try:
        if not active.enabled:
            return OnlineCheckResult(status=OnlineStatus.DISABLED)
        return _check(medications, active)
    finally:
        if own_client:
            active.close()


def _fetch_labels(
    medications: Sequence[Medication], client: OpenFDAClient
) -> tuple[dict[str, LabelLookup], dict[str, LabelStatus]]:
    labels: dict[str, LabelLookup] = {}
    failures: dict[str, LabelStatus] = {}
    for medication in medications:
        for name in _lookup_names(medication):
            if name in labels or name in failures:
                continue
            if LabelStatus.RATE_LIMITED in failures.values():
                # Asking again right after a 429 only extends the ban.
                failures[name] = LabelStatus.RATE_LIMITED
                continue
            lookup = client.label(name)
            if lookup.status in {LabelStatus.FOUND, LabelStatus.NO_LABEL}:
                labels[name] = lookup
            else:
                failures[name] = lookup.status
    return labels, failures


def _check(medications: Sequence[Medication], client: OpenFDAClient) -> OnlineCheckResult:
    labels, failures = _fetch_labels(medications, client)
    found = {name: lookup for name, lookup in labels.items()
             if lookup.status == LabelStatus.FOUND}
    # Each section's text is normalized once, then searched for every other medication.
    scanned = {
        name: [(section, set_id, f" {drugs.name_key(text)} ")
               for section, set_id, text in lookup.sections]
        for name, lookup in found.items()
    }
    order = {section: position for position, section in enumerate(SECTIONS)}
    findings: dict[frozenset[str], LabelFinding] = {}
    for medication in medications:
        for other in medications:
            if other.text == medication.text or set(other.components) & set(
                medication.components
            ):
                continue  # the same ingredient twice is the offline check's duplicate
            terms = [f" {term} " for term in _terms_for(other)]
            for name in _lookup_names(medication):
                finding = _first_mention(medication, other, scanned.get(name, []), terms)
                pair = frozenset({medication.text, other.text})
                current = findings.get(pair)
                if finding and (current is None or order[finding.section] < order[
                    current.section
                ]):
                    findings[pair] = finding

    no_label = sorted(name for name, lookup in labels.items()
                      if lookup.status == LabelStatus.NO_LABEL)
    # A medication not (fully) resolved had no label of its own read: the check is partial.
    missing = bool(no_label) or any(not m.is_known for m in medications)
    return OnlineCheckResult(
        status=_status(checked=sorted(found), missing=missing, failures=failures),
        findings=tuple(sorted(
            findings.values(), key=lambda f: (order[f.section], f.label_drug, f.other),
        )),
        checked=tuple(sorted(found)), no_label=tuple(no_label),
        failed=tuple(sorted(failures)),
    )


def _first_mention(
    medication: Medication, other: Medication, sections: list[tuple[str, str, str]],
    terms: list[str],
) -> LabelFinding | None:
    for section in SECTIONS:
        for name, set_id, padded in sections:
            if name == section and any(term in padded for term in terms):
                return LabelFinding(
                    label_drug=medication.text, other=other.text, section=section,
                    set_id=set_id,
                )
    return None


# --- Stored outcomes (what the Celery task leaves for the page) -----------------------------


def check_cache_key(medication_names: Sequence[str]) -> str:
    texts = sorted({m.text for m in drugs.normalize_all(medication_names)})
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:32]
    return f"openfda:check:{CACHE_VERSION}:{digest}"


class CacheUnreachable(Exception):
    """Redis is down: the stored outcome cannot be read (the page shows the offline check)."""


def store_check(medication_names: Sequence[str], result: OnlineCheckResult) -> None:
    try:
        cache.set(
            check_cache_key(medication_names), result.to_dict(),
            timeout=settings.OPENFDA_CACHE_SECONDS,
        )
    except RedisError:
        logger.warning("openfda check outcome not cached: cache unreachable")


def cached_check(medication_names: Sequence[str]) -> OnlineCheckResult | None:
    """The stored outcome for this list, or None when the check has not run yet.

    CacheUnreachable when Redis is down: the caller says the online check is unavailable.
    """
    try:
        data = cache.get(check_cache_key(medication_names))
    except RedisError:
        logger.warning("openfda check outcome unreadable: cache unreachable")
        raise CacheUnreachable from None
    return OnlineCheckResult.from_dict(data) if data is not None else None
