"""The address of the client a request came from, as far as the configured proxies vouch.

`REMOTE_ADDR` is the peer that opened the TCP connection. Behind a reverse proxy that is the
proxy; the proxy appends the peer it saw to `X-Forwarded-For`. Only hops listed in
`TRUSTED_PROXIES` are believed: the header is read from the right, each trusted hop hands
over to the address it reports, and the first untrusted address is the client. Anything a
client writes into the header itself sits to the left of that and is never reached.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# phi_access_logs.ip_address is VARCHAR(50); an IPv6 address is at most 45 characters.
MAX_ADDRESS_LENGTH = 50


@lru_cache(maxsize=8)
def trusted_networks(proxies: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def parse_address(value: str) -> IPAddress | None:
    """An address as proxies write it: bare, `[v6]`, `[v6]:port` or `v4:port`."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address.version == network.version and address in network
               for network in networks)


def client_ip(request: HttpRequest | None) -> str | None:
    """The real client address: used by the PHI access trail and the login lockout alike."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or ""
    current = parse_address(remote)
    if current is None:
        return remote[:MAX_ADDRESS_LENGTH] or None
    networks = trusted_networks(tuple(settings.TRUSTED_PROXIES))
    if networks:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop for hop in forwarded.split(",") if hop.strip()]
        for hop in reversed(hops):
            if not _is_trusted(current, networks):
                break
            reported = parse_address(hop)
            if reported is None:  # garbage to the left of a trusted hop: stop believing
                break
            current = reported
    return str(current)
