"""Volcengine's SigV4 (``HMAC-SHA256``), computed exactly as the official SDK signs.

The SDK (``volcengine/auth/SignerV4.py``) builds the canonical request from the method, the quoted path, the
query sorted by key (values quoted, safe ``-_.~``), ``name:value`` lines of the signed headers (content-type,
host, x-content-sha256, x-date; host without a :80/:443 port), the signed-header list and sha256(body).
The string to sign is ``HMAC-SHA256\\n<X-Date>\\n<date>/<region>/<service>/request\\n`` + sha256(canonical);
the key is an HMAC chain over date, region, service and "request" starting from the secret key.

The query-string (presigned) form (``SignerV4.sign_url`` in Python, ``Signer.getSignUrl`` in Node.js)
carries X-Date, X-Credential (``AK/<scope>``), X-Algorithm, X-SignedHeaders (empty), X-SignedQueries,
X-NotSignBody and X-Signature in the query. It signs the query without X-Signature (Python keeps
X-SignedQueries in it, Node.js leaves it out), an empty header block written as one blank line, and the
hash of an empty body: the body is not signed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote

ALGORITHM = "HMAC-SHA256"


@dataclass(frozen=True)
class Authorization:
    """The parsed ``Authorization`` header."""

    access_key: str
    date: str  # YYYYMMDD of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/request"


class MalformedAuthorization(ValueError):
    """The header is not ``HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``; the message names
    what is missing."""


def parse_authorization(header: str) -> Authorization:
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise MalformedAuthorization("Authorization")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        name, _, value = item.strip().partition("=")
        parts[name] = value.strip()
    for name in ("Credential", "SignedHeaders", "Signature"):
        if not parts.get(name):
            raise MalformedAuthorization(name)
    access_key, date, region, service = parse_credential(parts["Credential"])
    return Authorization(
        access_key=access_key,
        date=date,
        region=region,
        service=service,
        signed_headers=tuple(parts["SignedHeaders"].split(";")),
        signature=parts["Signature"],
    )


def parse_credential(value: str) -> tuple[str, str, str, str]:
    """``AK/date/region/service/request`` -> (AK, date, region, service); MalformedAuthorization if not."""
    scope = value.split("/")
    if len(scope) != 5 or scope[4] != "request" or not all(scope[:4]):
        raise MalformedAuthorization("Credential")
    return scope[0], scope[1], scope[2], scope[3]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(secret.encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "request")


def canonical_query(items: Iterable[tuple[str, str]]) -> str:
    """Sorted by key (a stable sort: repeated keys keep their order), each part quoted with safe ``-_.~``."""
    pairs = sorted(items, key=lambda kv: kv[0])
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)
    return query.replace("+", "%20")


def canonical_host(host: str) -> str:
    """The SDK signs the host without the default ports."""
    name, sep, port = host.rpartition(":")
    return name if sep and port in ("80", "443") else host


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: dict[str, str],
    signed_headers: tuple[str, ...],
    body: bytes,
) -> str:
    """``headers`` maps lower-case names to the values signed (host already canonical)."""
    lines = "".join(f"{name}:{headers[name]}\n" for name in signed_headers)
    return "\n".join(
        [
            method,
            quote(path or "/").replace("%2F", "/").replace("+", "%20"),
            canonical_query(query),
            lines,
            ";".join(signed_headers),
            sha256_hex(body),
        ]
    )


def presigned_canonical_request(
    method: str, path: str, query: list[tuple[str, str]], header_lines: str, signed_headers: tuple[str, ...]
) -> str:
    """The canonical request of a query-string signature (body not signed; no headers = one blank line)."""
    return "\n".join(
        [
            method,
            quote(path or "/").replace("%2F", "/").replace("+", "%20"),
            canonical_query(query),
            header_lines or "\n",
            ";".join(signed_headers),
            sha256_hex(b""),
        ]
    )


def signature(secret: str, x_date: str, auth: Authorization, canonical: str) -> str:
    to_sign = "\n".join([ALGORITHM, x_date, auth.scope, sha256_hex(canonical.encode())])
    key = signing_key(secret, auth.date, auth.region, auth.service)
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.lower().encode())
