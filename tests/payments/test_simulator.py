"""The local JazzCash simulator: off unless set, refused in production, signs what it posts."""

from __future__ import annotations

import re

import pytest
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse

from apps.accounts.models import User
from apps.payments import jazzcash
from apps.payments.checks import check_jazzcash_simulator
from apps.payments.models import PaymentStatus
from tests.payments.conftest import SALT, book_with_fee, start_checkout

pytestmark = pytest.mark.django_db


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


@pytest.mark.parametrize("name", ["payments:simulator_pay", "payments:simulator_decide",
                                  "payments:simulator_inquire", "payments:simulator_refund"])
def test_every_simulator_url_is_404_when_it_is_off(name: str) -> None:
    assert Client().post(reverse(name), {}).status_code == 404


def test_the_system_check_refuses_the_simulator_without_debug() -> None:
    with override_settings(JAZZCASH_SIMULATOR=True, DEBUG=False, TESTING=False):
        errors = check_jazzcash_simulator()
    assert [e.id for e in errors] == ["payments.E001"]
    assert errors[0].level == checks.ERROR
    with override_settings(JAZZCASH_SIMULATOR=True, DEBUG=True, TESTING=False):
        assert check_jazzcash_simulator() == []


@override_settings(JAZZCASH_SIMULATOR=True)
def test_approving_in_the_simulator_posts_a_signed_callback_that_completes_it(
    patient: User, fresh_cache: None,
) -> None:
    payment = book_with_fee(patient)
    form = start_checkout(payment)
    client = Client(enforce_csrf_checks=True)

    page = client.post(reverse("payments:simulator_pay"), form).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert token is not None
    redirect = client.post(reverse("payments:simulator_decide"),
                           {"token": token.group(1), "decision": "approve"})
    callback = hidden_fields(redirect.content.decode())

    assert 'action="http://testserver/payments/jazzcash/return/"' in redirect.content.decode()
    assert jazzcash.verify_secure_hash(callback, SALT)
    assert callback["pp_ResponseCode"] == "000"
    result = client.post(reverse("payments:jazzcash_return"), callback)
    assert result.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.COMPLETED
    # The token was used up: the same decision cannot be replayed through the simulator.
    again = client.post(reverse("payments:simulator_decide"),
                        {"token": token.group(1), "decision": "approve"})
    assert again.status_code == 400


@override_settings(JAZZCASH_SIMULATOR=True)
def test_the_simulator_refuses_a_form_with_a_bad_hash(patient: User, fresh_cache: None) -> None:
    form = start_checkout(book_with_fee(patient))
    form["pp_Amount"] = "1"

    response = Client().post(reverse("payments:simulator_pay"), form)

    assert response.status_code == 400
    assert "refused" in response.content.decode()


@override_settings(JAZZCASH_SIMULATOR=True)
def test_the_simulator_api_refuses_malformed_json() -> None:
    response = Client().post(reverse("payments:simulator_inquire"), "[1]",
                             content_type="application/json")
    assert response.status_code == 400
