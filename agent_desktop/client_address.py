"""Which address a request comes from (for the login limits), and whether the browser used HTTPS (for the
cookie's Secure flag), when the desktop runs behind a proxy.

Behind a reverse proxy every request arrives from the proxy's address, so a per-address limit would make
one noisy client lock every user out. When the direct peer is one of the configured trusted proxies, the
client is the right-most address of ``X-Forwarded-For`` that is not a trusted proxy itself (addresses to
the left of it were written by the client and prove nothing). Otherwise the header is ignored: anyone
can send it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Sequence[str]) -> tuple[Network, ...]:
    """CIDRs or plain addresses; raises ValueError naming the one that is not."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an address or a network (e.g. 10.0.0.5 or 10.0.0.0/24)") from None
    return tuple(networks)


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    """The address to count a request against: ``peer`` unless it is a trusted proxy that forwarded it."""
    client = peer or "unknown"
    if not proxies or forwarded_for is None or not _trusted(client, proxies):
        return client
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not hop:
            continue
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return client  # garbage where the nearest untrusted hop should be: count the proxy
        client = hop
    return client


def forwarded_https(peer: str | None, forwarded_proto: str | None, proxies: tuple[Network, ...]) -> bool:
    """Whether a trusted proxy (the direct ``peer``) says the browser's request came over HTTPS."""
    if not proxies or not forwarded_proto or not _trusted(peer or "", proxies):
        return False
    # The nearest proxy appends its hop last.
    return forwarded_proto.split(",")[-1].strip().lower() == "https"
