"""outbound_allow entries as written: bracketed IPv6 with and without a port, the port's range from both
sides, networks given with host bits, and entries naming no host."""

from __future__ import annotations

import pytest

from emulator.core.outbound import OutboundPolicy, check_entries


def allowed(entry: str, url: str) -> bool:
    return OutboundPolicy([entry]).refusal(url) is None


def test_a_bracketed_ipv6_address_with_a_port_allows_that_port_only() -> None:
    assert allowed("[::1]:8080", "http://[::1]:8080/a")
    assert not allowed("[::1]:8080", "http://[::1]:8081/a")
    assert not allowed("[::1]:8080", "http://[::2]:8080/a")


def test_a_bracketed_ipv6_address_without_a_port_allows_every_port() -> None:
    for url in ("http://[fe80::1]/a", "rtmp://[fe80::1]:1935/live/s", "https://[FE80::1]:9/x"):
        assert allowed("[fe80::1]", url), url
    assert not allowed("[fe80::1]", "http://[fe80::2]/a")


def test_an_ipv6_network_in_brackets() -> None:
    assert allowed("[2001:db8::/32]", "http://[2001:db8:1::5]/a")
    assert not allowed("[2001:db8::/32]", "http://[2001:db9::5]/a")


def test_the_port_is_accepted_up_to_65535() -> None:
    check_entries(["a.example:65535", "[::1]:65535", "a.example:0"])
    assert allowed("a.example:65535", "http://a.example:65535/")
    for bad in ("a.example:65536", "[::1]:65536", "a.example:http", "a.example:٣"):
        with pytest.raises(ValueError, match="the port must be a number up to 65535"):
            check_entries([bad])


def test_a_network_port_is_kept() -> None:
    assert allowed("10.0.0.0/8:8080", "http://10.1.2.3:8080/")
    assert not allowed("10.0.0.0/8:8080", "http://10.1.2.3/")
    assert not allowed("10.0.0.0/8:8080", "http://11.1.2.3:8080/")


def test_a_network_with_host_bits_set_means_its_network() -> None:
    assert allowed("10.0.0.1/8", "http://10.9.9.9/")
    assert allowed("192.168.1.77/24", "rtmp://192.168.1.3/live/x")
    assert not allowed("192.168.1.77/24", "rtmp://192.168.2.3/live/x")


def test_an_entry_without_a_host_is_refused() -> None:
    for bad in (":80", "[]:80", "[]"):
        with pytest.raises(ValueError, match=r"names no host"):
            check_entries([bad])


def test_a_url_without_a_port_has_its_schemes_default_port() -> None:
    assert allowed("a.example:80", "http://a.example/x") and not allowed("a.example:81", "http://a.example/x")
    assert allowed("a.example:443", "HTTPS://a.example/x") and allowed(
        "a.example:443", "rtmps://a.example/l/s"
    )
    assert not allowed("a.example:444", "rtmps://a.example/l/s")
    assert allowed("a.example:1935", "rtmp://a.example/live/s")
    assert not allowed("a.example:80", "ftp://a.example/x")  # no default port known: only a port-less entry


def test_the_refusal_names_the_host() -> None:
    policy = OutboundPolicy(["a.example"])
    assert (
        policy.refusal("http://b.example:8080/x")
        == "'b.example' is not in the outbound allow-list (outbound_allow)"
    )
    assert (
        policy.refusal("file:///etc/passwd")
        == "'file:///etc/passwd' is not in the outbound allow-list (outbound_allow)"
    )
