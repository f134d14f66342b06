"""The handshake's client address: the TCP peer, or X-Forwarded-For's last untrusted hop behind a trusted proxy."""

from __future__ import annotations

import pytest
from websockets.datastructures import Headers

from autocharge.settings import Settings, networks
from ocpp_server.client_address import ClientAddresses

ADDRESSES = ClientAddresses(networks("10.0.0.0/8, 127.0.0.1"))


def forwarded(*values: str) -> Headers:
    headers = Headers()
    for value in values:
        headers["X-Forwarded-For"] = value
    return headers


def test_without_a_trusted_proxy_the_peer_is_the_client_whatever_it_writes() -> None:
    assert ADDRESSES.of("198.51.100.9", forwarded("203.0.113.7")) == "198.51.100.9"
    assert ADDRESSES.of(None, forwarded("203.0.113.7")) is None


def test_behind_trusted_proxies_the_last_untrusted_hop_is_the_client() -> None:
    # The client wrote a fake first hop; nginx (10.0.0.2) appended the address it saw; so did 10.0.0.3.
    headers = forwarded("1.2.3.4, 203.0.113.7", "10.0.0.3")
    assert ADDRESSES.of("10.0.0.2", headers) == "203.0.113.7"


def test_a_trusted_proxy_without_the_header_or_with_only_trusted_hops() -> None:
    assert ADDRESSES.of("127.0.0.1", Headers()) == "127.0.0.1"
    assert ADDRESSES.of("127.0.0.1", forwarded("10.0.0.5, 10.0.0.6")) == "10.0.0.5"


def test_nonsense_hops_are_untrusted_and_no_proxy_is_trusted_by_default() -> None:
    assert ADDRESSES.of("10.0.0.2", forwarded("not-an-ip")) == "not-an-ip"
    assert ClientAddresses([]).of("127.0.0.1", forwarded("203.0.113.7")) == "127.0.0.1"


def test_the_setting_takes_addresses_and_networks_and_refuses_anything_else() -> None:
    assert [str(n) for n in Settings(trusted_proxies="127.0.0.1, 10.0.0.0/8").trusted_proxy_networks] == [
        "127.0.0.1/32",
        "10.0.0.0/8",
    ]
    with pytest.raises(ValueError, match="trusted_proxies"):
        Settings(trusted_proxies="nginx")
