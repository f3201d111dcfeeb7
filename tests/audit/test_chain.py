"""Every PHI access log row is the next link of a keyed hash chain."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from apps.audit import chain
from apps.audit.models import PhiAccessChainHead, PhiAccessLog
from apps.audit.verify import chain_verify
from tests.audit.support import as_superuser, log_rows
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_each_row_links_to_the_one_before() -> None:
    first, second, third = log_rows(3)

    assert [first.chain_seq, second.chain_seq, third.chain_seq] == [1, 2, 3]
    assert first.prev_hash == chain.GENESIS_HASH
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    head = PhiAccessChainHead.objects.get()
    assert (head.chain_seq, head.row_hash) == (3, third.row_hash)


def test_the_hash_is_an_hmac_under_the_chain_key_over_the_stored_row() -> None:
    (entry,) = log_rows(1)
    stored = PhiAccessLog.objects.values(*chain.CHAINED_FIELDS).get(pk=entry.pk)

    key = chain._key()
    expected = hmac.new(key, b"phi_access_logs\x00" + chain.canonical(stored),
                        hashlib.sha256).hexdigest()
    assert entry.row_hash == expected
    assert PhiAccessLog.objects.get(pk=entry.pk).row_hash == expected


def test_a_different_key_gives_a_different_hash(settings: object) -> None:
    (entry,) = log_rows(1)
    stored = PhiAccessLog.objects.values(*chain.CHAINED_FIELDS).get(pk=entry.pk)

    settings.AUDIT_CHAIN_KEY = "b3RoZXIta2V5LW90aGVyLWtleS1vdGhlci1rZXktMzI="  # type: ignore[attr-defined]

    assert chain.row_hash(stored) != entry.row_hash


def test_a_rolled_back_write_leaves_no_trace_in_the_chain() -> None:
    (first,) = log_rows(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        log_rows(1)
        raise RuntimeError("the request failed after logging")

    (after,) = log_rows(1)

    assert after.chain_seq == 2
    assert after.prev_hash == first.row_hash
    assert chain_verify().intact


def test_a_saved_row_cannot_be_saved_again() -> None:
    (entry,) = log_rows(1)
    entry.reason = "changed"

    with pytest.raises(ValueError, match="append-only"):
        entry.save()


def test_a_new_database_has_a_sealed_head_and_starts_at_the_first_link() -> None:
    head = PhiAccessChainHead.objects.get()  # made by a migration
    assert (head.chain_seq, head.row_hash) == (0, chain.GENESIS_HASH)
    assert head.seal == chain.head_seal(chain_seq=0, row_hash=chain.GENESIS_HASH)

    (first,) = log_rows(1)

    head.refresh_from_db()
    assert (first.chain_seq, first.prev_hash) == (1, chain.GENESIS_HASH)
    assert head.seal == chain.head_seal(chain_seq=1, row_hash=first.row_hash)
    assert chain_verify().intact


def test_a_wiped_log_and_head_stay_refused_and_reported() -> None:
    log_rows(2)
    as_superuser("DELETE FROM phi_access_logs")
    as_superuser("DELETE FROM phi_access_chain_head")

    with pytest.raises(chain.AuditChainBroken), transaction.atomic():
        log_rows(1)

    assert not chain_verify().intact


def test_a_head_moved_back_refuses_to_log_so_the_cut_stays_visible() -> None:
    _first, second, third = log_rows(3)
    as_superuser("DELETE FROM phi_access_logs WHERE id = %s", [third.pk])
    as_superuser("UPDATE phi_access_chain_head SET chain_seq = %s, row_hash = %s WHERE id = 1",
                 [second.chain_seq, second.row_hash])

    with pytest.raises(chain.AuditChainBroken), transaction.atomic():
        log_rows(1)

    report = chain_verify()
    assert report.problem is not None and report.problem.kind == "removed"


def test_a_log_wiped_under_its_head_shows_the_gap_after_new_links() -> None:
    log_rows(3)
    as_superuser("DELETE FROM phi_access_logs")

    log_rows(1)  # the head is intact and sealed: writing goes on, from position 4

    report = chain_verify()
    assert report.problem is not None and report.problem.kind == "removed"


def test_a_missing_head_while_links_exist_refuses_to_log_and_verify_reports_it() -> None:
    log_rows(2)
    PhiAccessChainHead.objects.all().delete()

    with pytest.raises(chain.AuditChainBroken), transaction.atomic():
        log_rows(1)

    report = chain_verify()
    assert report.problem is not None
    assert report.problem.kind == "removed"
    assert "head row is missing" in report.problem.detail


def test_a_phi_page_answers_503_not_500_while_the_head_is_missing(client: Client) -> None:
    patient = PatientFactory.create()
    log_rows(1, patient=patient)
    PhiAccessChainHead.objects.all().delete()
    client.force_login(patient)

    response = client.get(reverse("accounts:profile"))

    assert response.status_code == 503
