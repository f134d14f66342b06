"""Who is on the other end of a handshake: the TCP peer, or, behind a trusted proxy, the address it forwards."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from websockets.datastructures import Headers

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddresses:
    """The client's address for the login throttle, as uvicorn's proxy headers middleware finds it for the API.

    From a trusted proxy (nginx in deploy/), X-Forwarded-For is read right to left and the first address not
    itself a trusted proxy is the client: proxies append the peer they saw, so only the entries our own
    proxies added can be believed. From anyone else the header is ignored: a client could write anything.
    """

    def __init__(self, trusted_proxies: Sequence[IpNetwork]) -> None:
        self._trusted = list(trusted_proxies)

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._trusted)

    def of(self, peer: str | None, headers: Headers) -> str | None:
        if peer is None or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for value in headers.get_all("X-Forwarded-For") for hop in value.split(",")]
        hops = [hop for hop in hops if hop]
        for hop in reversed(hops):
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer
