"""openFDA label client against a local stand-in server (see conftest.py and fixtures/)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.prescriptions.models import Severity, WarningType
from apps.prescriptions.openfda import (
    LabelStatus,
    OnlineStatus,
    OpenFDAClient,
    cached_check,
    check_online,
    store_check,
)
from tests.prescriptions.conftest import load_fixture


def test_recorded_shape_fixtures_are_what_the_client_parses():
    label = load_fixture("label_warfarin.json")
    assert set(label) == {"meta", "results"}
    assert load_fixture("not_found.json")["error"] == {
        "code": "NOT_FOUND", "message": "No matches found!",
    }
    assert load_fixture("over_rate_limit.json")["error"]["code"] == "OVER_RATE_LIMIT"  # type: ignore[index]


def test_a_label_with_drug_interactions_is_parsed(fake_openfda):
    with OpenFDAClient() as client:
        lookup = client.label("warfarin")

    assert lookup.status == LabelStatus.FOUND
    assert lookup.set_ids == ("00000000-0000-4000-8000-0000000000a1",)
    sections = {section for section, _set_id, _text in lookup.sections}
    assert sections == {"boxed_warning", "contraindications", "drug_interactions",
                        "warnings_and_cautions"}
    assert fake_openfda.paths == ["/drug/label.json"]
    [query] = fake_openfda.requests
    assert query["search"] == ['openfda.generic_name:"warfarin"']
    assert query["limit"] == ["3"]
    assert "api_key" not in query


def test_the_api_key_is_sent_when_configured(fake_openfda):
    with override_settings(OPENFDA_API_KEY="test-key-not-real"), OpenFDAClient() as client:
        client.label("warfarin")

    assert fake_openfda.requests[0]["api_key"] == ["test-key-not-real"]


def test_label_mentions_become_findings_with_the_documented_severity(fake_openfda):
    names = ["Warfarin 5mg", "Disprin", "fluconazole 150mg"]

    result = check_online(names)

    assert result.status == OnlineStatus.PARTIAL  # aspirin and fluconazole have no fixture
    assert result.checked == ("warfarin",)
    assert result.no_label == ("aspirin", "fluconazole")
    assert result.failed == ()
    warnings = result.warnings(names)
    assert {(w.drug_a, w.drug_b) for w in warnings} == {
        ("Warfarin 5mg", "Disprin"), ("Warfarin 5mg", "fluconazole 150mg"),
    }
    for warning in warnings:
        assert warning.warning_type == WarningType.INTERACTION
        assert warning.severity == Severity.MEDIUM
        assert warning.source == "openfda"
        assert "00000000-0000-4000-8000-0000000000a1" in warning.citation
    assert not result.may_report_none_found


def test_class_names_and_us_names_in_a_label_are_matched_whole_word(fake_openfda):
    names = ["sildenafil", "glyceryl trinitrate", "Brufen"]

    result = check_online(names)

    [warning] = result.warnings(names)
    # "nitroglycerin" (US name) is in the contraindications: a HIGH contraindication.
    assert (warning.drug_a, warning.drug_b) == ("sildenafil", "glyceryl trinitrate")
    assert warning.warning_type == WarningType.CONTRAINDICATION
    assert warning.severity == Severity.HIGH


def test_nsaids_in_a_label_match_an_nsaid_brand(fake_openfda):
    result = check_online(["warfarin", "Brufen 400"])

    assert [(f.label_drug, f.other, f.section) for f in result.findings] == [
        ("warfarin", "brufen", "drug_interactions"),
    ]


def test_a_label_that_mentions_nothing_on_the_list_is_ok_only_when_all_labels_were_read(
    fake_openfda,
):
    result = check_online(["warfarin", "sildenafil"])

    assert result.status == OnlineStatus.OK
    assert result.findings == ()
    assert result.may_report_none_found


def test_404_not_found_means_no_label_not_an_error_and_not_no_interactions(fake_openfda):
    with OpenFDAClient() as client:
        assert client.label("metformin").status == LabelStatus.NO_LABEL

    result = check_online(["metformin", "Panadol"])
    assert result.status == OnlineStatus.NO_LABELS
    assert not result.ran
    assert not result.may_report_none_found
    assert not result.should_retry


def test_429_over_rate_limit_is_its_own_outcome_and_stops_further_requests(fake_openfda):
    fake_openfda.mode = "rate_limited"

    result = check_online(["warfarin", "aspirin", "metformin"])

    assert result.status == OnlineStatus.RATE_LIMITED
    assert result.failed == ("aspirin", "metformin", "warfarin")
    assert len(fake_openfda.requests) == 1
    assert not result.may_report_none_found
    assert result.should_retry


def test_a_timeout_is_unavailable(fake_openfda):
    fake_openfda.mode = "slow"
    fake_openfda.delay = 1.5

    with override_settings(OPENFDA_READ_TIMEOUT_SECONDS=0.3):
        result = check_online(["warfarin", "aspirin"])

    assert result.status == OnlineStatus.UNAVAILABLE
    assert not result.ran and not result.may_report_none_found
    assert result.should_retry


def test_a_refused_connection_is_unavailable(refused_base_url):
    result = check_online(["warfarin", "aspirin"])

    assert result.status == OnlineStatus.UNAVAILABLE
    assert result.failed == ("aspirin", "warfarin")


@pytest.mark.parametrize("mode", ["server_error", "garbage"])
def test_server_errors_and_malformed_bodies_are_unavailable(fake_openfda, mode):
    fake_openfda.mode = mode

    assert check_online(["warfarin", "aspirin"]).status == OnlineStatus.UNAVAILABLE


def test_a_cache_hit_makes_no_second_request(fake_openfda):
    with OpenFDAClient() as client:
        first = client.label("warfarin")
        second = client.label("warfarin")
        client.label("metformin")
        client.label("metformin")

    assert first == second
    assert fake_openfda.searched_names() == ["warfarin", "metformin"]


def test_failures_are_not_cached(fake_openfda):
    fake_openfda.mode = "server_error"
    with OpenFDAClient() as client:
        assert client.label("warfarin").status == LabelStatus.UNAVAILABLE
        fake_openfda.mode = "labels"
        assert client.label("warfarin").status == LabelStatus.FOUND

    assert len(fake_openfda.requests) == 2


def test_without_a_base_url_the_check_is_disabled_and_sends_nothing(openfda_cache):
    with override_settings(OPENFDA_BASE_URL=""):
        result = check_online(["warfarin", "aspirin"])

    assert result.status == OnlineStatus.DISABLED
    assert not result.ran and not result.may_report_none_found and not result.should_retry


def test_a_single_medication_needs_no_lookup(fake_openfda):
    result = check_online(["warfarin"])

    assert result.status == OnlineStatus.OK
    assert fake_openfda.requests == []


def test_stored_outcomes_round_trip_and_follow_the_names_as_typed(fake_openfda):
    check = check_online(["warfarin", "Disprin 300mg"])
    store_check(["warfarin", "Disprin 300mg"], check)

    again = cached_check(["Warfarin 1mg", "Disprin"])

    assert again == check
    assert again is not None
    [warning] = again.warnings(["Warfarin 1mg", "Disprin"])
    assert (warning.drug_a, warning.drug_b) == ("Warfarin 1mg", "Disprin")
    assert cached_check(["warfarin", "metformin"]) is None


def test_only_bundled_generic_names_are_sent_never_free_text(fake_openfda):
    check_online(["warfarin", "Mr Khan's tonic", "Brufen"])

    assert fake_openfda.searched_names() == ["warfarin", "ibuprofen"]


def test_the_same_ingredient_under_two_names_is_not_a_label_finding(fake_openfda):
    result = check_online(["warfarin", "Coumadin 5mg"])

    assert result.findings == ()
    assert fake_openfda.searched_names() == ["warfarin"]


def test_names_the_bundled_list_does_not_know_keep_the_check_partial(fake_openfda):
    partial = check_online(["warfarin", "Xyzzyl 20mg"])
    nothing = check_online(["Xyzzyl 20mg", "Qwertyn"])

    assert partial.status == OnlineStatus.PARTIAL
    assert partial.checked == ("warfarin",)
    assert not partial.may_report_none_found
    assert nothing.status == OnlineStatus.NO_LABELS
    assert not nothing.may_report_none_found
    assert fake_openfda.searched_names() == ["warfarin"]


def test_the_label_scan_matches_whole_words_only(fake_openfda):
    # The warfarin fixture names "NSAIDs" and "clopidogrel"; the unknown "nsaidsplus" is
    # searched for as its own whole word, so it matches nothing.
    result = check_online(["warfarin", "nsaidsplus", "clopidogrel"])

    assert [(f.label_drug, f.other) for f in result.findings] == [("warfarin", "clopidogrel")]
