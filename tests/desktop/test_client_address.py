"""The login limits count the client behind a trusted reverse proxy, and nobody else's say-so."""

from __future__ import annotations

import pytest

from agent_desktop.client_address import client_address, parse_networks
from agent_desktop.config import DesktopConfigError, desktop_config_from_raw

PROXY = parse_networks(["10.0.0.5", "10.1.0.0/24"])


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_address("10.0.0.5", "203.0.113.9", PROXY) == "203.0.113.9"
    # two proxies in a row: the nearest untrusted hop is the client; what the client wrote is ignored
    assert client_address("10.0.0.5", "1.2.3.4, 203.0.113.9, 10.1.0.7", PROXY) == "203.0.113.9"
    assert client_address("10.0.0.5", "2001:db8::1", PROXY) == "2001:db8::1"


def test_anyone_else_cannot_choose_the_address_they_are_counted_as() -> None:
    assert client_address("198.51.100.7", "203.0.113.9", PROXY) == "198.51.100.7"  # not a proxy of ours
    assert client_address("198.51.100.7", "203.0.113.9", ()) == "198.51.100.7"  # no proxies configured
    assert client_address("10.0.0.5", None, PROXY) == "10.0.0.5"  # the proxy's own request
    assert client_address("10.0.0.5", "not-an-address", PROXY) == "10.0.0.5"
    assert client_address(None, None, PROXY) == "unknown"


def test_trusted_proxies_is_a_web_setting_checked_at_start() -> None:
    config = desktop_config_from_raw({"web": {"trusted_proxies": ["10.0.0.5", "fd00::/64"]}})
    assert [str(n) for n in config.trusted_proxies] == ["10.0.0.5/32", "fd00::/64"]
    assert desktop_config_from_raw({}).trusted_proxies == ()
    for wrong in ("10.0.0.5", ["proxy.example"], [5]):
        with pytest.raises(DesktopConfigError, match=r"web\.trusted_proxies"):
            desktop_config_from_raw({"web": {"trusted_proxies": wrong}})
