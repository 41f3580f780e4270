"""The gateway's signature rules in process, at exact times: both edges of the X-Date window (wall clock as
the reference, as the gateway is called), a configured window, a credential-scope date disagreeing with
X-Date, the order of the checks, and the query-string (presigned) form as the SDK's ``sign_only`` and
``sign_url`` build it. Requests are signed by the official SDK's signer, never by the code under test."""

from __future__ import annotations

import calendar
import datetime
import hashlib
import hmac
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from volcengine.auth.MetaData import MetaData
from volcengine.auth.SignerV4 import SignerV4
from volcengine.auth.SignParam import SignParam
from volcengine.base.Request import Request
from volcengine.Credentials import Credentials

from emulator.config import Credential, Settings
from emulator.context import EmulatorContext
from emulator.providers.volcengine import signing
from emulator.providers.volcengine.errors import VolcError
from emulator.providers.volcengine.gateway import Caller, authenticate, check_action, region_of

AK, SK = "AKLTemulator", "emulator-secret"
HOST = "127.0.0.1:18080"
BODY = b'{"Page": 1, "PageSize": 1}'
QUERY = {"Action": "ListCloudMixTask", "Version": "2023-01-01"}
SIGNED_AT = calendar.timegm((2026, 3, 14, 9, 26, 53, 0, 0, 0))  # X-Date 20260314T092653Z
WINDOW_S = 15 * 60


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[EmulatorContext]:
    settings = Settings(data_dir=tmp_path, media_workers=0)
    settings.credentials.append(Credential("volcengine", "AKLTsecond", "second-secret"))
    yield EmulatorContext.create(settings)


def _at(when: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(when, datetime.UTC)


def header_signed(
    when: float = SIGNED_AT,
    *,
    ak: str = AK,
    sk: str = SK,
    region: str = "cn-north-1",
    service: str = "live",
    scope_date: str | None = None,
    query: dict[str, str] | None = None,
    body: bytes = BODY,
    host: str | None = HOST,
    path: str = "/",
) -> web.Request:
    """A POST signed in its headers by the SDK's signer; ``scope_date``: the credential scope's date made to
    differ from X-Date (the SDK's own steps, with that date in the scope and the key)."""
    request = Request()
    request.method, request.path, request.body = "POST", path, body
    request.query = OrderedDict(query or QUERY)
    x_date = _at(when).strftime("%Y%m%dT%H%M%SZ")
    request.headers = OrderedDict({"Content-Type": "application/json", "X-Date": x_date})
    if host is not None:  # without it the SDK signs no host
        request.headers["Host"] = host
    md = MetaData()
    md.set_algorithm("HMAC-SHA256")
    md.set_service(service)
    md.set_region(region)
    md.set_date(scope_date or x_date[:8])
    hashed = SignerV4.hashed_canonical_request_v4(request, md)
    md.set_credential_scope("/".join([md.date, region, service, "request"]))
    to_sign = "\n".join([md.algorithm, x_date, md.credential_scope, hashed])
    key = SignerV4.get_signing_secret_key_v4(sk, md.date, region, service)
    request.headers["Authorization"] = SignerV4.build_auth_header_v4(
        SignerV4.signature_v4(key, to_sign), md, Credentials(ak, sk, service, region)
    )
    target = quote(path) + "?" + urlencode(request.query)
    return make_mocked_request("POST", target, headers=dict(request.headers))


def url_signed(
    when: float = SIGNED_AT,
    *,
    ak: str = AK,
    sk: str = SK,
    region: str = "cn-north-1",
    service: str = "live",
    drop_signed_queries: bool = False,
) -> web.Request:
    """A POST signed in its query string by the SDK's ``sign_only(is_sign_url)`` (the body is not signed).
    ``drop_signed_queries``: X-SignedQueries left out of what is signed, as the Node.js SDK does."""
    param = SignParam()
    param.set_method("POST")
    param.set_host(HOST)
    param.set_path("/")
    param.set_query(OrderedDict(QUERY))
    param.set_body(BODY)
    param.set_header_list(OrderedDict({"X-Content-Sha256": ""}))
    param.set_date(_at(when))
    param.set_is_sign_url(True)
    if drop_signed_queries:
        signed = SignerV4.sign_only(param, Credentials(ak, sk, service, region))
        query = OrderedDict(param.query)
        del query["X-SignedQueries"]
        md = MetaData()
        md.set_signed_headers("")
        fake = Request()
        fake.method, fake.path, fake.query = "POST", "/", query
        hashed = SignerV4.hashed_simple_canonical_request_v4(fake, md)
        scope = signed.xCredential.split("/", 1)[1]
        key = SignerV4.get_signing_secret_key_v4(sk, signed.xdate[:8], region, service)
        signature = SignerV4.signature_v4(key, "\n".join(["HMAC-SHA256", signed.xdate, scope, hashed]))
        query["X-SignedQueries"] = param.query["X-SignedQueries"]
    else:
        signature = SignerV4.sign_only(param, Credentials(ak, sk, service, region)).xSignature
        query = OrderedDict(param.query)
    query["X-Signature"] = signature
    return make_mocked_request("POST", "/?" + urlencode(query), headers={"Host": HOST})


def refusal(ctx: EmulatorContext, request: web.Request, now: float = SIGNED_AT) -> tuple[str, str]:
    with pytest.raises(VolcError) as caught:
        authenticate(ctx, request, BODY, now=now)
    return caught.value.code, caught.value.message


def accepted(ctx: EmulatorContext, request: web.Request, now: float = SIGNED_AT) -> Caller:
    return authenticate(ctx, request, BODY, now=now)


# ----- the X-Date window: both edges, both sides, both forms
@pytest.mark.parametrize("sign", [header_signed, url_signed], ids=["header", "query"])
def test_the_window_is_15_minutes_either_side_of_the_wall_clock_inclusive(
    ctx: EmulatorContext, sign: Callable[..., web.Request]
) -> None:
    request = sign()
    for now in (SIGNED_AT, SIGNED_AT + WINDOW_S, SIGNED_AT - WINDOW_S):
        assert accepted(ctx, request, now) == Caller("AKLTemulator", "2100000001", "cn-north-1")
    for now in (SIGNED_AT + WINDOW_S + 1, SIGNED_AT - WINDOW_S - 1):  # signed too long ago / in the future
        assert refusal(ctx, request, now) == (
            "InvalidTimestamp",
            "The Signature of the request is expired.",
        )


def test_a_configured_window_replaces_the_default(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, media_workers=0, providers={"volcengine": {"signature_window_s": 60}}
    )
    ctx = EmulatorContext.create(settings)
    request = header_signed()
    assert accepted(ctx, request, SIGNED_AT + 60).account == "2100000001"
    assert accepted(ctx, request, SIGNED_AT - 60).account == "2100000001"
    assert refusal(ctx, request, SIGNED_AT + 61)[0] == "InvalidTimestamp"
    assert refusal(ctx, request, SIGNED_AT - 61)[0] == "InvalidTimestamp"


def test_sdk_signatures_of_now_are_accepted_whatever_the_emulator_clock_says(ctx: EmulatorContext) -> None:
    ctx.clock.advance(3600)
    now = time.time()
    assert accepted(ctx, header_signed(now), now).region == "cn-north-1"
    assert accepted(ctx, url_signed(now - 14 * 60), now).region == "cn-north-1"
    assert accepted(ctx, url_signed(now + 14 * 60), now).region == "cn-north-1"


# ----- the credential scope's date against X-Date
@pytest.mark.parametrize("scope_date", ["20260313", "20260315", "20250314", "2026031"])
def test_a_scope_date_other_than_x_dates_day_does_not_match(ctx: EmulatorContext, scope_date: str) -> None:
    request = header_signed(scope_date=scope_date)
    assert request.headers["X-Date"] == "20260314T092653Z"
    assert f"Credential=AKLTemulator/{scope_date}/cn-north-1/live/request" in request.headers["Authorization"]
    assert refusal(ctx, request)[0] == "SignatureDoesNotMatch"
    assert accepted(ctx, header_signed(scope_date="20260314")).account == "2100000001"


def test_a_query_scope_date_other_than_x_dates_day_does_not_match(ctx: EmulatorContext) -> None:
    request = url_signed()
    query = dict(request.query)
    query["X-Credential"] = "AKLTemulator/20260313/cn-north-1/live/request"
    moved = make_mocked_request("POST", "/?" + urlencode(query), headers={"Host": HOST})
    assert refusal(ctx, moved)[0] == "SignatureDoesNotMatch"


def test_the_x_date_of_one_minute_before_midnight_keeps_its_day(ctx: EmulatorContext) -> None:
    late = calendar.timegm((2026, 3, 14, 23, 59, 59, 0, 0, 0))
    request = header_signed(late)
    assert request.headers["X-Date"] == "20260314T235959Z"
    assert accepted(ctx, request, late + 1).account == "2100000001"  # the wall clock is on the 15th already


# ----- the presigned form
def test_the_node_sdks_presigned_form_without_x_signed_queries_verifies_too(ctx: EmulatorContext) -> None:
    assert accepted(ctx, url_signed(drop_signed_queries=True)).access_key == "AKLTemulator"
    assert accepted(ctx, url_signed()).access_key == "AKLTemulator"


def test_sign_url_of_the_sdk_is_accepted_now(ctx: EmulatorContext) -> None:
    request = Request()
    request.method, request.path = "POST", "/"
    request.query = OrderedDict(QUERY)
    qs = SignerV4.sign_url(request, Credentials(AK, SK, "live", "cn-beijing"))
    caller = accepted(ctx, make_mocked_request("POST", "/?" + qs, headers={"Host": HOST}), time.time())
    assert caller == Caller("AKLTemulator", "2100000001", "cn-beijing")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"X-Signature": "0" * 64}, ("SignatureDoesNotMatch", None)),
        ({"X-Signature": ""}, ("MissingRequestInfo", "The request is missing X-Signature information.")),
        ({"X-Credential": ""}, ("MissingRequestInfo", "The request is missing X-Credential information.")),
        ({"X-Algorithm": ""}, ("MissingRequestInfo", "The request is missing X-Algorithm information.")),
        (
            {"X-Algorithm": "AWS4-HMAC-SHA256"},
            ("MissingRequestInfo", "The request is missing X-Algorithm information."),
        ),
        (
            {"X-Credential": "AKLTemulator/20260314/cn-north-1/live"},
            ("MissingRequestInfo", "The request is missing Credential information."),
        ),
        ({"X-Date": ""}, ("MissingRequestInfo", "The request is missing X-Date information.")),
        ({"X-Date": "2026-03-14T09:26:53Z"}, ("InvalidTimestamp", None)),
        ({"Action": "GetCloudMixTaskDetail"}, ("SignatureDoesNotMatch", None)),
        ({"X-SignedHeaders": "host"}, ("SignatureDoesNotMatch", None)),
        ({"X-SignedHeaders": "x-missing"}, ("SignatureDoesNotMatch", None)),
        (
            {"X-Credential": "AKLTemulator/20260314/cn-north-1/vod/request"},
            ("ServiceNotFound", "This service[vod] not found."),
        ),
        (
            {"X-Credential": "AKLTnobody/20260314/cn-north-1/live/request"},
            ("InvalidAccessKey", "The accesskey [AKLTnobody] included in the request is invalid."),
        ),
    ],
)
def test_a_changed_query_signature_is_refused(
    ctx: EmulatorContext, change: dict[str, str], expected: tuple[str, str | None]
) -> None:
    query = dict(url_signed().query)
    query.update(change)
    code, message = refusal(ctx, make_mocked_request("POST", "/?" + urlencode(query), headers={"Host": HOST}))
    assert code == expected[0]
    if expected[1] is not None:
        assert message == expected[1]


def test_only_x_signature_marks_a_presigned_request_too(ctx: EmulatorContext) -> None:
    """X-Signature without X-Credential is a presigned request missing its credential, not an unsigned one."""
    query = {**QUERY, "X-Signature": "ab"}
    request = make_mocked_request("POST", "/?" + urlencode(query), headers={"Host": HOST})
    assert refusal(ctx, request) == ("MissingRequestInfo", "The request is missing X-Credential information.")


def test_the_body_is_not_part_of_a_query_signature(ctx: EmulatorContext) -> None:
    assert authenticate(ctx, url_signed(), b'{"Page": 9}', now=SIGNED_AT).account == "2100000001"


# ----- the header form
def test_a_second_account_signs_with_its_own_secret(ctx: EmulatorContext) -> None:
    caller = accepted(ctx, header_signed(ak="AKLTsecond", sk="second-secret", region="cn-shanghai"))
    assert caller == Caller(
        "AKLTsecond", "AKLTsecond", "cn-shanghai"
    )  # no account_id: the key is the account
    assert refusal(ctx, header_signed(ak="AKLTsecond", sk=SK))[0] == "SignatureDoesNotMatch"


def test_the_check_order_service_before_access_key_before_time(ctx: EmulatorContext) -> None:
    stale = SIGNED_AT + 10 * WINDOW_S
    assert refusal(ctx, header_signed(ak="AKLTnobody", service="vod"), stale)[0] == "ServiceNotFound"
    assert refusal(ctx, header_signed(ak="AKLTnobody"), stale)[0] == "InvalidAccessKey"
    assert refusal(ctx, header_signed(sk="wrong"), stale)[0] == "InvalidTimestamp"


def test_an_uppercase_signature_matches(ctx: EmulatorContext) -> None:
    request = header_signed()
    header = request.headers["Authorization"]
    head, _, signature = header.rpartition("Signature=")
    upper = make_mocked_request(
        "POST",
        "/?" + urlencode(QUERY),
        headers={**request.headers, "Authorization": head + "Signature=" + signature.upper()},
    )
    assert accepted(ctx, upper).account == "2100000001"


@pytest.mark.parametrize("host", ["example.com:443", "example.com:80", "example.com:8443", HOST])
def test_the_sdk_signs_the_host_without_a_default_port_yet_sends_it(ctx: EmulatorContext, host: str) -> None:
    request = header_signed(host=host)
    assert request.headers["Host"] == host
    assert accepted(ctx, request).account == "2100000001"


def test_a_signed_header_the_request_lacks_does_not_match(ctx: EmulatorContext) -> None:
    request = header_signed()
    headers = {k: v for k, v in request.headers.items() if k != "X-Content-Sha256"}
    stripped = make_mocked_request("POST", "/?" + urlencode(QUERY), headers=headers)
    assert refusal(ctx, stripped)[0] == "SignatureDoesNotMatch"


def test_auth_off_takes_the_access_key_only(tmp_path: Path) -> None:
    ctx = EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0, auth="off"))
    stale = SIGNED_AT + 10 * WINDOW_S
    assert accepted(ctx, header_signed(sk="wrong", service="vod", region="cn-x"), stale) == Caller(
        "AKLTemulator", "2100000001", "cn-x"
    )
    assert refusal(ctx, header_signed(ak="AKLTnobody"), stale) == (
        "InvalidAccessKey",
        "The accesskey [AKLTnobody] included in the request is invalid.",
    )
    unsigned = make_mocked_request("POST", "/?" + urlencode(QUERY), headers={"Host": HOST})
    assert accepted(ctx, unsigned) == Caller("AKLTemulator", "2100000001", "cn-north-1")
    ctx.settings.credentials = [c for c in ctx.settings.credentials if c.provider != "volcengine"]
    assert refusal(ctx, unsigned) == (
        "MissingRequestInfo",
        "The request is missing Authorization information.",
    )


# ----- region and action, before the signature
def test_region_of_reads_either_form_and_defaults(ctx: EmulatorContext) -> None:
    assert region_of(header_signed(region="cn-guangzhou")) == "cn-guangzhou"
    assert region_of(url_signed(region="ap-southeast-1")) == "ap-southeast-1"
    broken = make_mocked_request("POST", "/?X-Credential=AK%2Fx", headers={"Authorization": "HMAC-SHA256 x"})
    assert region_of(broken) == "cn-north-1"
    assert region_of(make_mocked_request("POST", "/", headers={})) == "cn-north-1"


@pytest.mark.parametrize(
    "action",
    [
        "CreateCloudMixTask",
        "UpdateCloudMixTask",
        "DeleteCloudMixTask",
        "ListCloudMixTask",
        "GetCloudMixTaskDetail",
    ],
)
def test_every_documented_action_is_known(action: str) -> None:
    request = make_mocked_request("POST", f"/?Action={action}&Version=2023-01-01", headers={})
    assert check_action(request) == action
    get = make_mocked_request("GET", f"/?Action={action}&Version=2023-01-01", headers={})
    with pytest.raises(VolcError) as caught:
        check_action(get)
    assert (caught.value.code, caught.value.message) == (
        "MethodNotAllowed",
        "The HTTP method GET is not allowed; use POST.",
    )


# ----- canonical requests, compared with the SDK's own hashes
@pytest.mark.parametrize("path", ["/", "/a b/c", "/x+y/~z*", "/混流"])
def test_canonical_requests_hash_as_the_sdks_for_any_path(path: str) -> None:
    query = {"Version": "2023-01-01", "Action": "ListCloudMixTask", "Note": "a b+c"}
    request = Request()
    request.method, request.path, request.body = "POST", path, BODY
    request.query = OrderedDict(query)
    request.headers = OrderedDict(
        {"Host": HOST, "Content-Type": "application/json", "X-Date": "20260314T092653Z"}
    )
    md = MetaData()
    sdk_hash = SignerV4.hashed_canonical_request_v4(request, md)
    names = tuple(md.signed_headers.split(";"))
    headers = {name: value for name, value in ((k.lower(), v) for k, v in request.headers.items())}
    ours = signing.canonical_request("POST", path, list(query.items()), headers, names, BODY)
    assert signing.sha256_hex(ours.encode()) == sdk_hash
    md.set_signed_headers("")
    sdk_simple = SignerV4.hashed_simple_canonical_request_v4(request, md)
    ours = signing.presigned_canonical_request("POST", path, list(query.items()), "", ())
    assert signing.sha256_hex(ours.encode()) == sdk_simple


def test_an_empty_path_is_the_root() -> None:
    root = signing.canonical_request("POST", "/", [], {}, (), b"")
    assert signing.canonical_request("POST", "", [], {}, (), b"") == root
    assert root.split("\n")[1] == "/"
    assert signing.presigned_canonical_request("POST", "", [], "", ()).split("\n")[1] == "/"


# ----- a presigned request that signs headers too, or leaves X-SignedHeaders out (written out by hand)
def _hand_presigned(signed_headers: str | None, headers: dict[str, str], path: str = "/") -> web.Request:
    """A query-string signature computed here step by step: canonical request (the listed headers'
    ``name:value`` lines, or one blank line), string to sign, the HMAC chain."""
    x_date = "20260314T092653Z"
    query = {**QUERY, "X-Date": x_date, "X-Algorithm": "HMAC-SHA256"}
    query["X-Credential"] = "AKLTemulator/20260314/cn-north-1/live/request"
    if signed_headers is not None:
        query["X-SignedHeaders"] = signed_headers
    names = [n for n in (signed_headers or "").split(";") if n]
    lines = "".join(f"{n}:{headers[n]}\n" for n in names) or "\n"
    canonical_query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(query.items())
    )
    canonical = "\n".join(
        ["POST", quote(path), canonical_query, lines, ";".join(names), hashlib.sha256(b"").hexdigest()]
    )
    scope = "20260314/cn-north-1/live/request"
    to_sign = "\n".join(["HMAC-SHA256", x_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = SK.encode()
    for part in ("20260314", "cn-north-1", "live", "request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    query["X-Signature"] = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return make_mocked_request("POST", quote(path) + "?" + urlencode(query), headers=headers)


def test_a_presigned_request_may_sign_headers(ctx: EmulatorContext) -> None:
    headers = {"Host": HOST, "Content-Type": "application/json"}
    lower = {k.lower(): v for k, v in headers.items()}
    assert accepted(ctx, _hand_presigned("content-type;host", lower | headers)).account == "2100000001"
    assert accepted(ctx, _hand_presigned("host", lower | headers)).account == "2100000001"
    request = _hand_presigned("content-type;host", lower | headers)
    changed = make_mocked_request(
        "POST", str(request.rel_url), headers={"Host": HOST, "Content-Type": "text/plain"}
    )
    assert refusal(ctx, changed)[0] == "SignatureDoesNotMatch"
    missing = make_mocked_request("POST", str(request.rel_url), headers={"Host": HOST})
    assert refusal(ctx, missing)[0] == "SignatureDoesNotMatch"


def test_a_presigned_request_without_x_signed_headers_signs_none(ctx: EmulatorContext) -> None:
    assert accepted(ctx, _hand_presigned(None, {"Host": HOST})).account == "2100000001"


def test_a_presigned_request_signs_its_path(ctx: EmulatorContext) -> None:
    assert accepted(ctx, _hand_presigned(None, {"Host": HOST}, path="/a b")).account == "2100000001"


def test_a_header_signature_signs_the_path(ctx: EmulatorContext) -> None:
    assert accepted(ctx, header_signed(path="/a b/c")).account == "2100000001"
    moved = header_signed(path="/a b/c")
    other = make_mocked_request("POST", "/a%20b/d?" + moved.query_string, headers=dict(moved.headers))
    assert refusal(ctx, other)[0] == "SignatureDoesNotMatch"


def test_a_signature_without_the_host_header_verifies(ctx: EmulatorContext) -> None:
    request = header_signed(host=None)
    assert "SignedHeaders=content-type;x-content-sha256;x-date," in request.headers["Authorization"]
    assert accepted(ctx, request).account == "2100000001"


def test_x_credential_alone_marks_a_presigned_request(ctx: EmulatorContext) -> None:
    query = dict(url_signed().query)
    del query["X-Signature"]
    request = make_mocked_request("POST", "/?" + urlencode(query), headers={"Host": HOST})
    assert refusal(ctx, request) == ("MissingRequestInfo", "The request is missing X-Signature information.")


def test_a_signature_holding_an_equals_sign_is_compared_whole(ctx: EmulatorContext) -> None:
    request = header_signed()
    header = request.headers["Authorization"] + "=00"
    changed = make_mocked_request(
        "POST", str(request.rel_url), headers={**request.headers, "Authorization": header}
    )
    assert refusal(ctx, changed)[0] == "SignatureDoesNotMatch"


def test_default_ports_of_a_bracketed_ipv6_host_are_dropped_too() -> None:
    assert signing.canonical_host("[::1]:443") == "[::1]"
    assert signing.canonical_host("[::1]:8443") == "[::1]:8443"
    assert signing.canonical_host("[::1]") == "[::1]"


def test_query_keys_are_quoted_like_values() -> None:
    assert signing.canonical_query([("a/b", "c/d"), ("~k", "~v")]) == "a%2Fb=c%2Fd&~k=~v"
