"""Which hosts the emulator may reach on its own: URL sources, callbacks and rtmp pushes.

``outbound_allow`` (config, ``MIXEMU_OUTBOUND_ALLOW``) lists them; empty (the default) means any host.
An entry is a host name (``media.example.com``), a wildcard for its subdomains (``*.example.com``), an IP
address, a network (``10.0.0.0/8``), any of those with ``:port``, or ``*`` for everything. Names are
compared as written, never resolved: to allow an address, list the address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class _Entry:
    host: str  # lower-case name, "*.suffix", or "" for a network
    network: IpNetwork | None
    port: int | None

    def matches(self, host: str, port: int | None) -> bool:
        if self.port is not None and port != self.port:
            return False
        if self.network is not None:
            try:
                return ipaddress.ip_address(host) in self.network
            except ValueError:
                return False
        if self.host == "*":
            return True
        if self.host.startswith("*."):
            return host.endswith(self.host[1:])
        return host == self.host


def _entry(text: str) -> _Entry:
    raw = text.strip().lower()
    host, port_text = raw, ""
    if raw.startswith("["):  # [v6]:port
        host, _, rest = raw[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif raw.count(":") == 1:
        host, _, port_text = raw.partition(":")
    if port_text and not (port_text.isascii() and port_text.isdigit() and int(port_text) <= 65535):
        raise ValueError(f"outbound_allow entry {text!r}: the port must be a number up to 65535")
    port = int(port_text) if port_text else None
    if not host:
        raise ValueError(f"outbound_allow entry {text!r} names no host")
    try:
        return _Entry("", ipaddress.ip_network(host, strict=False), port)
    except ValueError:
        return _Entry(host, None, port)


class OutboundPolicy:
    def __init__(self, allow: list[str]) -> None:
        self._entries = [_entry(item) for item in allow if item.strip()]

    @property
    def limited(self) -> bool:
        return bool(self._entries)

    def refusal(self, url: str) -> str | None:
        """Why the emulator must not fetch from or send to ``url``; None when it may."""
        if not self._entries:
            return None
        try:
            parts = urlsplit(url)
            host, port = (parts.hostname or "").lower(), parts.port
        except ValueError:
            return f"{url[:200]!r} is not a URL the outbound allow-list can check"
        if port is None:
            port = {"http": 80, "https": 443, "rtmp": 1935, "rtmps": 443}.get(parts.scheme.lower())
        if host and any(entry.matches(host, port) for entry in self._entries):
            return None
        return f"{host or url[:200]!r} is not in the outbound allow-list (outbound_allow)"


def check_entries(allow: list[str]) -> None:
    """Raise ValueError for an entry the policy cannot use (settings validation)."""
    OutboundPolicy(allow)
