"""The OpenAPI gateway in front of the mixing actions: which action a request names, and who signed it.

Order of the checks (each failing with the gateway's own code): method, ``Action``/``Version`` present and
known, ``Authorization`` and ``X-Date`` present and well formed, service ``live``, access key known, X-Date
within the window of the *wall* clock (clients sign with theirs; a fault's ``clock_skew_s`` moves it),
signature. A request signed in its query string (``X-Credential``, ``X-Signature``...: the SDKs' presigned
URLs) goes through the same checks. With ``auth = "off"`` only the access key (the id) is checked, and a
request without any signature runs as the first configured Volcengine account.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from emulator.config import Credential
from emulator.context import EmulatorContext
from emulator.providers.volcengine import signing
from emulator.providers.volcengine.errors import VolcError

PROVIDER = "volcengine"
API_VERSION = "2023-01-01"
SERVICE = "live"
DEFAULT_REGION = "cn-north-1"
ACTIONS = frozenset(
    {
        "CreateCloudMixTask",
        "UpdateCloudMixTask",
        "DeleteCloudMixTask",
        "ListCloudMixTask",
        "GetCloudMixTaskDetail",
    }
)
X_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
SIGNATURE_WINDOW_S = 15 * 60  # unconfirmed for Volcengine; AWS SigV4's value


@dataclass(frozen=True)
class Caller:
    access_key: str
    account: str  # tasks, names and rate limits are per account
    region: str


def region_of(request: web.Request) -> str:
    """The region the client signed for (echoed in ResponseMetadata), before the signature is checked."""
    try:
        if "X-Credential" in request.query:
            return signing.parse_credential(request.query["X-Credential"])[2]
        return signing.parse_authorization(request.headers.get("Authorization", "")).region
    except signing.MalformedAuthorization:
        return DEFAULT_REGION


def check_action(request: web.Request) -> str:
    """The action named by the query, or the gateway's error."""
    action, version = request.query.get("Action"), request.query.get("Version")
    if not action:
        raise VolcError("MissingParameter", "Action")
    if not version:
        raise VolcError("MissingParameter", "Version")
    if action not in ACTIONS or version != API_VERSION:
        raise VolcError("InvalidActionOrVersion", action, version)
    if request.method != "POST":
        raise VolcError("MethodNotAllowed", request.method)
    return action


def authenticate(ctx: EmulatorContext, request: web.Request, body: bytes, *, now: float) -> Caller:
    """Who signed the request, checked against the time ``now``; raises VolcError."""
    presigned = "X-Credential" in request.query or "X-Signature" in request.query
    header = request.headers.get("Authorization")
    if header is None and not presigned and not ctx.auth_strict:
        return _default_caller(ctx)
    if header is None and not presigned:
        raise VolcError("MissingRequestInfo", "Authorization")
    try:
        auth = _query_authorization(request.query) if presigned else signing.parse_authorization(header or "")
    except signing.MalformedAuthorization as exc:
        raise VolcError("MissingRequestInfo", str(exc)) from None
    cred = ctx.credential(PROVIDER, auth.access_key)
    if not ctx.auth_strict:
        if cred is None:
            raise VolcError("InvalidAccessKey", auth.access_key)
        return _caller(cred, auth.region)
    x_date = (request.query if presigned else request.headers).get("X-Date")
    if not x_date:
        raise VolcError("MissingRequestInfo", "X-Date")
    if auth.service != SERVICE:
        raise VolcError("ServiceNotFound", auth.service)
    if cred is None:
        raise VolcError("InvalidAccessKey", auth.access_key)
    signed_at = _parse_x_date(x_date)
    window = float(ctx.settings.provider_option(PROVIDER, "signature_window_s", SIGNATURE_WINDOW_S))
    if signed_at is None or abs(now - signed_at) > window:
        raise VolcError("InvalidTimestamp")
    check = _presigned_ok if presigned else _signature_ok
    if auth.date != x_date[:8] or not check(cred.secret, request, body, auth, x_date):
        raise VolcError("SignatureDoesNotMatch")
    return _caller(cred, auth.region)


def _query_authorization(query: Mapping[str, str]) -> signing.Authorization:
    for name in ("X-Credential", "X-Algorithm", "X-Signature"):
        if not query.get(name):
            raise signing.MalformedAuthorization(name)
    if query["X-Algorithm"] != signing.ALGORITHM:
        raise signing.MalformedAuthorization("X-Algorithm")
    access_key, date, region, service = signing.parse_credential(query["X-Credential"])
    signed = tuple(name for name in query.get("X-SignedHeaders", "").split(";") if name)
    return signing.Authorization(access_key, date, region, service, signed, query["X-Signature"])


def _presigned_ok(
    secret: str, request: web.Request, body: bytes, auth: signing.Authorization, x_date: str
) -> bool:
    lines = ""
    for name in auth.signed_headers:
        value = request.headers.get(name)
        if value is None:
            return False
        lines += f"{name}:{value}\n"
    query = [(k, v) for k, v in request.query.items() if k != "X-Signature"]
    # Python signs X-SignedQueries too, Node.js does not: either verifies.
    for items in (query, [(k, v) for k, v in query if k != "X-SignedQueries"]):
        canonical = signing.presigned_canonical_request(
            request.method, request.path, items, lines, auth.signed_headers
        )
        if signing.signatures_match(signing.signature(secret, x_date, auth, canonical), auth.signature):
            return True
    return False


def _signature_ok(
    secret: str, request: web.Request, body: bytes, auth: signing.Authorization, x_date: str
) -> bool:
    headers: dict[str, str] = {}
    for name in auth.signed_headers:
        value = request.headers.get(name)
        if value is None:
            return False
        headers[name] = value
    # The host as sent, then without a default port (the SDK signs it so, yet sends the port).
    sent = headers.get("host")
    hosts = [None] if sent is None else list(dict.fromkeys([sent, signing.canonical_host(sent)]))
    for host in hosts:
        if host is not None:
            headers["host"] = host
        canonical = signing.canonical_request(
            request.method, request.path, request.query.items(), headers, auth.signed_headers, body
        )
        if signing.signatures_match(signing.signature(secret, x_date, auth, canonical), auth.signature):
            return True
    return False


def _parse_x_date(value: str) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(value, X_DATE_FORMAT)))
    except ValueError:
        return None


def _caller(cred: Credential, region: str) -> Caller:
    return Caller(
        access_key=cred.app_id, account=str(cred.extra.get("account_id", cred.app_id)), region=region
    )


def _default_caller(ctx: EmulatorContext) -> Caller:
    cred = next((c for c in ctx.settings.credentials if c.provider == PROVIDER), None)
    if cred is None:
        raise VolcError("MissingRequestInfo", "Authorization")
    return _caller(cred, DEFAULT_REGION)
