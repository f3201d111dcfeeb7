"""The shared PDF document helper: cleaning, fonts, Urdu shaping, undrawable text."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from apps.core.pdf import MARK, Document, UnprintableText, clean_text


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize(("raw", "clean"), [
    ("bell\x07", "bell"),
    ("\x1b[2Jred", "[2Jred"),
    ("a\x00b\x7fc\x9bd", "abcd"),
    ("over\u202eride\u202c", "override"),
    ("iso\u2067late\u2069", "isolate"),
    ("one\r\ntwo\rthree\u2028four", "one\ntwo\nthree\nfour"),
    ("tab\there", "tab here"),
    # A zero-width non-joiner stays: Urdu uses it.
    ("نستعلیق\u200cنما", "نستعلیق\u200cنما"),  # noqa: RUF001
])
def test_clean_text_drops_control_characters(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_a_document_embeds_its_fonts_and_shapes_urdu() -> None:
    document = Document(title="Test #1")
    document.add("Patient: محمد علی خان, Amoxicillin 500 mg", bold=True)

    content = document.render()

    reader = PdfReader(io.BytesIO(content))
    fonts = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    names = {str(font.get_object()["/BaseFont"]) for font in fonts.values()}
    assert any("NotoSans" in name for name in names)
    assert any("NotoNaskhArabic" in name for name in names)
    text = text_of(content)
    assert "Amoxicillin 500 mg" in text
    assert "محمد" in text and "خان" in text
    assert reader.metadata is not None and reader.metadata.title == "Test #1"


def test_an_urdu_document_is_set_right_to_left() -> None:
    document = Document(title="Test #2", language="ur", rtl=True)
    document.add("نسخہ")

    content = document.render()

    assert "نسخہ" in text_of(content)


def test_undrawable_text_is_refused_by_kind_or_marked() -> None:
    document = Document(title="Test #3")
    document.add("Name \U0001f600", kind="name")
    document.add("plain", kind="other")

    with pytest.raises(UnprintableText) as refused:
        document.render()
    marked = text_of(document.render(missing=MARK))

    assert refused.value.kinds == ["name"]
    assert "\U0001f600" not in str(refused.value)
    assert "Name \ufffd" in marked


@pytest.mark.parametrize("bold", [False, True])
def test_latin_after_an_urdu_only_line_keeps_its_own_font(bold: bool) -> None:
    document = Document(title="Test #4")
    document.add("Paid to", bold=True)
    document.add("ڈاکٹر عائشہ صدیقی", bold=bold)
    document.add("PMDC number: 12345-P", bold=bold)
    document.add("محمد علی خان " * 12 + "Amoxicillin 500 mg three times a day " * 3)
    document.add("Status: Completed")

    text = text_of(document.render())

    assert "PMDC number: 12345-P" in text
    assert "Status: Completed" in text
    assert "Amoxicillin 500 mg" in text


def test_values_in_a_right_to_left_document_are_isolated_and_cleaned() -> None:
    urdu = Document(title="Test #5", language="ur", rtl=True)
    english = Document(title="Test #5")
    for document in (urdu, english):
        document.add("PMDC نمبر: %(pmdc)s", {"pmdc": "12345-P\u2069\u202e\x07"})

    assert urdu.blocks[0].text == "PMDC نمبر: \u206812345-P\u2069"
    assert english.blocks[0].text == "PMDC نمبر: 12345-P"
    assert "12345-P" in text_of(urdu.render())
