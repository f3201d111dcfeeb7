"""The Urdu catalogue is complete, consistent with its msgids and compiled, and the newer
pages (medical records, break-glass, access log, family history, data export, drug checks)
really render in Urdu. Parses the .po itself: CI may have neither gettext nor polib."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pytest_django import DjangoAssertNumQueries

from apps.audit.models import PhiAction, PhiResource
from apps.audit.services import phi_access_record
from apps.prescriptions.openfda import section_title
from apps.records.models import FamilyMedicalHistory, Relation
from tests.factories import DoctorFactory, PatientFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_FILE = LOCALE_DIR / "ur" / "LC_MESSAGES" / "django.po"

# %(name)s / %(n)d / %s, {name}, and HTML tags: a translation must keep every one of them.
_PRINTF = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")
_BRACE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
URDU_FULL_STOP = "\u06d4"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


def _parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    for start, block in _blocks(text):
        entry = Entry(line=start)
        target: tuple[str, int] | None = None
        for raw in block:
            line = raw
            if line.startswith("#~"):
                entry.obsolete = True
                line = line[2:].lstrip()
            if line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            if line.startswith('"'):
                value = ast.literal_eval(line)
            else:
                value = ast.literal_eval(rest)
                match = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
                target = ("msgstr", int(match.group(1))) if match else (keyword, 0)
            assert target is not None, f"line {start}: text before a keyword"
            name, index = target
            if name == "msgid":
                entry.msgid += value
            elif name == "msgid_plural":
                entry.msgid_plural = (entry.msgid_plural or "") + value
            elif name == "msgctxt":
                entry.msgctxt = (entry.msgctxt or "") + value
            elif name == "msgstr":
                entry.msgstrs[index] = entry.msgstrs.get(index, "") + value
            else:
                raise AssertionError(f"line {start}: unknown keyword {name!r}")
        entries.append(entry)
    return entries


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 1
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not current:
                start = number
            current.append(line)
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return [entry for entry in _parse(PO_FILE.read_text(encoding="utf-8"))
            if entry.msgid and not entry.obsolete]


def _markers(text: str) -> list[str]:
    return sorted(_PRINTF.findall(text) + _BRACE.findall(text) + _TAG.findall(text))


def test_the_header_declares_urdu_utf8_and_two_plural_forms() -> None:
    header = next(entry for entry in _parse(PO_FILE.read_text(encoding="utf-8"))
                  if not entry.msgid).msgstrs[0]

    assert "Language: ur\n" in header
    assert "charset=UTF-8" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header


def test_no_entry_is_fuzzy_or_untranslated(entries: list[Entry]) -> None:
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    empty = [entry.msgid for entry in entries
             if not entry.msgstrs or not all(entry.msgstrs.values())]

    assert len(entries) > 700
    assert fuzzy == []
    assert empty == []


def test_plural_entries_have_both_forms(entries: list[Entry]) -> None:
    plurals = [entry for entry in entries if entry.msgid_plural is not None]

    assert len(plurals) > 10
    assert [entry.msgid for entry in plurals if sorted(entry.msgstrs) != [0, 1]] == []


def test_translations_keep_every_placeholder_and_tag(entries: list[Entry]) -> None:
    broken = []
    for entry in entries:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid,
                                                                      entry.msgid_plural]
        for index, msgstr in entry.msgstrs.items():
            source = sources[min(index, len(sources) - 1)]
            if _markers(msgstr) != _markers(source):
                broken.append((entry.line, entry.msgid))

    assert broken == []


def test_the_compiled_catalogue_matches_the_po_file_including_plurals(
    entries: list[Entry],
) -> None:
    catalog = gettext.translation("django", localedir=LOCALE_DIR, languages=["ur"])
    stale = []
    for entry in entries:
        if entry.msgctxt is not None:
            continue
        if entry.msgid_plural is None:
            if catalog.gettext(entry.msgid) != entry.msgstrs[0]:
                stale.append(entry.msgid)
        elif (catalog.ngettext(entry.msgid, entry.msgid_plural, 1) != entry.msgstrs[0]
              or catalog.ngettext(entry.msgid, entry.msgid_plural, 5) != entry.msgstrs[1]):
            stale.append(entry.msgid)

    assert stale == []


# Looked up through variables, not gettext("literal"): makemessages must not pick up tests.
KEY_STRINGS = {
    "Who accessed my data": "میرے ڈیٹا تک کس نے رسائی کی",
    "Family tree": "خاندانی شجرہ",
    "Log out everywhere": "ہر جگہ سے لاگ آؤٹ کریں",
    "Download my data": "اپنا ڈیٹا ڈاؤن لوڈ کریں",
    "Emergency access to records": "ریکارڈ تک ہنگامی رسائی",
}
ALLERGY_MESSAGE = "%(drug)s matches the recorded allergy to %(allergen)s."
CHILDREN = ("%(n)d child", "%(n)d children")


def test_key_new_strings_render_in_urdu_through_django() -> None:
    lookup, plural = translation.gettext, translation.ngettext
    with translation.override("ur"):
        assert {msgid: lookup(msgid) for msgid in KEY_STRINGS} == KEY_STRINGS
        assert str(section_title("drug_interactions")) == "دواؤں کے باہمی اثرات"
        assert plural(*CHILDREN, 1) % {"n": 1} == "1 بچہ"
        assert plural(*CHILDREN, 3) % {"n": 3} == "3 بچے"
        assert (lookup(ALLERGY_MESSAGE) % {"drug": "Amoxicillin", "allergen": "Penicillin"}
                == "مریض کو Penicillin سے الرجی درج ہے، اور Amoxicillin اس سے مطابقت رکھتی ہے"
                + URDU_FULL_STOP)
    with translation.override("en"):
        assert {msgid: lookup(msgid) for msgid in KEY_STRINGS} == {m: m for m in KEY_STRINGS}


def _urdu(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ur"
    return client


@pytest.mark.django_db
def test_the_access_log_page_renders_in_urdu(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    patient = PatientFactory.create()
    doctor = DoctorFactory.create()
    phi_access_record(actor=doctor, patient=patient, action=PhiAction.VIEW,
                      resource_type=PhiResource.MEDICAL_RECORD, resource_id=41,
                      reason="Follow-up")
    phi_access_record(actor=patient, action=PhiAction.UPDATE,
                      resource_type=PhiResource.PATIENT_PROFILE, resource_id=patient.pk)
    _urdu(client).force_login(patient)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("audit:access_log"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'dir="rtl"' in html
    assert "میرے ڈیٹا تک کس نے رسائی کی" in html  # "Who accessed my data"
    assert "طبی ریکارڈ دیکھا" in html  # "Viewed a medical record"
    assert "آپ کی پروفائل میں تبدیلی کی" in html  # "Changed your profile"
    assert "Who accessed my data" not in html


@pytest.mark.django_db
def test_the_family_history_page_and_tree_render_in_urdu(
    client: Client, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    patient = PatientFactory.create()
    FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.PARENT, age=64,
                                        is_deceased=True, conditions=["Diabetes"])
    _urdu(client).force_login(patient)

    with django_assert_max_num_queries(20):
        response = client.get(reverse("family:mine"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "خاندانی طبی تاریخ" in html  # "Family medical history"
    assert "مریض کا خاندان: 1 والد یا والدہ" + URDU_FULL_STOP in html  # the tree's text summary
    assert "وفات پا چکا ہے" in html  # "is deceased"
    assert "Family tree" not in html
