"""The real client address behind trusted proxies, for the PHI trail and the login lockout."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from apps.accounts import services
from apps.audit.models import PhiAccessLog
from apps.audit.network import client_ip
from tests.factories import TEST_PASSWORD, PatientFactory

PROXY = "10.0.0.5"
PROXIES = ["10.0.0.0/24", "fd00::/8"]
CLIENT = "203.0.113.7"
ATTACKER_CLAIM = "198.51.100.99"


def ip(remote: str, forwarded: str | None = None) -> str | None:
    request = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        request.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(request)


def test_without_a_request_there_is_no_address() -> None:
    assert client_ip(None) is None


def test_by_default_no_proxy_is_trusted_and_the_header_is_ignored() -> None:
    assert ip(CLIENT, ATTACKER_CLAIM) == CLIENT
    assert ip(PROXY, CLIENT) == PROXY


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_a_trusted_proxy_hands_over_to_the_address_it_saw() -> None:
    assert ip(PROXY, CLIENT) == CLIENT


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_what_the_client_wrote_into_the_header_is_ignored() -> None:
    # The client sent "X-Forwarded-For: 198.51.100.99"; the proxy appended what it saw.
    assert ip(PROXY, f"{ATTACKER_CLAIM}, {CLIENT}") == CLIENT


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_an_untrusted_peer_cannot_claim_another_address() -> None:
    assert ip(CLIENT, ATTACKER_CLAIM) == CLIENT
    assert ip(CLIENT, f"{ATTACKER_CLAIM}, {PROXY}") == CLIENT


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_a_chain_of_trusted_proxies_is_walked_to_the_first_untrusted_hop() -> None:
    assert ip(PROXY, f"{ATTACKER_CLAIM}, {CLIENT}, 10.0.0.9") == CLIENT


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_garbage_in_the_header_stops_the_walk() -> None:
    assert ip(PROXY, "not-an-address") == PROXY
    assert ip(PROXY, f"{CLIENT}, bogus, 10.0.0.9") == "10.0.0.9"
    assert ip(PROXY, "") == PROXY


@override_settings(TRUSTED_PROXIES=PROXIES)
def test_ports_brackets_and_ipv6_are_understood() -> None:
    assert ip(PROXY, f"{CLIENT}:51234") == CLIENT
    assert ip(PROXY, "[2001:db8::1]:443") == "2001:db8::1"
    assert ip("fd00::5", "2001:db8::2") == "2001:db8::2"
    assert ip("::ffff:10.0.0.5", CLIENT) == CLIENT


def test_it_refuses_to_start_with_a_malformed_proxy_setting() -> None:
    from tests.core.test_settings import manage_check

    done = manage_check(TRUSTED_PROXIES="10.0.0.0/24,not-a-network")

    assert done.returncode != 0
    assert "TRUSTED_PROXIES holds 'not-a-network'" in done.stderr


# --- One address for the PHI trail and the login lockout -----------------------------------


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=PROXIES)
def test_the_phi_trail_records_the_client_behind_the_proxy(client: Client) -> None:
    patient = PatientFactory.create()
    client.force_login(patient)

    client.get(reverse("accounts:profile"), REMOTE_ADDR=PROXY,
               HTTP_X_FORWARDED_FOR=f"{ATTACKER_CLAIM}, {CLIENT}")

    assert PhiAccessLog.objects.get().ip_address == CLIENT


def _login(client: Client, email: str, password: str, address: str) -> int:
    response = client.post(
        reverse("accounts:login"), {"email": email, "password": password},
        REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address,
    )
    return response.status_code


@pytest.mark.django_db
@override_settings(TRUSTED_PROXIES=PROXIES)
def test_the_lockout_counts_per_client_behind_the_proxy_not_per_proxy(client: Client) -> None:
    user = PatientFactory.create()
    for _attempt in range(services.LOGIN_FAILURE_LIMIT):
        assert _login(client, user.email, "wrong-password-here", CLIENT) == 400

    assert _login(client, user.email, TEST_PASSWORD, CLIENT) == 400  # locked
    assert _login(Client(), user.email, TEST_PASSWORD, "203.0.113.8") == 302


@pytest.mark.django_db
def test_a_spoofed_header_does_not_escape_the_lockout(client: Client) -> None:
    user = PatientFactory.create()
    for attempt in range(services.LOGIN_FAILURE_LIMIT):
        assert _login(client, user.email, "wrong-password-here", f"192.0.2.{attempt}") == 400

    # No proxy is trusted: every attempt came from the peer PROXY, whatever the header said.
    assert _login(client, user.email, TEST_PASSWORD, "192.0.2.200") == 400
