"""The staff back office: the dispute queue, a dispute's page and its decisions."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.facilities.models import Facility
from apps.payments import dispute_services as services
from apps.payments.models import (
    DisputeStatus,
    Payment,
    PaymentDispute,
    PaymentDisputeHistory,
    PaymentStatus,
)
from tests import factories
from tests.payments.disputes.conftest import client_for
from tests.payments.disputes.support import PDF_BYTES, pdf

pytestmark = pytest.mark.django_db


def _dispute_at(facility: Facility, *, days_ago: int = 0) -> PaymentDispute:
    doctor = factories.DoctorFactory()
    appointment = factories.AppointmentFactory(doctor=doctor, facility=facility,
                                               consultation_type="IN_PERSON", status="COMPLETED")
    payment = factories.PaidPaymentFactory(appointment=appointment)
    dispute = services.dispute_raise(actor=payment.payer, payment_id=payment.pk,
                                     reason="Charged twice", evidence=[pdf()])
    PaymentDispute.objects.filter(pk=dispute.pk).update(
        created_at=timezone.now() - timedelta(days=days_ago))
    return dispute


def _queue_ids(response: Any) -> list[int]:
    return [dispute.pk for dispute in response.context["page"].object_list]


def test_the_queue_lists_the_facilitys_disputes_oldest_first(
    staff: User, facility: Facility,
) -> None:
    newer = _dispute_at(facility, days_ago=1)
    older = _dispute_at(facility, days_ago=9)
    _dispute_at(factories.FacilityFactory(), days_ago=20)  # another facility's

    response = client_for(staff).get(reverse("backoffice:disputes"))

    assert response.status_code == 200
    assert _queue_ids(response) == [older.pk, newer.pk]


def test_the_queue_says_how_long_each_dispute_waits_in_the_readers_language(
    staff: User, facility: Facility,
) -> None:
    _dispute_at(facility, days_ago=9)
    _dispute_at(facility, days_ago=0)
    client = client_for(staff)
    url = reverse("backoffice:disputes")

    english = client.get(url).content.decode()
    urdu = client.get(url, headers={"Accept-Language": "ur"}).content.decode()

    assert "(9 days)" in english and "(today)" in english
    assert "(9 دن)" in urdu and "(آج)" in urdu
    assert "(9 days)" not in urdu


def test_the_queue_filters_by_status_and_age(staff: User, facility: Facility) -> None:
    fresh = _dispute_at(facility, days_ago=1)
    stale = _dispute_at(facility, days_ago=10)
    stale_investigating = _dispute_at(facility, days_ago=12)
    services.dispute_investigate(actor=staff, dispute_id=stale_investigating.pk)
    client = client_for(staff)
    url = reverse("backoffice:disputes")

    assert _queue_ids(client.get(url, {"status": "PENDING"})) == [stale.pk, fresh.pk]
    assert _queue_ids(client.get(url, {"older_than_days": 7})) == [
        stale_investigating.pk, stale.pk]
    both: dict[str, str | int] = {"status": "INVESTIGATING", "older_than_days": 7}
    assert _queue_ids(client.get(url, both)) == [
        stale_investigating.pk]


def test_a_bad_filter_is_a_400_with_the_reason(staff: User) -> None:
    response = client_for(staff).get(reverse("backoffice:disputes"), {"older_than_days": "-3"})

    assert response.status_code == 400
    assert b"greater than or equal to 1" in response.content


def test_the_queue_pages_and_its_queries_do_not_grow(
    staff: User, facility: Facility, django_assert_max_num_queries: Any,
) -> None:
    for _ in range(22):
        _dispute_at(facility)
    client = client_for(staff)

    with django_assert_max_num_queries(8):
        first = client.get(reverse("backoffice:disputes"))
    second = client.get(reverse("backoffice:disputes"), {"page": 2})

    assert len(_queue_ids(first)) == 20
    assert len(_queue_ids(second)) == 2


def test_the_dispute_page_shows_payment_appointment_evidence_and_history(
    staff: User, facility: Facility, django_assert_max_num_queries: Any,
) -> None:
    dispute = _dispute_at(facility)
    services.dispute_investigate(actor=staff, dispute_id=dispute.pk, note="Called the clinic")
    client = client_for(staff)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("backoffice:dispute", args=[dispute.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Charged twice" in content and "Called the clinic" in content
    assert facility.name in content
    assert reverse("backoffice:evidence", args=[dispute.pk, 1]) in content
    assert "Resolve and refund" in content
    download = client.get(reverse("backoffice:evidence", args=[dispute.pk, 1]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]


def test_staff_resolve_with_a_partial_refund_through_the_page(
    staff: User, facility: Facility,
) -> None:
    dispute = _dispute_at(facility)
    client = client_for(staff)
    url = reverse("backoffice:dispute", args=[dispute.pk])

    assert client.post(url, {"action": "investigate", "note": ""}).status_code == 302
    response = client.post(url, {"action": "resolve", "note": "Second charge refunded",
                                 "refund_amount": "1200.50", "destination": "WALLET"})

    assert response.status_code == 302
    dispute.refresh_from_db()
    payment = Payment.objects.get(pk=dispute.payment_id)
    assert dispute.status == DisputeStatus.RESOLVED
    assert (payment.status, payment.refund_amount) == (PaymentStatus.COMPLETED,
                                                       Decimal("1200.50"))
    assert [row.to_status for row in PaymentDisputeHistory.objects.filter(dispute=dispute)] == [
        "PENDING", "INVESTIGATING", "RESOLVED"]
    page = client.get(url).content.decode()
    assert "PKR 1200.50 · HealthLink wallet · Completed" in page
    patient_page = client_for(payment.payer).get(reverse("disputes:detail", args=[dispute.pk]))
    assert "PKR 1200.50 · HealthLink wallet · Completed" in patient_page.content.decode()


def test_an_illegal_move_through_the_page_is_a_400_with_the_reason(
    staff: User, facility: Facility,
) -> None:
    dispute = _dispute_at(facility)

    response = client_for(staff).post(
        reverse("backoffice:dispute", args=[dispute.pk]),
        {"action": "reject", "note": "Not our fault"},
    )

    assert response.status_code == 400
    assert "A dispute that is Pending cannot be moved to Rejected." in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.PENDING


def test_a_resolution_without_notes_is_a_400(staff: User, facility: Facility) -> None:
    dispute = _dispute_at(facility)
    services.dispute_investigate(actor=staff, dispute_id=dispute.pk)

    response = client_for(staff).post(
        reverse("backoffice:dispute", args=[dispute.pk]),
        {"action": "resolve", "note": "", "refund_amount": "10", "destination": "WALLET"},
    )

    assert response.status_code == 400
    assert "Write the resolution notes." in response.content.decode()


def test_an_admin_and_a_platform_owner_use_the_back_office(facility: Facility) -> None:
    dispute = _dispute_at(facility)

    for user in (factories.AdminFactory(), factories.PlatformOwnerFactory()):
        client = client_for(user)
        assert dispute.pk in _queue_ids(client.get(reverse("backoffice:disputes")))
        assert client.get(reverse("backoffice:dispute", args=[dispute.pk])).status_code == 200


@pytest.mark.parametrize("who", ["other_staff", "doctor", "patient", "organization"])
def test_outsiders_get_404_in_the_back_office(
    facility: Facility, other_staff: User, who: str,
) -> None:
    dispute = _dispute_at(facility)
    payment = Payment.objects.select_related("payee", "payer").get(pk=dispute.payment_id)
    assert facility.organization is not None
    users: dict[str, User] = {"other_staff": other_staff, "doctor": payment.payee,
                              "patient": payment.payer, "organization": facility.organization}
    client = client_for(users[who])

    assert client.get(reverse("backoffice:dispute", args=[dispute.pk])).status_code == 404
    assert client.get(reverse("backoffice:evidence", args=[dispute.pk, 1])).status_code == 404
    posted = client.post(reverse("backoffice:dispute", args=[dispute.pk]),
                         {"action": "investigate"})
    assert posted.status_code == 404
    queue = client.get(reverse("backoffice:disputes"))
    if who == "other_staff":
        assert queue.status_code == 200 and _queue_ids(queue) == []
    else:
        assert queue.status_code == 404
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.PENDING


def test_staff_without_a_facility_have_no_back_office() -> None:
    loose = factories.StaffFactory(facility=None)

    assert client_for(loose).get(reverse("backoffice:disputes")).status_code == 404
