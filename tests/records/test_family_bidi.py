"""Text-direction controls in family history: refused by the form (as in the account forms),
dropped from the tree and isolated in the page for anything already stored."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import User
from apps.records.family_tree import family_tree_svg
from apps.records.models import FamilyMedicalHistory, Relation

pytestmark = pytest.mark.django_db

RLO, PDF, FSI, PDI = "\u202e", "\u202c", "\u2068", "\u2069"
SVG = "{http://www.w3.org/2000/svg}"


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "relation": "PARENT", "relation_name": "Amna Bibi", "age": "64", "conditions": "",
        "chronic_diseases": "", "genetic_conditions": "", "notes": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(("field", "value", "error"), [
    ("relation_name", f"Amna{RLO}ibiB", "Enter a name made of letters."),
    ("relation_name", f"\u2066Amna{PDI}", "Enter a name made of letters."),
    ("conditions", f"Diabetes, Asth{RLO}am", "Remove the invisible text-direction characters"),
    ("chronic_diseases", f"{RLO}noisnetrepyH", "Remove the invisible text-direction"),
    ("genetic_conditions", f"Thal{PDF}assaemia", "Remove the invisible text-direction"),
    ("notes", f"Diagnosed {RLO}05 ta", "Remove the invisible text-direction characters"),
])
def test_the_form_refuses_text_direction_controls(
    client: Client, patient: User, field: str, value: str, error: str,
) -> None:
    client.force_login(patient)

    response = client.post(reverse("family:add"), form_data(**{field: value}))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not FamilyMedicalHistory.objects.exists()


def test_an_urdu_name_is_still_accepted(client: Client, patient: User) -> None:
    client.force_login(patient)

    response = client.post(reverse("family:add"), form_data(relation_name="آمنہ بی بی",
                                                            conditions="ذیابیطس"))

    assert response.status_code == 302
    assert FamilyMedicalHistory.objects.get().relation_name == "آمنہ بی بی"


def test_the_tree_drops_stored_controls_and_isolates_names_in_the_tooltip() -> None:
    member = FamilyMedicalHistory(pk=1, relation=Relation.PARENT, age=60,
                                  relation_name=f"Amna{RLO} Bibi",
                                  conditions=[f"Asthma{RLO}", "Diabetes"])

    svg = str(family_tree_svg([member], patient_label=f"Sara{RLO}"))

    assert RLO not in svg
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert f"{FSI}Amna Bibi{PDI} (Parent, age 60). Conditions: {FSI}Asthma{PDI}, " \
           f"{FSI}Diabetes{PDI}." in titles
    assert f"{FSI}Sara{PDI}, the patient." in titles


def test_the_page_isolates_stored_text_in_the_list_and_summary(
    client: Client, patient: User,
) -> None:
    for name in (f"Amna{RLO}", "Bilal"):
        FamilyMedicalHistory.objects.create(patient=patient, relation=Relation.SIBLING,
                                            relation_name=name, conditions=[f"Asthma{RLO}"],
                                            notes=f"Since {RLO}2010")
    client.force_login(patient)

    html = client.get(reverse("family:mine")).content.decode()

    assert f"<strong><bdi>Amna{RLO}</bdi></strong>" in html  # the relative's name
    assert f"<dd><bdi>Asthma{RLO}</bdi></dd>" in html  # their conditions
    assert f"<dd><bdi>Since {RLO}2010</bdi></dd>" in html  # their notes
    assert f"(<bdi>Amna{RLO}</bdi>)" in html  # the shared-conditions summary
    assert f"<strong><bdi>Asthma{RLO}</bdi></strong>" in html
    member = FamilyMedicalHistory.objects.filter(relation_name=f"Amna{RLO}").get()
    confirm = client.get(reverse("family:delete", args=[member.pk])).content.decode()
    assert f"Remove <bdi>Amna{RLO}</bdi> from your family history?" in confirm
