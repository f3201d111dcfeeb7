"""The family tree SVG: escaped, well-formed, accessible, deterministic, legible when large."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from apps.records.family_tree import (
    MARGIN,
    NODE_HEIGHT,
    NODE_WIDTH,
    PER_LINE,
    TEXT_WIDTH,
    TEXT_X,
    family_tree_svg,
    text_width,
)
from apps.records.models import FamilyMedicalHistory, Relation

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '</svg><script>alert("x")</script><img src=x onerror=alert(1)> & \'q\''


def relative(relation: str, pk: int, name: str | None = None, **fields: object
             ) -> FamilyMedicalHistory:
    return FamilyMedicalHistory(pk=pk, relation=relation, relation_name=name, **fields)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, checked for well-formedness


def attr(element: ET.Element, name: str) -> str:
    value = element.get(name)
    assert value is not None, name
    return value


def child(element: ET.Element, tag: str) -> ET.Element:
    found = element.find(f"{SVG}{tag}")
    assert found is not None, tag
    return found


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def node_groups(root: ET.Element) -> list[ET.Element]:
    return [group for group in root.iter(f"{SVG}g")
            if "family-tree-node" in group.get("class", "")]


def node_boxes(root: ET.Element) -> list[tuple[int, int]]:
    boxes = []
    for group in node_groups(root):
        x, y = re.findall(r"-?\d+", attr(group, "transform"))
        boxes.append((int(x), int(y)))
    return boxes


def test_user_text_cannot_break_out_of_the_svg() -> None:
    members = [
        relative(Relation.PARENT, 1, HOSTILE, conditions=[HOSTILE], is_deceased=True, age=70),
        relative(Relation.SIBLING, 2, "Sara", genetic_conditions=["</svg><script>x()</script>"]),
    ]

    svg = str(family_tree_svg(members, patient_label=HOSTILE))

    assert "<script" not in svg
    assert "<img" not in svg
    assert svg.count("</svg>") == 1 and svg.endswith("</svg>")
    root = parse(svg)  # well-formed XML: nothing closed the document early
    texts = [text(element) for element in root.iter(f"{SVG}title")]
    assert any(HOSTILE in text for text in texts)  # drawn as text, in full, in the titles


def test_it_is_labelled_for_assistive_technology() -> None:
    members = [relative(Relation.PARENT, 1, "Amna", is_deceased=True),
               relative(Relation.CHILD, 2, "Zain")]

    root = parse(str(family_tree_svg(members, patient_label="You")))

    assert root.get("role") == "img"
    title_id, desc_id = attr(root, "aria-labelledby").split()
    assert attr(child(root, "title"), "id") == title_id
    desc = child(root, "desc")
    assert attr(desc, "id") == desc_id
    assert "1 parent" in text(desc) and "1 child" in text(desc)
    assert "1 is deceased" in text(desc)


def test_it_draws_only_the_patient_when_there_are_no_relatives() -> None:
    root = parse(str(family_tree_svg([], patient_label="You")))

    assert len(node_boxes(root)) == 1
    assert "No relatives" in text(child(root, "desc"))


def test_generations_are_drawn_top_down_and_deceased_are_marked() -> None:
    members = [
        relative(Relation.CHILD, 1, "Zain"),
        relative(Relation.GRANDPARENT, 2, "Dada", is_deceased=True, age=88),
        relative(Relation.PARENT, 3, "Abbu"),
        relative(Relation.SIBLING, 4, "Sara"),
    ]

    root = parse(str(family_tree_svg(members, patient_label="You")))

    rows = {}
    for group in node_groups(root):
        name = text(child(group, "text"))
        rows[name] = int(re.findall(r"\d+", attr(group, "transform"))[1])
        if name.startswith("Dada"):
            assert "family-tree-deceased" in attr(group, "class")
            assert child(group, "rect").get("stroke-dasharray")
    assert rows["Dada †"] < rows["Abbu"] < rows["You"] == rows["Sara"] < rows["Zain"]


def test_twelve_siblings_wrap_onto_lines_without_overlap_inside_the_drawing() -> None:
    members = [relative(Relation.SIBLING, n, f"Sibling {n}") for n in range(1, 13)]

    root = parse(str(family_tree_svg(members, patient_label="You")))

    boxes = node_boxes(root)
    width = int(attr(root, "width"))
    height = int(attr(root, "height"))
    assert len(boxes) == 13
    assert len({y for _, y in boxes}) == 3  # 6 + 6 + 1 people a line
    assert width <= 2 * MARGIN + PER_LINE * (NODE_WIDTH + 16)
    for x, y in boxes:
        assert x >= 0 and x + NODE_WIDTH <= width
        assert y >= 0 and y + NODE_HEIGHT <= height
    for i, (x1, y1) in enumerate(boxes):
        for x2, y2 in boxes[i + 1:]:
            assert abs(x1 - x2) >= NODE_WIDTH or abs(y1 - y2) >= NODE_HEIGHT


def test_long_names_and_condition_lists_are_shortened_in_the_boxes() -> None:
    long_name = "Muhammad Abdul Rehman Qureshi Siddiqui"
    member = relative(Relation.PARENT, 1, long_name,
                      conditions=["Asthma", "Diabetes", "Gout", "Migraine"])

    root = parse(str(family_tree_svg([member], patient_label="You")))

    group = next(g for g in node_groups(root) if "Muhammad" in text(g))
    name, _, conditions = (text(line) for line in group.findall(f"{SVG}text"))
    assert name.endswith("…") and len(name) <= 17
    assert conditions == "Asthma, Diabetes +2"
    assert long_name in text(child(group, "title"))


def test_the_same_family_draws_the_same_svg() -> None:
    members = [relative(Relation.SIBLING, n, f"S{n}", conditions=["Asthma"]) for n in (3, 1, 2)]

    first = family_tree_svg(members, patient_label="You")
    second = family_tree_svg(list(reversed(members)), patient_label="You")

    assert first == second


def test_a_deceased_relative_keeps_the_cross_when_the_name_is_cut() -> None:
    member = relative(Relation.GRANDPARENT, 1, "Abdul Rehman Qureshi Siddiqui", is_deceased=True)

    root = parse(str(family_tree_svg([member], patient_label="You")))

    group = next(g for g in node_groups(root) if "Abdul" in text(g))
    assert text(child(group, "text")).endswith("… †")


# Advance widths (em) of bold sans-serif glyphs in Arial, the narrowest common face: a line
# wider than this is wider than its box in every face.
W_EM, M_EM, ELLIPSIS_EM, CROSS_EM = 0.94, 0.83, 1.0, 0.28 + 0.55


def node_lines(svg: str, needle: str) -> list[ET.Element]:
    group = next(g for g in node_groups(parse(svg)) if needle in text(g))
    return group.findall(f"{SVG}text")


def test_a_name_of_wide_letters_is_cut_to_the_box_width_not_a_character_count() -> None:
    members = [relative(Relation.PARENT, 1, "W" * 255), relative(Relation.SIBLING, 2, "i" * 255)]

    svg = str(family_tree_svg(members, patient_label="W" * 40))

    wide = text(node_lines(svg, "WWW…")[0])
    narrow = text(node_lines(svg, "iii")[0])
    patient = text(node_lines(svg, "the patient.")[0])
    for name in (wide, patient):
        assert name.endswith("…") and set(name[:-1]) == {"W"}
        assert TEXT_X + (name.count("W") * W_EM + ELLIPSIS_EM) * 14 <= NODE_WIDTH - TEXT_X
    assert narrow.endswith("…") and len(narrow) > 2 * len(wide)
    assert text_width(narrow, font_size=14, bold=True) <= TEXT_WIDTH


def test_a_deceased_relatives_cross_stays_inside_the_box_after_a_wide_name() -> None:
    member = relative(Relation.GRANDPARENT, 1, "W" * 255, is_deceased=True)

    svg = str(family_tree_svg([member], patient_label="You"))

    name = text(node_lines(svg, "WWW")[0])
    assert name.endswith("… †")
    assert TEXT_X + (name.count("W") * W_EM + ELLIPSIS_EM + CROSS_EM) * 14 <= NODE_WIDTH - TEXT_X


def test_a_short_deceased_name_is_kept_whole_with_its_cross() -> None:
    member = relative(Relation.PARENT, 1, "Nana", is_deceased=True)

    svg = str(family_tree_svg([member], patient_label="You"))

    assert text(node_lines(svg, "Nana")[0]) == "Nana †"


def test_wide_condition_names_are_cut_to_the_box_width_and_keep_the_counter() -> None:
    member = relative(Relation.PARENT, 1, "Ammi",
                      conditions=["M" * 100, "Asthma", "Gout", "Migraine"])

    svg = str(family_tree_svg([member], patient_label="You"))

    lines = [text(line) for line in node_lines(svg, "Ammi")]
    assert lines[2].endswith("… +2")
    assert TEXT_X + (lines[2].count("M") * M_EM + ELLIPSIS_EM) * 12 <= NODE_WIDTH - TEXT_X
    for line in lines:
        assert text_width(line, font_size=12) <= TEXT_WIDTH


def test_a_condition_in_several_lists_shows_once_and_is_counted_once() -> None:
    member = relative(Relation.PARENT, 1, "Ammi", conditions=["Diabetes", "Asthma"],
                      chronic_diseases=["diabetes", " Asthma "],
                      genetic_conditions=["DIABETES", "Thalassemia"])

    svg = str(family_tree_svg([member], patient_label="You"))

    lines = node_lines(svg, "Ammi")
    assert text(lines[2]) == "Diabetes, Asthma +1"
    title = text(child(next(g for g in node_groups(parse(svg)) if "Ammi" in text(g)), "title"))
    bare = title.replace("\u2068", "").replace("\u2069", "")  # bidi isolates around terms
    assert "Conditions: Diabetes, Asthma, Thalassemia." in bare


def test_children_hang_from_the_patient_not_from_wrapped_siblings() -> None:
    members = [relative(Relation.SIBLING, n, f"S{n}") for n in range(1, 9)]
    members.append(relative(Relation.CHILD, 20, "Zain"))

    root = parse(str(family_tree_svg(members, patient_label="You")))

    patient_x, patient_y = node_boxes(root)[0]  # the patient opens their row
    lines = [{name: int(attr(line, name)) for name in ("x1", "y1", "x2", "y2")}
             for line in root.iter(f"{SVG}line")]
    from_patient = [line for line in lines
                    if (line["x1"], line["y1"]) == (patient_x, patient_y + NODE_HEIGHT // 2)]
    assert from_patient and from_patient[0]["x2"] == MARGIN // 2
