"""The family tree as SVG drawn on the server: deterministic, escaped, accessible.

Rows from the top: grandparents, parents, the patient with their siblings, children. A row
wider than PER_LINE people wraps onto more lines, so twelve siblings stay legible instead of
shrinking into a strip. Every piece of user text goes through format_html, which escapes
it: a name such as `</svg><script>` is drawn as text, never parsed as markup.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.records.family_selectors import condition_key, member_terms
from apps.records.models import FamilyMedicalHistory, Relation

NODE_WIDTH = 176
NODE_HEIGHT = 76
GAP_X = 16
LINE_GAP = 16
GENERATION_GAP = 28
LABEL_HEIGHT = 24
MARGIN = 24
PER_LINE = 6
CONDITIONS_SHOWN = 2
TEXT_X = 10
TEXT_WIDTH = NODE_WIDTH - 2 * TEXT_X  # room for one line of text inside a box
NAME_FONT_SIZE = 14  # bold
DETAIL_FONT_SIZE = 12
ELLIPSIS = "…"
CROSS = " †"

# Estimated advance widths in em of bold sans-serif glyphs, by class, taken at the wide end
# of common faces (DejaVu Sans, Noto Sans, Arial): a line cut to fit by this estimate fits
# in any of them, so "WWWW…" stays inside its box. Regular weight is a little narrower.
_WIDTH_CLASSES: tuple[tuple[float, str], ...] = (
    (0.35, "iljI.,:;'!|"),
    (0.5, " ftr()[]{}-/\\*\"`·†"),
    (0.85, "ABCDEFGHJKLNOPQRSTUVXYZ&#$"),
    (1.1, "mwMW@%ÆŒæœ—…"),
)
_DEFAULT_EM = 0.72  # lowercase letters, digits and most other scripts
_WIDE_EM = 1.05  # full-width (East Asian) characters and emoji
_REGULAR_SCALE = 0.92
_CLASS_EM = {char: em for em, chars in _WIDTH_CLASSES for char in chars}

TITLE_ID = "family-tree-title"
DESC_ID = "family-tree-desc"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Bidirectional embeddings, overrides and isolates: the form refuses them, and any already
# stored are dropped here, so a right-to-left override in a name cannot reverse the text
# after it.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_FSI, _PDI = "\u2068", "\u2069"


def _text(value: object) -> str:
    """User text on one line: no control characters (invalid in XML) or bidi controls,
    single spaces."""
    return " ".join(_CONTROL.sub(" ", _BIDI.sub("", str(value))).split())


def _isolate(value: str) -> str:
    """User text set apart (first-strong isolate) inside a sentence, the node's <title>: an
    Urdu name keeps its own direction without reordering the words around it. (Each <text>
    line holds one piece of user text and is a paragraph of its own.)"""
    return f"{_FSI}{value}{_PDI}" if value else value


def _char_em(char: str) -> float:
    if char in _CLASS_EM:
        return _CLASS_EM[char]
    if unicodedata.combining(char) or unicodedata.category(char) in {"Mn", "Me", "Cf"}:
        return 0.0
    if unicodedata.east_asian_width(char) in {"W", "F"}:
        return _WIDE_EM
    return _DEFAULT_EM


def text_width(value: str, *, font_size: int, bold: bool = False) -> float:
    """The estimated width in pixels of `value` drawn at `font_size`."""
    scale = 1.0 if bold else _REGULAR_SCALE
    return sum(_char_em(char) for char in value) * font_size * scale


def _fit(value: object, *, font_size: int, bold: bool = False, reserve: str = "") -> str:
    """`value` on one line, cut with an ellipsis to fit a box's width with `reserve` after it.

    The cut goes by the estimated width of each glyph, not by a count of characters: ten
    W's take the room of twenty i's.
    """
    text = _text(value)
    room = TEXT_WIDTH - text_width(reserve, font_size=font_size, bold=bold)
    if text_width(text, font_size=font_size, bold=bold) <= room:
        return text
    room -= text_width(ELLIPSIS, font_size=font_size, bold=bold)
    used = 0.0
    cut = 0
    for position, char in enumerate(text):
        used += text_width(char, font_size=font_size, bold=bold)
        if used > room:
            break
        cut = position + 1
    return text[:cut].rstrip() + ELLIPSIS


@dataclass(frozen=True)
class _Node:
    name: str
    detail: str
    conditions: str
    summary: str  # the whole of it, for the node's <title>
    deceased: bool = False
    is_patient: bool = False


@dataclass
class _Generation:
    label: str
    nodes: list[_Node]
    is_children: bool = False
    lines: list[list[tuple[int, int]]] = field(default_factory=list)  # node (x, y) per line

    @property
    def has_patient(self) -> bool:
        return any(node.is_patient for node in self.nodes)


def _distinct_terms(member: FamilyMedicalHistory) -> list[str]:
    """The relative's conditions from all three lists, each once whatever its capitalisation
    or spacing (the first spelling is kept), so the box and its "+N" count no repeats."""
    seen: set[str] = set()
    terms: list[str] = []
    for term in member_terms(member):
        key = condition_key(term)
        if key and key not in seen:
            seen.add(key)
            terms.append(_text(term))
    return terms


def _member_node(member: FamilyMedicalHistory) -> _Node:
    relation = Relation(member.relation).label
    name = _text(member.relation_name or "") or str(relation)
    parts = [str(relation)]
    if member.age is not None:
        parts.append(_("age %(age)d") % {"age": member.age})
    if member.is_deceased:
        parts.append(_("deceased"))
    terms = _distinct_terms(member)
    if terms:
        hidden = len(terms) - CONDITIONS_SHOWN
        more = f" +{hidden}" if hidden > 0 else ""
        brief = _fit(", ".join(terms[:CONDITIONS_SHOWN]), font_size=DETAIL_FONT_SIZE,
                     reserve=more) + more
        listed = _("Conditions: %(conditions)s.") % {
            "conditions": ", ".join(_isolate(term) for term in terms)
        }
    else:
        brief = _("No conditions listed")
        listed = _("No conditions listed.")
    summary = _("%(name)s (%(details)s). %(conditions)s") % {
        "name": _isolate(name), "details": ", ".join(parts), "conditions": listed,
    }
    # The cross marks a death even when the name is cut short: room is kept for it.
    cross = CROSS if member.is_deceased else ""
    shown_name = _fit(name, font_size=NAME_FONT_SIZE, bold=True, reserve=cross) + cross
    return _Node(
        name=shown_name,
        detail=_fit(" · ".join(parts), font_size=DETAIL_FONT_SIZE),
        conditions=brief,
        summary=summary,
        deceased=member.is_deceased,
    )


def _generations(
    members: Sequence[FamilyMedicalHistory], patient_label: str
) -> list[_Generation]:
    by_relation: dict[str, list[_Node]] = {relation: [] for relation in Relation.values}
    for member in sorted(members, key=lambda member: member.pk or 0):
        by_relation[member.relation].append(_member_node(member))
    patient = _Node(
        name=_fit(patient_label, font_size=NAME_FONT_SIZE, bold=True), detail=_("Patient"),
        conditions="", summary=_("%(name)s, the patient.") % {
            "name": _isolate(_text(patient_label))},
        is_patient=True,
    )
    rows = [
        _Generation(_("Grandparents"), by_relation[Relation.GRANDPARENT]),
        _Generation(_("Parents"), by_relation[Relation.PARENT]),
        _Generation(_("Patient and siblings"), [patient, *by_relation[Relation.SIBLING]]),
        _Generation(_("Children"), by_relation[Relation.CHILD], is_children=True),
    ]
    return [row for row in rows if row.nodes]


def _layout(generations: list[_Generation]) -> tuple[int, int]:
    """Place every node; returns the drawing's width and height."""
    columns = max(min(len(row.nodes), PER_LINE) for row in generations)
    width = 2 * MARGIN + columns * NODE_WIDTH + (columns - 1) * GAP_X
    y = MARGIN
    for row in generations:
        y += LABEL_HEIGHT
        for start in range(0, len(row.nodes), PER_LINE):
            count = len(row.nodes[start:start + PER_LINE])
            line_width = count * NODE_WIDTH + (count - 1) * GAP_X
            x = (width - line_width) // 2
            row.lines.append([(x + k * (NODE_WIDTH + GAP_X), y) for k in range(count)])
            y += NODE_HEIGHT + LINE_GAP
        y += GENERATION_GAP - LINE_GAP
    return width, y - GENERATION_GAP + MARGIN


def _connectors(upper: _Generation, lower: _Generation, width: int) -> list[SafeString]:
    """Lines from one generation down to the next.

    A bus runs across the gap under the upper generation's last line, with a drop to each
    person of the lower generation's first line; the lower generation's further lines hang
    from their own buses, joined to it down the right-hand margin. Children come from the
    patient alone, not from the siblings: when siblings wrap below the patient, that line
    runs down the left-hand margin, clear of their boxes.
    """
    bus_y = upper.lines[-1][0][1] + NODE_HEIGHT + GENERATION_GAP // 2
    sources = [(x + NODE_WIDTH // 2, y + NODE_HEIGHT) for x, y in upper.lines[-1]]
    parts: list[SafeString] = []
    if upper.has_patient and lower.is_children:
        x, y = upper.lines[0][0]
        if len(upper.lines) == 1:
            sources = [(x + NODE_WIDTH // 2, y + NODE_HEIGHT)]
        else:
            gutter = MARGIN // 2
            middle = y + NODE_HEIGHT // 2
            parts += [_line(x, middle, gutter, middle), _line(gutter, middle, gutter, bus_y)]
            sources = [(gutter, bus_y)]
    targets = [(x + NODE_WIDTH // 2, y) for x, y in lower.lines[0]]
    xs = [x for x, _ in sources + targets]
    right = max(xs)
    extra_buses = [line[0][1] - LINE_GAP // 2 for line in lower.lines[1:]]
    if extra_buses:
        right = width - MARGIN // 2
        parts.append(_line(right, bus_y, right, extra_buses[-1]))
    parts.append(_line(min(xs), bus_y, right, bus_y))
    parts += [_line(x, y, x, bus_y) for x, y in sources if y != bus_y]
    parts += [_line(x, bus_y, x, y) for x, y in targets]
    for line, line_bus in zip(lower.lines[1:], extra_buses, strict=True):
        centers = [x + NODE_WIDTH // 2 for x, _ in line]
        parts.append(_line(min(centers), line_bus, right, line_bus))
        parts += [_line(x, line_bus, x, line[0][1]) for x in centers]
    return parts


def _line(x1: int, y1: int, x2: int, y2: int) -> SafeString:
    return format_html('<line x1="{}" y1="{}" x2="{}" y2="{}"/>', x1, y1, x2, y2)


def _node(node: _Node, x: int, y: int) -> SafeString:
    if node.is_patient:
        box = format_html('<rect width="{}" height="{}" rx="8" fill="#e8f1fb" stroke="#1d5fa8"'
                          ' stroke-width="2.5"/>', NODE_WIDTH, NODE_HEIGHT)
    elif node.deceased:
        box = format_html('<rect width="{}" height="{}" rx="8" fill="#f0f0f0" stroke="#5f6b76"'
                          ' stroke-width="1.5" stroke-dasharray="6 4"/>', NODE_WIDTH, NODE_HEIGHT)
    else:
        box = format_html('<rect width="{}" height="{}" rx="8" fill="#ffffff" stroke="#5f6b76"'
                          ' stroke-width="1.5"/>', NODE_WIDTH, NODE_HEIGHT)
    return format_html(
        '<g class="family-tree-node{}" transform="translate({} {})"><title>{}</title>{}'
        '<text x="{}" y="22" font-size="{}" font-weight="600" fill="#1a1a1a">{}</text>'
        '<text x="{}" y="42" font-size="{}" fill="#33404c">{}</text>'
        '<text x="{}" y="62" font-size="{}" fill="#5c3b00">{}</text></g>',
        " family-tree-deceased" if node.deceased else "", x, y, node.summary, box,
        TEXT_X, NAME_FONT_SIZE, node.name, TEXT_X, DETAIL_FONT_SIZE, node.detail,
        TEXT_X, DETAIL_FONT_SIZE, node.conditions,
    )


def _description(members: Sequence[FamilyMedicalHistory]) -> str:
    counts = {relation: 0 for relation in Relation.values}
    deceased = 0
    for member in members:
        counts[member.relation] += 1
        deceased += member.is_deceased
    if not members:
        return _("No relatives have been added yet; the tree shows only the patient.")
    parts = [
        ngettext("%(n)d grandparent", "%(n)d grandparents", counts[Relation.GRANDPARENT]),
        ngettext("%(n)d parent", "%(n)d parents", counts[Relation.PARENT]),
        ngettext("%(n)d sibling", "%(n)d siblings", counts[Relation.SIBLING]),
        ngettext("%(n)d child", "%(n)d children", counts[Relation.CHILD]),
    ]
    numbers = [counts[Relation.GRANDPARENT], counts[Relation.PARENT],
               counts[Relation.SIBLING], counts[Relation.CHILD]]
    listed = ", ".join(part % {"n": n} for part, n in zip(parts, numbers, strict=True) if n)
    text = _("The patient's family: %(listed)s.") % {"listed": listed}
    if deceased:
        text += " " + ngettext(
            "%(n)d is deceased, drawn with a dashed border and a cross.",
            "%(n)d are deceased, drawn with a dashed border and a cross.", deceased,
        ) % {"n": deceased}
    return text


def family_tree_svg(
    members: Sequence[FamilyMedicalHistory], *, patient_label: str
) -> SafeString:
    """The tree of `members` around the patient, named `patient_label`, as inline SVG."""
    generations = _generations(members, patient_label)
    width, height = _layout(generations)
    parts: list[SafeString] = []
    for upper, lower in pairwise(generations):
        parts += _connectors(upper, lower, width)
    body: list[SafeString] = [
        format_html('<g stroke="#8795a1" stroke-width="1.5">{}</g>',
                    format_html_join("", "{}", ((part,) for part in parts)))
    ]
    for row in generations:
        label_y = row.lines[0][0][1] - 8
        body.append(format_html(
            '<text x="{}" y="{}" font-size="13" font-weight="600" fill="#33404c"'
            ' stroke="#ffffff" stroke-width="4" paint-order="stroke">{}</text>',
            MARGIN, label_y, row.label,
        ))
        nodes = [node for line in row.lines for node in line]
        body += [_node(node, x, y) for node, (x, y) in zip(row.nodes, nodes, strict=True)]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="family-tree" role="img"'
        ' aria-labelledby="{} {}" viewBox="0 0 {} {}" width="{}" height="{}"'
        ' direction="ltr" font-family="system-ui, sans-serif">'
        '<title id="{}">{}</title><desc id="{}">{}</desc>{}</svg>',
        TITLE_ID, DESC_ID, width, height, width, height,
        TITLE_ID, _("Family tree"), DESC_ID, _description(members),
        format_html_join("", "{}", ((part,) for part in body)),
    )
