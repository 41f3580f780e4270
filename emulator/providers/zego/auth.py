"""ZEGO's three kinds of authentication: the rtc-api signature, the legacy access_token, callback signatures.

rtc-api: Signature = md5(AppId + SignatureNonce + ServerSecret + Timestamp), lowercase hex, with the public
query parameters checked in the gateway's order and a 10-minute window on the wall clock (clients sign with
theirs; a fault's ``clock_skew_s`` moves it).
Legacy: ``GET /cgi/token`` trades appid + secret for an access_token valid 7200 s on the emulator clock (a
provider rule); a new one replaces the old.
Callbacks: signature = sha1 of the sorted concatenation of [callback secret, timestamp, nonce].
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from multidict import MultiMapping

from emulator.config import Credential
from emulator.providers.zego.errors import (
    LEGACY_TOKEN_EXPIRED,
    LEGACY_TOKEN_INVALID,
    GatewayError,
    LegacyError,
)
from emulator.providers.zego.fields import INT64, UINT32, decimal

SIGNATURE_WINDOW_S = 600
TOKEN_TTL_S = 7200


def signature(app_id: int | str, nonce: str, secret: str, timestamp: int | str) -> str:
    return hashlib.md5(f"{app_id}{nonce}{secret}{timestamp}".encode()).hexdigest()


def callback_signature(secret: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([secret, timestamp, nonce])).encode()).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who an authenticated rtc-api request comes from."""

    app_id: int
    credential: Credential
    is_test: bool


def check_gateway(
    query: MultiMapping[str],
    host: str | None,
    *,
    lookup: Callable[[str], Credential | None],
    now: float,
    strict: bool,
    supported: frozenset[str],
) -> Caller:
    """The rtc-api gateway: public parameters, then the signature. Raises GatewayError."""
    if not host:
        raise GatewayError(100000000)
    action = query.get("Action", "")
    if not action:
        raise GatewayError(100000006)
    if action not in supported:
        raise GatewayError(100000007, action)
    raw_app = query.get("AppId", "")
    app_id = decimal(raw_app, unsigned=True)
    if app_id is None or app_id > UINT32:
        raise GatewayError(100000001, raw_app)
    nonce = query.get("SignatureNonce", "")
    if not nonce:
        raise GatewayError(100000008)
    raw_ts = query.get("Timestamp", "")
    if not raw_ts:
        raise GatewayError(100000002)
    timestamp = decimal(raw_ts)
    if timestamp is None or abs(timestamp) > INT64:
        raise GatewayError(100000003, raw_ts)
    given = query.get("Signature", "")
    if not given:
        raise GatewayError(100000009)
    version = query.get("SignatureVersion", "")
    if not version:
        raise GatewayError(100000013)
    if version != "2.0":
        raise GatewayError(100000014, version)
    credential = lookup(str(app_id))
    if credential is None:
        raise GatewayError(100000010, f"AppId {app_id} is not configured")
    if strict:
        if abs(now - timestamp) > SIGNATURE_WINDOW_S:
            raise GatewayError(100000004, f"Timestamp {raw_ts} is more than 10 minutes off")
        expected = signature(app_id, nonce, credential.secret, raw_ts)
        if not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise GatewayError(100000005)
    is_test = query.get("IsTest", "false").lower() == "true"
    if not is_test and credential.extra.get("production", True) is False:
        raise GatewayError(100000016, f"AppId {app_id} only has the test environment: send IsTest=true")
    return Caller(app_id, credential, is_test)


class TokenStore:
    """The legacy API's access tokens: one live token per app, on the emulator clock."""

    def __init__(self) -> None:
        self._by_app: dict[str, tuple[str, float]] = {}

    def issue(self, app_id: str, now: float) -> str:
        token = base64.urlsafe_b64encode(secrets.token_bytes(48)).decode().rstrip("=")
        self._by_app[app_id] = (token, now + TOKEN_TTL_S)  # the previous token of the app stops working
        return token

    def app_of(self, token: str, now: float) -> str:
        """The app a token belongs to; LegacyError if it is unknown, replaced or expired."""
        for app_id, (live, expires_at) in self._by_app.items():
            if hmac.compare_digest(live.encode(), token.encode()):
                if now >= expires_at:
                    raise LegacyError(LEGACY_TOKEN_EXPIRED)
                return app_id
        raise LegacyError(LEGACY_TOKEN_INVALID)

    def clear(self) -> None:
        self._by_app.clear()
