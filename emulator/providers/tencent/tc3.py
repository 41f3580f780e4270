"""Cloud API 3.0 request signatures (TC3-HMAC-SHA256), checked as the gateway does.

Authorization: ``TC3-HMAC-SHA256 Credential=<SecretId>/<date>/<service>/tc3_request,
SignedHeaders=content-type;host, Signature=<hex>``. The canonical request is the method, ``/``, the query
string (GET mode: the parameters), ``name:value`` of each signed header (lowercase, trimmed), the signed
header list and sha256(body); the string to sign is the algorithm, X-TC-Timestamp, the credential scope and
sha256(canonical request); the key is the HMAC chain "TC3"+SecretKey -> date -> service -> "tc3_request".

The service label is taken as the client wrote it: the Python SDK signs for ``live``, the Node.js, Java and
.NET SDKs for the endpoint's first DNS label (``127`` for ``127.0.0.1:PORT``); the signature still has to
verify with the app's secret. The Node.js SDK signs the host without its port, the others with it: both
verify. A timestamp more than 5 minutes off the *wall* clock (clients sign with theirs; a fault's
``clock_skew_s`` moves it) is AuthFailure.SignatureExpire.

Emulator keys: a Tencent credential's ``extra`` may carry ``secret_id`` / ``secret_key``; by default the
SecretId is the appid and the SecretKey the app's API key (docs/tencent.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from emulator.context import EmulatorContext
from emulator.providers.tencent.errors import Api3Error

ALGORITHM = "TC3-HMAC-SHA256"
SERVICE = "live"
MAX_SKEW_S = 300
# X-TC-Content-SHA256: UNSIGNED-PAYLOAD (ClientProfile(unsignedPayload=True)): the SDKs sign the hash of
# these words in place of the body's.
UNSIGNED_PAYLOAD_HASH = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
_AUTH = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<id>[^/\s]+)/(?P<date>\d{4}-\d{2}-\d{2})/(?P<service>[^/\s]+)"
    r"/tc3_request,\s*"
    r"SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<signature>[0-9a-fA-F]{64})"
)


def tc3_signature(
    secret_key: str,
    *,
    method: str,
    query: str,
    headers: Mapping[str, str],
    signed: list[str],
    body: bytes,
    timestamp: str,
    date: str,
    payload_hash: str | None = None,
    service: str = SERVICE,
) -> str:
    canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in signed)
    canonical = "\n".join(
        [
            method,
            "/",
            query,
            canonical_headers,
            ";".join(signed),
            payload_hash or hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join([ALGORITHM, timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = _hmac(f"TC3{secret_key}".encode(), date)
    key = _hmac(_hmac(key, service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authenticate(
    ctx: EmulatorContext, *, method: str, query: str, headers: Mapping[str, str], body: bytes, now: float
) -> str:
    """Check a request's TC3 signature against the time ``now``; returns the caller's appid or raises
    Api3Error."""
    lowered = {name.lower(): value for name, value in headers.items()}
    match = _AUTH.fullmatch(lowered.get("authorization", "").strip())
    if match is None:
        raise Api3Error("AuthFailure.InvalidAuthorization", "Authorization in the request header is invalid.")
    app_id, secret_key = credential(ctx, match["id"])
    timestamp = lowered.get("x-tc-timestamp", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Api3Error("MissingParameter", "The request is missing a required parameter `X-TC-Timestamp`.")
    if not ctx.auth_strict:
        return app_id
    if abs(int(timestamp) - now) > MAX_SKEW_S:
        raise Api3Error(
            "AuthFailure.SignatureExpire",
            "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
        )
    if match["date"] != _utc_date(int(timestamp)):
        raise Api3Error(
            "AuthFailure.InvalidAuthorization",
            "Credential scope must be <UTC date of X-TC-Timestamp>/<service>/tc3_request.",
        )
    signed = match["headers"].split(";")
    if "host" not in signed or "content-type" not in signed:
        raise Api3Error(
            "AuthFailure.InvalidAuthorization", "SignedHeaders must include content-type and host."
        )
    unsigned = lowered.get("x-tc-content-sha256") == "UNSIGNED-PAYLOAD"
    host = lowered.get("host", "")
    verified = False
    for signed_host in dict.fromkeys([host, host.rpartition(":")[0] or host]):  # with its port, or without
        expected = tc3_signature(
            secret_key,
            method=method,
            query=query,
            headers={**lowered, "host": signed_host},
            signed=signed,
            body=body,
            timestamp=timestamp,
            date=match["date"],
            payload_hash=UNSIGNED_PAYLOAD_HASH if unsigned else None,
            service=match["service"],
        )
        verified = verified or hmac.compare_digest(expected, match["signature"].lower())
    if not verified:
        raise Api3Error(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        )
    return app_id


def credential(ctx: EmulatorContext, secret_id: str) -> tuple[str, str]:
    for cred in reversed(ctx.settings.credentials):
        if cred.provider == "tencent" and str(cred.extra.get("secret_id", cred.app_id)) == secret_id:
            return cred.app_id, str(cred.extra.get("secret_key", cred.secret))
    raise Api3Error(
        "AuthFailure.SecretIdNotFound",
        "The SecretId is not found, please ensure that your SecretId is correct.",
    )


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def _utc_date(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    except (OverflowError, OSError, ValueError):
        return ""
