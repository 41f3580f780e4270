"""SigV4 as the official SDK computes it: our canonical request and signature reproduce the SDK's exactly."""

from __future__ import annotations

from collections import OrderedDict

import pytest
from volcengine.auth.SignerV4 import SignerV4
from volcengine.base.Request import Request
from volcengine.Credentials import Credentials

from emulator.providers.volcengine import signing


def _sdk_signed(host: str, query: dict[str, str], body: bytes, sk: str = "emulator-secret") -> Request:
    """Sign a request the way ``Service.json`` does."""
    request = Request()
    request.set_method("POST")
    request.set_path("/")
    request.set_query(OrderedDict(query))
    request.set_headers(
        OrderedDict({"Accept": "application/json", "Host": host, "Content-Type": "application/json"})
    )
    request.body = body
    SignerV4.sign(request, Credentials("AKLTemulator", sk, "live", "cn-north-1"))
    return request


def _ours(request: Request, host_header: str, secret: str = "emulator-secret") -> str:
    auth = signing.parse_authorization(request.headers["Authorization"])
    headers = {name: request.headers[_sdk_name(request, name)] for name in auth.signed_headers}
    headers["host"] = signing.canonical_host(host_header)
    canonical = signing.canonical_request(
        "POST", "/", list(request.query.items()), headers, auth.signed_headers, request.body
    )
    return signing.signature(secret, request.headers["X-Date"], auth, canonical)


def _sdk_name(request: Request, lower: str) -> str:
    return next(k for k in request.headers if k.lower() == lower)


@pytest.mark.parametrize(
    ("host", "query"),
    [
        ("127.0.0.1:18080", {"Action": "CreateCloudMixTask", "Version": "2023-01-01"}),
        ("live.volcengineapi.com:443", {"Action": "ListCloudMixTask", "Version": "2023-01-01"}),
        ("localhost:80", {"Version": "2023-01-01", "Action": "X", "Extra": "a b+c/d~e*"}),
    ],
)
def test_signature_matches_the_sdk(host: str, query: dict[str, str]) -> None:
    request = _sdk_signed(host, query, '{"Name": "混流 1"}'.encode())
    auth = signing.parse_authorization(request.headers["Authorization"])
    assert auth.access_key == "AKLTemulator" and auth.service == "live" and auth.region == "cn-north-1"
    assert auth.signed_headers == ("content-type", "host", "x-content-sha256", "x-date")
    assert _ours(request, host) == auth.signature
    assert _ours(request, host, secret="wrong") != auth.signature


def test_default_ports_are_signed_without_the_port() -> None:
    assert signing.canonical_host("example.com:80") == "example.com"
    assert signing.canonical_host("example.com:443") == "example.com"
    assert signing.canonical_host("127.0.0.1:8080") == "127.0.0.1:8080"


def test_canonical_query_sorts_keys_and_quotes_values() -> None:
    query = [("b", "x y"), ("a", "2"), ("a", "1"), ("c", "~/*")]
    assert signing.canonical_query(query) == "a=2&a=1&b=x%20y&c=~%2F%2A"


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        ("", "Authorization"),
        ("AWS4-HMAC-SHA256 Credential=a/b/c/d/request", "Authorization"),
        ("HMAC-SHA256 SignedHeaders=host, Signature=ab", "Credential"),
        ("HMAC-SHA256 Credential=AK/20240101/cn-north-1/live/request, Signature=ab", "SignedHeaders"),
        ("HMAC-SHA256 Credential=AK/20240101/cn-north-1/live/request, SignedHeaders=host", "Signature"),
        ("HMAC-SHA256 Credential=AK/20240101/live/request, SignedHeaders=host, Signature=ab", "Credential"),
    ],
)
def test_malformed_authorization_names_what_is_missing(header: str, missing: str) -> None:
    with pytest.raises(signing.MalformedAuthorization) as info:
        signing.parse_authorization(header)
    assert str(info.value) == missing
