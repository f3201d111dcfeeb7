"""Prescription pages: writing through the form, live checks, reading, outsiders, openFDA."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.audit.models import PhiAccessLog, PhiAction, PhiResource
from apps.prescriptions import signing
from apps.prescriptions.models import (
    ESignStatus,
    Prescription,
    PrescriptionWarning,
    Severity,
    WarningType,
)
from apps.prescriptions.openfda import OnlineCheckResult, OnlineStatus, store_check
from tests import factories
from tests.prescriptions.writing_support import form_data, logged_in, visit, write


def write_signed(doctor: User, patient: User, *names: str, **kwargs: object) -> Prescription:
    prescription = write(doctor, patient, *names, **kwargs)
    return signing.prescription_sign(doctor=doctor, prescription_id=prescription.pk)

pytestmark = pytest.mark.django_db

UNAVAILABLE = b"The online check (openFDA) is unavailable; showing the offline check only."


def create_url(patient: User) -> str:
    return reverse("prescriptions:create", kwargs={"patient_id": patient.pk})


def detail_url(prescription: Prescription) -> str:
    return reverse("prescriptions:detail", kwargs={"prescription_id": prescription.pk})


def edit_url(prescription: Prescription) -> str:
    return reverse("prescriptions:edit", kwargs={"prescription_id": prescription.pk})


# --- Writing ------------------------------------------------------------------------------


def test_the_form_opens_with_a_default_validity_and_logs_a_profile_view(
    patient: User, doctor: User,
) -> None:
    appointment = visit(patient, doctor)

    response = logged_in(doctor).get(create_url(patient), {"appointment": appointment.pk})

    assert response.status_code == 200
    default = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert f'value="{default}"'.encode() in response.content
    assert b'list="drug-suggestions"' in response.content
    assert "no-store" in response["Cache-Control"]
    [row] = PhiAccessLog.objects.all()
    assert (row.action, row.resource_type, row.patient_id, row.refused) == (
        PhiAction.VIEW, PhiResource.PATIENT_PROFILE, patient.pk, False)


def test_a_doctor_writes_a_prescription_with_a_formset(patient: User, doctor: User) -> None:
    appointment = visit(patient, doctor)
    data = form_data("Warfarin 5mg", "Aspirin 75mg", appointment=str(appointment.pk))

    response = logged_in(doctor).post(create_url(patient), data)

    prescription = Prescription.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(prescription)
    assert prescription.appointment_id == appointment.pk
    assert prescription.doctor_id == doctor.pk
    assert timezone.localdate(prescription.valid_until) == (
        timezone.localdate() + timedelta(days=30))
    [warning] = prescription.warnings.all()
    assert (warning.warning_type, warning.severity) == (WarningType.INTERACTION, Severity.HIGH)
    assert PhiAccessLog.objects.filter(action=PhiAction.UPDATE, resource_id=prescription.pk,
                                       resource_type=PhiResource.PRESCRIPTION).count() == 1


def test_an_empty_or_partial_formset_is_refused(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    client = logged_in(doctor)

    empty = client.post(create_url(patient), form_data())
    partial = client.post(create_url(patient), form_data({"name": "Paracetamol"}))
    past = client.post(create_url(patient), form_data(
        "Paracetamol", valid_until=(timezone.localdate() - timedelta(days=1)).isoformat()))

    assert b"Add at least one medication." in empty.content
    assert b"Required for each medication listed." in partial.content
    assert b"must be valid until a future date" in past.content
    assert not Prescription.objects.exists()


def test_more_rows_adds_empty_rows_without_saving(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    data = form_data("Warfarin 5mg", extra_rows=0, add_rows="1")

    response = logged_in(doctor).post(create_url(patient), data)

    assert response.status_code == 200
    assert b'name="medications-3-name"' in response.content
    assert b'name="medications-4-name"' not in response.content
    assert b'value="Warfarin 5mg"' in response.content
    assert not Prescription.objects.exists()


def test_editing_swaps_a_drug_and_the_warning_goes(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    client = logged_in(doctor)
    page = client.get(edit_url(prescription))
    assert page.status_code == 200
    assert b'value="Aspirin 75mg"' in page.content

    response = client.post(edit_url(prescription), form_data("Warfarin 5mg", "Paracetamol 1g"))

    assert response.status_code == 302
    assert not prescription.warnings.exists()
    detail = client.get(detail_url(prescription))
    assert b"Aspirin" not in detail.content
    assert b"raised no warning" in detail.content


def test_a_signed_prescription_cannot_be_edited_through_the_page(patient: User,
                                                                 doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    Prescription.objects.filter(pk=prescription.pk).update(e_sign_status=ESignStatus.SIGNED)
    client = logged_in(doctor)

    response = client.post(edit_url(prescription), form_data("Paracetamol"), follow=True)

    assert b"can no longer be changed" in response.content
    assert [m.name for m in prescription.medications.all()] == ["Warfarin 5mg", "Aspirin 75mg"]
    assert b"Edit this prescription" not in client.get(detail_url(prescription)).content


def test_a_critical_warning_is_acknowledged_on_the_page(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    [warning] = prescription.warnings.all()
    client = logged_in(doctor)
    assert b"Acknowledge this critical warning" in client.get(detail_url(prescription)).content
    url = reverse("prescriptions:acknowledge", kwargs={
        "prescription_id": prescription.pk, "warning_id": warning.pk})

    response = client.post(url, {"reason": "Skin test negative last month"}, follow=True)

    assert b"The warning is acknowledged." in response.content
    assert b"Skin test negative last month" in response.content
    warning.refresh_from_db()
    assert warning.acknowledged_by_id == doctor.pk
    assert warning.acknowledged_at is not None


def test_the_patient_cannot_acknowledge(doctor: User) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    prescription = write(doctor, patient, "Amoxicillin 500mg")
    [warning] = prescription.warnings.all()
    url = reverse("prescriptions:acknowledge", kwargs={
        "prescription_id": prescription.pk, "warning_id": warning.pk})

    before = PhiAccessLog.objects.count()

    response = logged_in(patient).post(url, {"reason": "I feel fine about this"})

    assert response.status_code == 404
    warning.refresh_from_db()
    assert warning.acknowledged_at is None
    [row] = PhiAccessLog.objects.order_by("pk")[before:]
    assert (row.actor_id, row.action, row.resource_id, row.refused) == (
        patient.pk, PhiAction.UPDATE, prescription.pk, True)


# --- Live check and autocomplete ----------------------------------------------------------


def test_the_live_check_shows_warnings_and_unchecked_names_without_saving(
    doctor: User,
) -> None:
    patient = factories.PatientFactory(allergies="Penicillin")
    visit(patient, doctor)
    url = reverse("prescriptions:check", kwargs={"patient_id": patient.pk})

    response = logged_in(doctor).post(url, form_data(
        "Warfarin 5mg", "Aspirin 75mg", "Amoxicillin", "Zorblex 10mg"))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-severity="HIGH" data-type="INTERACTION"' in content
    assert 'data-severity="CRITICAL" data-type="ALLERGY"' in content
    assert "Could not be checked" in content and "Zorblex 10mg" in content
    assert "raised no warning" not in content
    assert not Prescription.objects.exists()
    assert not PhiAccessLog.objects.exists()


def test_an_unknown_name_alone_is_never_reported_as_without_interactions(
    patient: User, doctor: User,
) -> None:
    visit(patient, doctor)
    url = reverse("prescriptions:check", kwargs={"patient_id": patient.pk})

    content = logged_in(doctor).post(url, form_data("Zorblex 10mg", "Quintarol")).content

    assert b"Could not be checked" in content
    assert b"raised no warning" not in content
    assert b"no interactions" not in content.lower()


@pytest.mark.parametrize("who", ["other_doctor", "patient", "staff", "organization"])
def test_the_live_check_is_for_the_treating_doctor_only(
    patient: User, doctor: User, other_doctor: User, who: str,
) -> None:
    visit(patient, doctor)
    actors = {"other_doctor": other_doctor, "patient": patient,
              "staff": factories.StaffFactory(), "organization": factories.OrganizationFactory()}
    url = reverse("prescriptions:check", kwargs={"patient_id": patient.pk})

    response = logged_in(actors[who]).post(url, form_data("Warfarin", "Aspirin"))

    assert response.status_code == 404
    assert b"Warfarin" not in response.content


def test_the_live_check_refuses_get(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    url = reverse("prescriptions:check", kwargs={"patient_id": patient.pk})

    assert logged_in(doctor).get(url, {"medications-0-name": "Warfarin"}).status_code == 405


def test_autocomplete_suggests_bundled_names_to_doctors_only(doctor: User,
                                                             patient: User) -> None:
    url = reverse("prescriptions:suggest")

    response = logged_in(doctor).post(url, {"medications-0-name": "amox"})
    refused = logged_in(patient).post(url, {"medications-0-name": "amox"})

    assert response.status_code == 200
    assert b'<option value="amoxicillin">' in response.content
    assert b'<option value="Amoxil" label="Amoxil (amoxicillin)">' in response.content
    assert refused.status_code == 404


# --- Reading ------------------------------------------------------------------------------


def test_the_patient_reads_their_prescription_and_it_is_logged(patient: User,
                                                               doctor: User) -> None:
    visit(patient, doctor)
    prescription = write_signed(doctor, patient, "Paracetamol 500mg",
                                instructions="With water")
    before = PhiAccessLog.objects.count()

    response = logged_in(patient).get(detail_url(prescription))

    assert response.status_code == 200
    assert b"Paracetamol 500mg" in response.content
    assert b"With water" in response.content
    assert b"Acknowledge" not in response.content
    assert "no-store" in response["Cache-Control"]
    [row] = PhiAccessLog.objects.order_by("pk")[before:]
    assert (row.actor_id, row.action, row.resource_type, row.resource_id, row.patient_id,
            row.refused) == (patient.pk, PhiAction.VIEW, PhiResource.PRESCRIPTION,
                             prescription.pk, patient.pk, False)


@pytest.mark.parametrize("who", ["other_patient", "other_doctor", "staff", "organization"])
def test_outsiders_get_404_and_a_refused_row(
    patient: User, other_patient: User, doctor: User, other_doctor: User, who: str,
) -> None:
    visit(patient, doctor)
    visit(patient, other_doctor)  # even a doctor treating the same patient
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")
    actor = {"other_patient": other_patient, "other_doctor": other_doctor,
             "staff": factories.StaffFactory(),
             "organization": factories.OrganizationFactory()}[who]
    before = PhiAccessLog.objects.count()
    client = logged_in(actor)

    response = client.get(detail_url(prescription))
    edit = client.get(edit_url(prescription))

    assert response.status_code == 404
    assert edit.status_code == 404
    assert b"Warfarin" not in response.content
    new = list(PhiAccessLog.objects.order_by("pk")[before:])
    assert [(r.actor_id, r.resource_id, r.patient_id, r.refused) for r in new] == [
        (actor.pk, prescription.pk, patient.pk, True)] * 2


def test_outsiders_cannot_open_the_form_for_a_patient(patient: User, other_doctor: User) -> None:
    response = logged_in(other_doctor).get(create_url(patient))
    posted = logged_in(other_doctor).post(create_url(patient), form_data("Paracetamol"))

    assert response.status_code == posted.status_code == 404
    assert not Prescription.objects.exists()
    assert list(PhiAccessLog.objects.values_list("refused", flat=True)) == [True, True]


def test_the_patient_list_is_theirs_and_paginated(patient: User, other_patient: User,
                                                  doctor: User) -> None:
    visit(patient, doctor)
    visit(other_patient, doctor)
    for _index in range(21):
        write_signed(doctor, patient, "Paracetamol 500mg")
    write_signed(doctor, other_patient, "Cetirizine 10mg")
    client = logged_in(patient)

    first = client.get(reverse("prescriptions:list"))
    second = client.get(reverse("prescriptions:list"), {"page": 2})

    assert first.status_code == 200
    assert first.content.count(b"Paracetamol 500mg") == 20
    assert second.content.count(b"Paracetamol 500mg") == 1
    assert b"Cetirizine" not in first.content + second.content
    assert b"Page 1 of 2" in first.content


def test_the_patient_does_not_see_an_unsigned_draft(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    draft = write(doctor, patient, "Cetirizine 10mg")
    write_signed(doctor, patient, "Paracetamol 500mg")
    client = logged_in(patient)

    listing = client.get(reverse("prescriptions:list")).content
    page = client.get(detail_url(draft))
    panel = client.get(reverse("prescriptions_sign:panel",
                               kwargs={"prescription_id": draft.pk}))

    assert b"Paracetamol 500mg" in listing
    assert b"Cetirizine" not in listing
    assert page.status_code == 404
    assert panel.status_code == 404
    assert logged_in(doctor).get(detail_url(draft)).status_code == 200
    signing.prescription_sign(doctor=doctor, prescription_id=draft.pk)
    assert client.get(detail_url(draft)).status_code == 200


def test_the_doctor_nav_links_to_their_prescriptions(doctor: User) -> None:
    content = logged_in(doctor).get(reverse("prescriptions:list")).content.decode()

    assert f'href="{reverse("prescriptions:list")}" aria-current="page"' in content


def test_a_medication_name_with_bidi_controls_is_refused(patient: User, doctor: User) -> None:
    visit(patient, doctor)

    response = logged_in(doctor).post(create_url(patient),
                                      form_data("Paracetamol \u202e500mg"))

    assert response.status_code == 200
    assert "Remove the invisible text-direction characters" in response.content.decode()
    assert not Prescription.objects.exists()


def test_the_doctor_list_holds_only_their_own(patient: User, doctor: User,
                                              other_doctor: User) -> None:
    visit(patient, doctor)
    visit(patient, other_doctor)
    write(doctor, patient, "Warfarin 5mg")
    write(other_doctor, patient, "Cetirizine 10mg")

    content = logged_in(doctor).get(reverse("prescriptions:list")).content

    assert b"Warfarin 5mg" in content
    assert b"Cetirizine" not in content


def test_staff_have_no_prescription_list() -> None:
    assert logged_in(factories.StaffFactory()).get(
        reverse("prescriptions:list")).status_code == 404


def test_list_pages_have_bounded_queries(patient: User, doctor: User,
                                         django_assert_max_num_queries) -> None:
    visit(patient, doctor)
    for _index in range(8):
        write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg", "Paracetamol")
    patient_client, doctor_client = logged_in(patient), logged_in(doctor)

    with django_assert_max_num_queries(8):
        assert patient_client.get(reverse("prescriptions:list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert doctor_client.get(reverse("prescriptions:list")).status_code == 200


def test_the_detail_page_has_bounded_queries(patient: User, doctor: User,
                                             django_assert_max_num_queries) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg", "Ibuprofen",
                         "Clopidogrel", "Paracetamol")
    client = logged_in(doctor)

    with django_assert_max_num_queries(14):
        assert client.get(detail_url(prescription)).status_code == 200


def test_links_lead_to_prescriptions(patient: User, doctor: User) -> None:
    appointment = visit(patient, doctor)

    detail = logged_in(doctor).get(reverse("appointments:detail",
                                           kwargs={"appointment_id": appointment.pk}))
    dashboard = logged_in(patient).get(reverse("core:dashboard"))

    assert create_url(patient).encode() in detail.content
    assert b"My prescriptions" in dashboard.content


# --- The online check on the page ---------------------------------------------------------


def test_openfda_unreachable_says_unavailable_and_keeps_the_offline_result(
    patient: User, doctor: User, refused_base_url: str, django_capture_on_commit_callbacks,
) -> None:
    visit(patient, doctor)
    client = logged_in(doctor)

    with override_settings(OPENFDA_TASK_MAX_RETRIES=0), \
            django_capture_on_commit_callbacks(execute=True):
        client.post(create_url(patient), form_data("Warfarin 5mg", "Aspirin 75mg"))
    # The task ran after commit (eagerly, in tests) and left its outcome for the page.
    content = client.get(detail_url(Prescription.objects.get())).content
    assert UNAVAILABLE in content
    assert b'data-severity="HIGH" data-type="INTERACTION"' in content  # the offline row
    assert b"no interactions" not in content.lower()
    assert b"raised no warning" not in content


def test_openfda_disabled_says_unavailable(patient: User, doctor: User, settings) -> None:
    settings.OPENFDA_BASE_URL = ""
    visit(patient, doctor)
    prescription = write(doctor, patient, "Paracetamol", "Ibuprofen")

    content = logged_in(doctor).get(detail_url(prescription)).content

    assert UNAVAILABLE in content
    assert b"mention no interactions" not in content


def test_openfda_findings_are_listed(patient: User, doctor: User, fake_openfda,
                                     django_capture_on_commit_callbacks) -> None:
    visit(patient, doctor)
    client = logged_in(doctor)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(create_url(patient), form_data("Warfarin 5mg", "Disprin"))
    content = client.get(detail_url(Prescription.objects.get())).content.decode()
    assert "The FDA label for Warfarin 5mg mentions Disprin" in content
    assert "00000000-0000-4000-8000-0000000000a1" in content
    # aspirin has no label in the fixtures: the online check is partial and says so.
    assert "the online check is incomplete" in content
    assert UNAVAILABLE.decode() not in content


def test_openfda_rate_limited_says_unavailable(patient: User, doctor: User,
                                               fake_openfda) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin")
    store_check(["Warfarin 5mg", "Aspirin"], OnlineCheckResult(
        status=OnlineStatus.RATE_LIMITED, failed=("aspirin", "warfarin")))

    content = logged_in(doctor).get(detail_url(prescription)).content

    assert UNAVAILABLE in content


def test_openfda_clean_result_may_say_none_found(patient: User, doctor: User,
                                                 fake_openfda) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Paracetamol", "Cetirizine")
    store_check(["Paracetamol", "Cetirizine"], OnlineCheckResult(
        status=OnlineStatus.OK, checked=("cetirizine", "paracetamol")))

    content = logged_in(doctor).get(detail_url(prescription)).content

    assert b"mention no interactions between them" in content


def test_openfda_not_yet_run_is_pending_not_clean(patient: User, doctor: User,
                                                  fake_openfda) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Paracetamol", "Cetirizine")

    content = logged_in(doctor).get(detail_url(prescription)).content

    assert b"has not finished yet" in content
    assert b"mention no interactions" not in content


def test_one_medication_says_nothing_to_check_online_not_none_found(
    patient: User, doctor: User, fake_openfda, django_capture_on_commit_callbacks,
) -> None:
    visit(patient, doctor)
    client = logged_in(doctor)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(create_url(patient), form_data("Warfarin 5mg"))
    content = client.get(detail_url(Prescription.objects.get())).content

    assert b"Nothing to check online" in content
    assert b"mention no interactions" not in content
    assert fake_openfda.requests == []


def test_a_partial_online_check_says_some_medications_had_no_label(
    patient: User, doctor: User, fake_openfda,
) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin")
    store_check(["Warfarin 5mg", "Aspirin"], OnlineCheckResult(
        status=OnlineStatus.PARTIAL, checked=("warfarin",), no_label=("aspirin",)))

    content = logged_in(doctor).get(detail_url(prescription)).content

    assert b"openFDA had no label for some medications" in content
    assert b"for every medication" not in content


def test_stored_warnings_match_the_model_rows(patient: User, doctor: User) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, "Warfarin 5mg", "Aspirin 75mg")

    content = logged_in(doctor).get(detail_url(prescription)).content.decode()

    [row] = PrescriptionWarning.objects.filter(prescription=prescription)
    assert row.message in content


def test_the_form_pages_have_bounded_queries(patient: User, doctor: User,
                                             django_assert_max_num_queries) -> None:
    visit(patient, doctor)
    prescription = write(doctor, patient, *["Paracetamol", "Warfarin", "Aspirin", "Ibuprofen"])
    client = logged_in(doctor)

    with django_assert_max_num_queries(14):
        assert client.get(create_url(patient)).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(edit_url(prescription)).status_code == 200
