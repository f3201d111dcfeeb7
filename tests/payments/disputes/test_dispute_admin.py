"""Django admin: platform owners read payments and disputes; nothing there changes money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from apps.accounts import demo
from apps.accounts.models import User
from apps.payments import dispute_services as services
from apps.payments.dispute_selectors import backoffice_disputes
from apps.payments.models import Payment, PaymentStatus
from tests import factories
from tests.payments.disputes.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_platform_owner_reads_a_dispute_with_its_history(paid: Payment, staff: User) -> None:
    dispute = services.dispute_raise(actor=paid.payer, payment_id=paid.pk, reason="Twice")
    services.dispute_investigate(actor=staff, dispute_id=dispute.pk, note="On it")
    client = client_for(factories.PlatformOwnerFactory())

    response = client.get(reverse("admin:payments_paymentdispute_change", args=[dispute.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "On it" in content  # the history inline
    assert 'name="status"' not in content  # read-only: no input for it
    assert response.context["has_change_permission"] is False


def test_payment_money_fields_are_read_only_in_admin(paid: Payment) -> None:
    client = client_for(factories.PlatformOwnerFactory())
    url = reverse("admin:payments_payment_change", args=[paid.pk])

    page = client.get(url)
    posted = client.post(url, {"amount": "1.00", "status": "REFUNDED",
                               "refund_amount": "1.00", "transaction_id": "X"})

    assert page.status_code == 200
    for field in ("amount", "currency", "refund_amount", "transaction_id", "status"):
        assert f'name="{field}"' not in page.content.decode()
    assert posted.status_code == 403
    paid.refresh_from_db()
    assert (paid.amount, paid.status, paid.refund_amount) == (
        Decimal("2000.00"), PaymentStatus.COMPLETED, None)


def test_staff_have_no_django_admin(paid: Payment, staff: User) -> None:
    response = client_for(staff).get(reverse("admin:payments_payment_change", args=[paid.pk]))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_demo_seed_gives_staff1_a_pending_dispute_once() -> None:
    demo.demo_seed(password="demo-password-for-tests")
    demo.demo_seed(password="demo-password-for-tests")

    staff1 = User.objects.get(email=demo.staff_email(1))
    patient1 = User.objects.get(email=demo.patient_email(1))
    queue = backoffice_disputes(actor=staff1, status="PENDING")
    assert [dispute.payment.payer_id for dispute in queue.object_list] == [patient1.pk]
    assert Payment.objects.filter(payer=patient1, status=PaymentStatus.COMPLETED).count() == 1
