"""The patient's family history pages: add, edit, remove, and everyone else's 404."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.records.family_services import MAX_RELATIVES
from apps.records.models import FamilyMedicalHistory, Relation
from tests import factories

pytestmark = pytest.mark.django_db


def add_relative(patient: User, relation: str = Relation.PARENT, **fields: object
                 ) -> FamilyMedicalHistory:
    return FamilyMedicalHistory.objects.create(patient=patient, relation=relation, **fields)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "relation": "PARENT", "relation_name": "Amna Bibi", "age": "64", "conditions": "",
        "chronic_diseases": "", "genetic_conditions": "", "notes": "",
    }
    data.update(overrides)
    return data


def test_it_adds_a_relative_with_lists_parsed_and_logs_the_update(
    client: Client, patient: User
) -> None:
    client.force_login(patient)

    response = client.post(reverse("family:add"), form_data(
        is_deceased="on", conditions="Diabetes,  asthma\n diabetes",
        chronic_diseases="Hypertension", genetic_conditions="",
        notes="  Diagnosed at 50  ",
    ))

    assert response.status_code == 302
    assert response["Location"] == reverse("family:mine")
    member = FamilyMedicalHistory.objects.get(patient=patient)
    assert member.relation == Relation.PARENT
    assert member.relation_name == "Amna Bibi"
    assert member.age == 64
    assert member.is_deceased is True
    assert member.conditions == ["Diabetes", "asthma"]
    assert member.chronic_diseases == ["Hypertension"]
    assert member.genetic_conditions == []
    assert member.notes == "Diagnosed at 50"
    log = PhiAccessLog.objects.get()
    assert (log.actor_id, log.action, log.resource_type, log.resource_id, log.patient_id) == (
        patient.pk, PhiAction.UPDATE, PhiResource.PATIENT_PROFILE, patient.pk, patient.pk)
    assert log.reason == "family history"


@pytest.mark.parametrize(("field", "value", "error"), [
    ("age", "151", "less than or equal to 150"),
    ("age", "-1", "greater than or equal to 0"),
    ("relation", "COUSIN", "Select a valid choice"),
    ("relation", "", "This field is required."),
    ("conditions", ", ".join(f"Condition {n}" for n in range(21)), "List at most 20 entries."),
    ("chronic_diseases", "x" * 101, "Each entry can be at most 100 characters long"),
])
def test_it_refuses_invalid_input_with_a_clear_error(
    client: Client, patient: User, field: str, value: str, error: str
) -> None:
    client.force_login(patient)

    response = client.post(reverse("family:add"), form_data(**{field: value}))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert "Please correct the errors below." in response.content.decode()
    assert not FamilyMedicalHistory.objects.exists()


def test_it_edits_a_relative_showing_lists_one_per_line(client: Client, patient: User) -> None:
    member = add_relative(patient, relation_name="Abbu", conditions=["Gout", "Asthma"])
    client.force_login(patient)
    url = reverse("family:edit", args=[member.pk])

    form = client.get(url).content.decode()
    response = client.post(url, form_data(relation="PARENT", relation_name="Abbu",
                                          age="", conditions="Gout"))

    assert "Gout\nAsthma" in form
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.conditions == ["Gout"]
    assert member.age is None
    assert PhiAccessLog.objects.filter(action=PhiAction.UPDATE).count() == 1


def test_it_removes_a_relative_after_confirmation(client: Client, patient: User) -> None:
    member = add_relative(patient, relation_name="Chacha")
    client.force_login(patient)
    url = reverse("family:delete", args=[member.pk])

    confirm = client.get(url)
    response = client.post(url)

    assert "Remove <bdi>Chacha</bdi> from your family history?" in confirm.content.decode()
    assert response.status_code == 302
    assert not FamilyMedicalHistory.objects.exists()
    assert list(PhiAccessLog.objects.order_by("pk").values_list("action", flat=True)) == [
        PhiAction.VIEW, PhiAction.DELETE]


def test_the_page_shows_tree_summary_and_list(client: Client, patient: User) -> None:
    add_relative(patient, relation_name="Ammi", conditions=["Diabetes"])
    add_relative(patient, Relation.SIBLING, relation_name="Bilal", chronic_diseases=["diabetes"])
    add_relative(patient, Relation.GRANDPARENT, relation_name="Nani", conditions=["Asthma"],
                 is_deceased=True)
    client.force_login(patient)

    html = client.get(reverse("family:mine")).content.decode()

    assert '<svg xmlns="http://www.w3.org/2000/svg" class="family-tree" role="img"' in html
    assert "Conditions shared by close relatives" in html
    assert "<strong><bdi>Diabetes</bdi></strong>" in html
    assert "Asthma</strong>" not in html  # only a grandparent has it
    assert "Nani" in html and "Deceased" in html
    log = PhiAccessLog.objects.get()
    assert (log.action, log.patient_id, log.refused) == (PhiAction.VIEW, patient.pk, False)


def test_a_hostile_name_is_escaped_on_the_page(client: Client, patient: User) -> None:
    add_relative(patient, relation_name="</svg><script>alert(1)</script>")
    client.force_login(patient)

    html = client.get(reverse("family:mine")).content.decode()

    assert "<script>alert(1)" not in html
    assert "&lt;/svg&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_page_with_no_relatives(client: Client, patient: User) -> None:
    client.force_login(patient)

    html = client.get(reverse("family:mine")).content.decode()

    assert "No relatives have been added yet." in html
    assert "No condition appears in two or more" in html


def test_the_page_query_count_does_not_grow_with_relatives(
    client: Client, patient: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for n in range(15):
        add_relative(patient, Relation.SIBLING, relation_name=f"Sibling {n}",
                     conditions=["Asthma"])
    client.force_login(patient)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("family:mine"))

    assert response.status_code == 200


def test_another_patient_cannot_edit_or_remove_a_relative(
    client: Client, patient: User, other_patient: User
) -> None:
    member = add_relative(patient, relation_name="Ammi")
    client.force_login(other_patient)

    responses = [
        client.get(reverse("family:edit", args=[member.pk])),
        client.post(reverse("family:edit", args=[member.pk]), form_data()),
        client.get(reverse("family:delete", args=[member.pk])),
        client.post(reverse("family:delete", args=[member.pk])),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    member.refresh_from_db()
    assert member.relation_name == "Ammi"
    html = client.get(reverse("family:mine")).content.decode()
    assert "Ammi" not in html


@pytest.mark.parametrize("outsider_factory", [
    factories.PatientFactory, factories.DoctorFactory,
])
def test_an_outsiders_attempt_on_a_relative_is_logged_as_refused_for_its_owner(
    client: Client, patient: User, outsider_factory: type[factories.UserFactory]
) -> None:
    member = add_relative(patient, relation_name="Ammi")
    outsider = outsider_factory.create()
    client.force_login(outsider)

    statuses = [
        client.get(reverse("family:edit", args=[member.pk])).status_code,
        client.post(reverse("family:edit", args=[member.pk]), form_data()).status_code,
        client.get(reverse("family:delete", args=[member.pk])).status_code,
        client.post(reverse("family:delete", args=[member.pk])).status_code,
        client.get(reverse("family:edit", args=[member.pk + 1000])).status_code,
    ]

    assert statuses == [404] * 5
    logs = list(PhiAccessLog.objects.order_by("pk"))
    assert [log.action for log in logs] == [
        PhiAction.VIEW, PhiAction.UPDATE, PhiAction.VIEW, PhiAction.DELETE]
    assert {(log.actor_id, log.patient_id, log.resource_type, log.resource_id, log.refused,
             log.reason) for log in logs} == {
        (outsider.pk, patient.pk, PhiResource.PATIENT_PROFILE, patient.pk, True,
         "family history")}


def test_the_patients_own_edit_and_remove_pages_are_logged_as_views(
    client: Client, patient: User
) -> None:
    member = add_relative(patient, relation_name="Ammi")
    client.force_login(patient)

    edit = client.get(reverse("family:edit", args=[member.pk]))
    remove = client.get(reverse("family:delete", args=[member.pk]))

    assert (edit.status_code, remove.status_code) == (200, 200)
    logs = list(PhiAccessLog.objects.order_by("pk"))
    assert [(log.action, log.actor_id, log.patient_id, log.refused, log.reason)
            for log in logs] == [
        (PhiAction.VIEW, patient.pk, patient.pk, False, "family history")] * 2


def test_a_patient_can_list_at_most_fifty_relatives(client: Client, patient: User) -> None:
    FamilyMedicalHistory.objects.bulk_create(
        FamilyMedicalHistory(patient=patient, relation=Relation.SIBLING, relation_name=f"S{n}")
        for n in range(MAX_RELATIVES)
    )
    client.force_login(patient)

    response = client.post(reverse("family:add"), form_data(relation="CHILD"))

    assert response.status_code == 200
    assert ("Your family history can list at most 50 relatives; remove one to add another."
            in response.content.decode())
    assert FamilyMedicalHistory.objects.filter(patient=patient).count() == MAX_RELATIVES
    assert not PhiAccessLog.objects.filter(action=PhiAction.UPDATE).exists()


@pytest.mark.parametrize(("relation", "cap", "error"), [
    (Relation.PARENT, 4, "You can list at most 4 parents."),
    (Relation.GRANDPARENT, 8, "You can list at most 8 grandparents."),
])
def test_parents_and_grandparents_have_a_cap_on_add_and_on_edit(
    client: Client, patient: User, relation: str, cap: int, error: str
) -> None:
    for n in range(cap - 1):
        add_relative(patient, relation, relation_name=f"R{n}")
    client.force_login(patient)

    last_place = client.post(reverse("family:add"), form_data(relation=relation))
    over_cap = client.post(reverse("family:add"), form_data(relation=relation))
    sibling = add_relative(patient, Relation.SIBLING, relation_name="Bilal")
    moved = client.post(reverse("family:edit", args=[sibling.pk]),
                        form_data(relation=relation, relation_name="Bilal"))
    kept = client.post(reverse("family:edit", args=[
        FamilyMedicalHistory.objects.filter(relation=relation).first().pk]),  # type: ignore[union-attr]
        form_data(relation=relation, relation_name="Same relation"))

    assert last_place.status_code == 302
    assert over_cap.status_code == 200 and error in over_cap.content.decode()
    assert moved.status_code == 200 and error in moved.content.decode()
    assert kept.status_code == 302
    assert FamilyMedicalHistory.objects.filter(relation=relation).count() == cap
    sibling.refresh_from_db()
    assert sibling.relation == Relation.SIBLING


def test_the_summary_names_five_relatives_per_condition_then_counts_the_rest(
    client: Client, patient: User
) -> None:
    for n in range(8):
        add_relative(patient, Relation.SIBLING, relation_name=f"Sib{n}", conditions=["Asthma"])
    client.force_login(patient)

    html = client.get(reverse("family:mine")).content.decode()

    start = html.index('class="family-flags"')
    summary = html[start:html.index("</ul>", start)]
    assert "8 relatives" in summary
    assert all(f"Sib{n}" in summary for n in range(5))
    assert not any(f"Sib{n}" in summary for n in range(5, 8))
    assert "and 3 more" in summary


@pytest.mark.parametrize("role_factory", [
    factories.DoctorFactory, factories.StaffFactory, factories.AdminFactory,
])
def test_only_patients_have_a_family_history_page(
    client: Client, role_factory: type[factories.UserFactory]
) -> None:
    client.force_login(role_factory.create())

    responses = [client.get(reverse("family:mine")), client.get(reverse("family:add")),
                 client.post(reverse("family:add"), form_data())]

    assert [response.status_code for response in responses] == [404] * 3
    assert not FamilyMedicalHistory.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get(reverse("family:mine"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
