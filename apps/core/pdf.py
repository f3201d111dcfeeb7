"""Printable documents (prescriptions, payment receipts) as PDF, with Urdu as well as Latin.

The fonts in ``apps/core/fonts`` (Noto Sans for Latin, Noto Naskh Arabic for Urdu and
Arabic; SIL Open Font License, see OFL.txt there) are embedded as subsets. Text is shaped
by HarfBuzz through fpdf2, so Urdu letters join and run right to left inside a line of
English, and a document in a right-to-left language is set flush right.

Every piece of text passes ``clean_text`` first: control characters (BEL, ESC, NUL …) and
bidirectional overrides never reach the PDF. A character neither font can draw is never
dropped in silence: ``render(missing=REFUSE)`` raises ``UnprintableText`` naming the kinds
of field that hold one (never the text), ``render(missing=MARK)`` prints U+FFFD in its
place. A block added with ``mark_missing=True`` (a person's name or initials, not clinical
text) always prints U+FFFD. Forms keep clinical text printable with
``undrawable_characters``, the same coverage check.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from apps.core.text import has_bidi_controls

FONT_DIR = Path(__file__).resolve().parent / "fonts"
LATIN, ARABIC = "noto-sans", "noto-naskh-arabic"
FONT_FILES = {
    (LATIN, ""): "NotoSans-Regular.ttf",
    (LATIN, "B"): "NotoSans-Bold.ttf",
    (ARABIC, ""): "NotoNaskhArabic-Regular.ttf",
    (ARABIC, "B"): "NotoNaskhArabic-Bold.ttf",
}

MARGIN = 50  # points; A4 is 595 x 842
LINE_HEIGHT = 1.35  # times the font size
REPLACEMENT = "\ufffd"
FIRST_STRONG_ISOLATE, POP_ISOLATE = "\u2068", "\u2069"

REFUSE, MARK = "refuse", "mark"


class UnprintableText(Exception):
    """Text neither font can draw; ``kinds`` are the callers' field kinds, never the text."""

    def __init__(self, kinds: list[str]) -> None:
        super().__init__(", ".join(kinds))
        self.kinds = kinds


_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n", "\x85": "\n",
                              "\t": " ", "\x0b": " ", "\x0c": " "})


def clean_text(value: object) -> str:
    """The text without control characters or bidi overrides; line breaks become ``\\n``.

    A BEL, ESC or NUL has no business on paper, and an override (U+202E …) would make a
    printed dosage read differently from the stored one.
    """
    text = str(value).replace("\r\n", "\n").translate(_LINE_BREAKS)
    kept = []
    for ch in text:
        if ch == "\n":
            kept.append(ch)
        elif unicodedata.category(ch) in {"Cc", "Cs"} or has_bidi_controls(ch):
            continue
        else:
            kept.append(ch)
    return "".join(kept)


@functools.cache
def _covered() -> frozenset[int]:
    """The code points the regular and bold fonts can all draw."""
    sets = []
    for style in ("", "B"):
        points: set[int] = set()
        for family in (LATIN, ARABIC):
            with TTFont(FONT_DIR / FONT_FILES[family, style], lazy=True) as font:
                points.update(font.getBestCmap())
        sets.append(points)
    return frozenset(sets[0] & sets[1])


def _drawable(ch: str) -> bool:
    if ch in "\n " or ord(ch) in _covered():
        return True
    # Joiners and the like shape the text around them without a glyph of their own.
    return unicodedata.category(ch) == "Cf"


def unprintable(text: str) -> bool:
    return any(not _drawable(ch) for ch in text)


def undrawable_characters(value: object) -> list[str]:
    """The distinct characters of ``value`` neither font can draw, in order of appearance.

    Control characters are left out (``clean_text`` drops them; forms refuse them on their
    own), so this is the check a form runs to keep a document printable.
    """
    found: list[str] = []
    for ch in clean_text(value):
        if not _drawable(ch) and ch not in found:
            found.append(ch)
    return found


def mark_undrawable(value: object) -> str:
    """The text with each character neither font can draw replaced by U+FFFD."""
    return "".join(ch if _drawable(ch) else REPLACEMENT for ch in clean_text(value))


@dataclass
class Block:
    text: str
    size: float = 10
    bold: bool = False
    gap: float = 0  # extra space before the block, in points
    kind: str = "other"
    keep_ltr: bool = False  # a URL or an identifier: set left to right even in Urdu
    # A name or initials: an undrawable character prints as U+FFFD instead of refusing
    # the document (a later name change must not make a signed prescription unprintable).
    mark_missing: bool = False


@dataclass
class Document:
    """A simple flowing document: paragraphs, and an optional image in the top corner.

    ``language`` is a Django language code; a bidi one (Urdu) sets the text flush right
    and puts the image in the top left corner.
    """

    title: str
    language: str = "en"
    rtl: bool = False
    blocks: list[Block] = field(default_factory=list)
    corner_image: bytes | None = None  # a PNG
    corner_size: float = 130

    def add(self, text: object, values: Mapping[str, object] | None = None, *,
            size: float = 10, bold: bool = False, gap: float = 0, kind: str = "other",
            keep_ltr: bool = False, mark_missing: bool = False) -> None:
        """One paragraph: ``text``, a %-format (a translated label) when ``values`` are given.

        In a right-to-left document each value is set in a first-strong isolate, so a date
        or a PMDC number after an Urdu label keeps its own order.
        """
        line = clean_text(text)
        if values is not None:
            line = line % {key: self._value(value) for key, value in values.items()}
        self.blocks.append(Block(line, size, bold, gap, kind, keep_ltr, mark_missing))

    def _value(self, value: object) -> str:
        text = clean_text(value)
        return f"{FIRST_STRONG_ISOLATE}{text}{POP_ISOLATE}" if self.rtl else text

    def heading(self, text: object, *, size: float = 12, gap: float = 10) -> None:
        self.add(text, size=size, bold=True, gap=gap)

    def unprintable_kinds(self) -> list[str]:
        kinds: list[str] = []
        for block in self.blocks:
            if block.kind not in kinds and not block.mark_missing and unprintable(block.text):
                kinds.append(block.kind)
        return kinds

    def render(self, *, missing: str = REFUSE) -> bytes:
        """The PDF bytes. UnprintableText (with ``missing=REFUSE``) for undrawable text."""
        if missing == REFUSE:
            kinds = self.unprintable_kinds()
            if kinds:
                raise UnprintableText(kinds)
        pdf = _new_pdf(self)
        image_bottom = 0.0
        if self.corner_image is not None:
            x = MARGIN if self.rtl else pdf.w - MARGIN - self.corner_size
            pdf.image(io.BytesIO(self.corner_image), x=x, y=MARGIN, w=self.corner_size,
                      h=self.corner_size)
            image_bottom = MARGIN + self.corner_size + 6
        for block in self.blocks:
            text = block.text
            if missing == MARK or block.mark_missing:
                text = "".join(ch if _drawable(ch) else REPLACEMENT for ch in text)
            _write(pdf, self, block, text, beside_image=pdf.page == 1
                   and pdf.get_y() < image_bottom)
        return bytes(pdf.output())


def _new_pdf(document: Document) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="pt", format="A4")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=MARGIN)
    for (family, style), filename in FONT_FILES.items():
        pdf.add_font(family, style, str(FONT_DIR / filename))
    pdf.set_fallback_fonts([ARABIC], exact_match=False)
    pdf.set_text_shaping(use_shaping_engine=True)
    # Only the document's kind and number: the metadata is readable by anyone with the file.
    pdf.set_title(document.title)
    pdf.set_creator("HealthLink")
    pdf.set_lang(document.language)
    pdf.add_page()
    return pdf


def _write(pdf: FPDF, document: Document, block: Block, text: str, *,
           beside_image: bool) -> None:
    if block.gap:
        pdf.ln(block.gap)
    width = pdf.w - 2 * MARGIN
    x = float(MARGIN)
    if beside_image:
        width -= document.corner_size + 10
        if document.rtl:
            x += document.corner_size + 10
    align = Align.R if document.rtl and not block.keep_ltr else Align.L
    # A right-to-left document sets every paragraph right to left (an Urdu label may start
    # with "PMDC"); a left-to-right one lets each paragraph's first letter decide, so an
    # Urdu instruction in an English document still reads right to left.
    direction = ("ltr" if block.keep_ltr else "rtl") if document.rtl else None
    pdf.set_text_shaping(use_shaping_engine=True, direction=direction)
    pdf.set_font(LATIN, "B" if block.bold else "", block.size)
    for paragraph in text.split("\n"):
        # fpdf2 2.8 can lose track of the page's font after a line drawn wholly in the
        # fallback (Urdu) font; the next Latin line then prints with the wrong font's
        # glyphs. Marking the font unset makes it state the font again.
        pdf.current_font_is_set_on_page = False
        pdf.set_x(x)
        pdf.multi_cell(width, block.size * LINE_HEIGHT, paragraph or " ", align=align,
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
