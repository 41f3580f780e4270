"""Cloud API 3.0's older signature (v1, ``HmacSHA1`` / ``HmacSHA256``), as the official SDKs send it with
``ClientProfile(signMethod=...)``: every parameter, the public ones included, in a form body (POST) or the
query string (GET) of a request to ``/``.

Public parameters: Action, Version, Region, Timestamp, Nonce, SecretId, SignatureMethod (absent = HmacSHA1)
and Signature = base64(HMAC(SecretKey, METHOD + host + "/?" + the other parameters sorted by name, joined
as ``name=value`` with ``&``, values not encoded)). The Python SDK writes ``_`` in names as ``.`` in the
string it signs. A Timestamp more than 5 minutes off the wall clock (moved by a fault's ``clock_skew_s``) is
AuthFailure.SignatureExpire, as for TC3.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from emulator.context import EmulatorContext
from emulator.providers.tencent import tc3
from emulator.providers.tencent.errors import Api3Error

DIGESTS = {"HmacSHA1": hashlib.sha1, "HmacSHA256": hashlib.sha256}
PUBLIC = frozenset(
    {
        "Action",
        "Version",
        "Region",
        "Timestamp",
        "Nonce",
        "SecretId",
        "SignatureMethod",
        "Signature",
        "Token",
        "Language",
        "RequestClient",
    }
)


def is_v1(params: Mapping[str, str]) -> bool:
    """A v1 request names its SecretId and Signature among the parameters."""
    return "SecretId" in params and "Signature" in params


def v1_signature(secret_key: str, method: str, host: str, params: Mapping[str, str], algorithm: str) -> str:
    signed = "&".join(f"{name}={params[name]}" for name in sorted(params) if name != "Signature")
    text = f"{method}{host}/?{signed}".encode("utf-8", "surrogatepass")  # odd input must not raise
    digest = hmac.new(secret_key.encode(), text, DIGESTS[algorithm]).digest()
    return base64.b64encode(digest).decode()


def authenticate(
    ctx: EmulatorContext, *, method: str, host: str, params: Mapping[str, str], now: float
) -> str:
    """Check a v1 request's signature against the time ``now``; returns the appid or raises Api3Error."""
    for name in ("SecretId", "Signature", "Timestamp", "Nonce"):
        if not params.get(name):
            raise Api3Error("MissingParameter", f"The request is missing a required parameter `{name}`.")
    algorithm = params.get("SignatureMethod", "HmacSHA1")
    if algorithm not in DIGESTS:
        raise Api3Error(
            "InvalidParameterValue", f"SignatureMethod [{algorithm[:32]}] must be HmacSHA1 or HmacSHA256."
        )
    app_id, secret_key = tc3.credential(ctx, params["SecretId"])
    timestamp = params["Timestamp"]
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Api3Error("InvalidParameter", f"Timestamp [{timestamp[:32]}] must be a unix time.")
    if not ctx.auth_strict:
        return app_id
    if abs(int(timestamp) - now) > tc3.MAX_SKEW_S:
        raise Api3Error(
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
        )
    # Python writes "_" as "." in the names it signs; Node.js does not: either verifies.
    dotted = {name.replace("_", "."): value for name, value in params.items()}
    given = params["Signature"].encode()
    for candidate in (params, dotted) if dotted.keys() != params.keys() else (params,):
        if hmac.compare_digest(v1_signature(secret_key, method, host, candidate, algorithm).encode(), given):
            return app_id
    raise Api3Error(
        "AuthFailure.SignatureFailure",
        "The provided credentials could not be validated. Please check your signature is correct.",
    )
