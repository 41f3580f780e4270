"""The rtc-api gateway as a function: the 10-minute signature window from both sides (past and future, at
the boundary and one second beyond) against the time it is given (the provider passes the wall clock), the
order of the public-parameter checks, the AppId and Timestamp integer ranges, IsTest, and the legacy
access tokens' 7200 s on the emulator clock."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDict

from emulator.config import Credential
from emulator.providers.zego.auth import Caller, TokenStore, check_gateway
from emulator.providers.zego.errors import GatewayError, LegacyError
from tests.providers.zego.helpers import APP_ID, SECRET, sign

NOW = 1_700_000_000  # the wall clock's reading the gateway is handed
NONCE = "4fd24687296dd9f3"
SUPPORTED = frozenset({"StartMix", "GetMixTaskInfo"})
CREDENTIAL = Credential("zego", str(APP_ID), SECRET)


def query(timestamp: int | str = NOW, **override: Any) -> MultiDict[str]:
    """A correctly signed GetMixTaskInfo query for ``timestamp``; ``override`` replaces or (None) drops."""
    params: dict[str, Any] = {
        "Action": "GetMixTaskInfo",
        "AppId": str(APP_ID),
        "SignatureNonce": NONCE,
        "Timestamp": str(timestamp),
        "Signature": sign(APP_ID, NONCE, SECRET, timestamp),
        "SignatureVersion": "2.0",
    }
    params.update(override)
    return MultiDict({k: v for k, v in params.items() if v is not None})


def gateway(
    q: MultiDict[str],
    *,
    now: float = NOW,
    strict: bool = True,
    credentials: dict[str, Credential] | None = None,
    host: str | None = "127.0.0.1:8080",
) -> Caller:
    known = {str(APP_ID): CREDENTIAL} if credentials is None else credentials
    return check_gateway(q, host, lookup=known.get, now=now, strict=strict, supported=SUPPORTED)


def code_of(q: MultiDict[str], **kwargs: Any) -> int:
    with pytest.raises(GatewayError) as caught:
        gateway(q, **kwargs)
    return caught.value.code


# ----- the window: |now - Timestamp| <= 600 s, both sides


@pytest.mark.parametrize("offset", [-600, -599, -1, 0, 1, 599, 600])
def test_timestamps_within_ten_minutes_either_side_are_accepted(offset: int) -> None:
    """A client clock up to 600 s behind (past timestamp) or ahead (future timestamp) of the wall clock."""
    caller = gateway(query(NOW + offset))
    assert (caller.app_id, caller.credential, caller.is_test) == (APP_ID, CREDENTIAL, False)


@pytest.mark.parametrize("offset", [-601, 601, -3600, 3600, -NOW])
def test_timestamps_beyond_ten_minutes_either_side_are_expired(offset: int) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway(query(NOW + offset))
    assert caught.value.code == 100000004
    assert caught.value.message == (
        f"Signature expired: Timestamp {NOW + offset} is more than 10 minutes off"
    )


@pytest.mark.parametrize(
    ("now", "code"), [(NOW + 600.0, None), (NOW + 600.5, 100000004), (NOW - 600.5, 100000004)]
)
def test_the_window_compares_against_the_fractional_wall_time(now: float, code: int | None) -> None:
    if code is None:
        assert gateway(query(NOW), now=now).app_id == APP_ID
    else:
        assert code_of(query(NOW), now=now) == code


def test_the_window_is_checked_before_the_signature() -> None:
    """An old request with a wrong signature is reported as expired, not as wrongly signed."""
    assert code_of(query(NOW - 601, Signature="0" * 32)) == 100000004
    assert code_of(query(NOW - 600, Signature="0" * 32)) == 100000005


def test_signature_is_over_the_timestamp_as_sent() -> None:
    """A Timestamp with spaces around it is the same number, but the signature covers the text."""
    q = query(NOW, Timestamp=f" {NOW}")
    assert code_of(q) == 100000005
    q["Signature"] = sign(APP_ID, NONCE, SECRET, f" {NOW}")
    assert gateway(q).app_id == APP_ID


def test_signature_is_over_the_app_id_as_a_number() -> None:
    """AppId "012345" is app 12345: the credential looked up and the signed digits are the number's."""
    seen: list[str] = []

    def lookup(app_id: str) -> Credential | None:
        seen.append(app_id)
        return CREDENTIAL if app_id == str(APP_ID) else None

    q = query(NOW, AppId=f"0{APP_ID}")
    caller = check_gateway(q, "h", lookup=lookup, now=NOW, strict=True, supported=SUPPORTED)
    assert caller.app_id == APP_ID and seen == [str(APP_ID)]


@pytest.mark.parametrize(
    "given", [sign(APP_ID, NONCE, SECRET, NOW).upper(), sign(APP_ID, NONCE, SECRET, NOW)]
)
def test_signature_hex_case_does_not_matter(given: str) -> None:
    assert gateway(query(NOW, Signature=given)).app_id == APP_ID


@pytest.mark.parametrize(
    "given",
    [
        sign(APP_ID, NONCE, "wrong", NOW),
        sign(APP_ID, NONCE, SECRET, NOW + 1),  # signed for another second than the Timestamp sent
        sign(APP_ID, "0" * 16, SECRET, NOW),
        sign(APP_ID, NONCE, SECRET, NOW)[:-1],
    ],
)
def test_wrong_signatures(given: str) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway(query(NOW, Signature=given))
    assert (caught.value.code, caught.value.message) == (100000005, "Signature error")


def test_auth_off_skips_window_and_signature_only() -> None:
    assert gateway(query(NOW - 10**6, Signature="x"), strict=False).app_id == APP_ID
    assert code_of(query(NOW, AppId="54321"), strict=False) == 100000010
    assert code_of(query(NOW, SignatureVersion="1.0"), strict=False) == 100000014


# ----- the public parameters, each code from its own condition, in the gateway's order


def test_host_is_checked_first() -> None:
    assert code_of(query(NOW, Action=None, AppId="x"), host=None) == 100000000
    assert code_of(query(NOW, Action=None, AppId="x"), host="") == 100000000


@pytest.mark.parametrize(
    ("override", "code", "message"),
    [
        ({"Action": None, "AppId": "x"}, 100000006, "Action is empty"),
        ({"Action": "StartRecord", "AppId": "x"}, 100000007, "Unsupported Action: StartRecord"),
        ({"AppId": "x", "SignatureNonce": None}, 100000001, "AppId field format error: x"),
        ({"AppId": None}, 100000001, "AppId field format error"),
        ({"AppId": "-1"}, 100000001, "AppId field format error: -1"),
        ({"SignatureNonce": None, "Timestamp": None}, 100000008, "SignatureNonce field is empty"),
        ({"SignatureNonce": ""}, 100000008, "SignatureNonce field is empty"),
        ({"Timestamp": None, "Signature": None}, 100000002, "Timestamp field is empty"),
        ({"Timestamp": "1.5", "Signature": None}, 100000003, "Timestamp field format error: 1.5"),
        ({"Signature": None, "SignatureVersion": None}, 100000009, "Signature field is empty"),
        ({"SignatureVersion": None, "AppId": "54321"}, 100000013, "SignatureVersion field is empty"),
        ({"SignatureVersion": "2", "AppId": "54321"}, 100000014, "Unsupported SignatureVersion: 2"),
        (
            {"AppId": "54321", "Signature": "0" * 32},
            100000010,
            "Failed to get ServerSecret: AppId 54321 is not configured",
        ),
    ],
)
def test_each_public_parameter_code_and_its_place_in_the_order(
    override: dict[str, Any], code: int, message: str
) -> None:
    with pytest.raises(GatewayError) as caught:
        gateway(query(NOW, **override))
    assert (caught.value.code, caught.value.message) == (code, message)


@pytest.mark.parametrize(("app_id", "ok"), [("0", True), ("4294967295", True), ("4294967296", False)])
def test_app_id_is_a_uint32(app_id: str, ok: bool) -> None:
    credentials = {str(int(app_id)): Credential("zego", str(int(app_id)), SECRET)}
    q = query(NOW, AppId=app_id, Signature=sign(app_id, NONCE, SECRET, NOW))
    if ok:
        assert gateway(q, credentials=credentials).app_id == int(app_id)
    else:
        assert code_of(q, credentials=credentials) == 100000001


@pytest.mark.parametrize(
    ("timestamp", "code"),
    [
        (str(2**63 - 1), 100000004),  # a number, far in the future
        (str(-(2**63 - 1)), 100000004),
        (str(2**63), 100000003),  # past int64
        (str(-(2**63)), 100000003),
    ],
)
def test_timestamp_is_an_int64(timestamp: str, code: int) -> None:
    assert code_of(query(timestamp)) == code


# ----- IsTest and the production environment


@pytest.mark.parametrize(
    ("value", "is_test"), [(None, False), ("false", False), ("true", True), ("TRUE", True), ("1", False)]
)
def test_is_test_is_the_word_true_in_any_case(value: str | None, is_test: bool) -> None:
    assert gateway(query(NOW, IsTest=value)).is_test is is_test


@pytest.mark.parametrize(
    ("production", "is_test", "code"),
    [(False, False, 100000016), (False, True, None), (True, False, None), (None, False, None)],
)
def test_an_app_without_production_needs_is_test(
    production: bool | None, is_test: bool, code: int | None
) -> None:
    extra = {} if production is None else {"production": production}
    credentials = {str(APP_ID): Credential("zego", str(APP_ID), SECRET, extra)}
    q = query(NOW, IsTest="true" if is_test else "false")
    if code is None:
        assert gateway(q, credentials=credentials).is_test is is_test
    else:
        with pytest.raises(GatewayError) as caught:
            gateway(q, credentials=credentials)
        assert caught.value.code == code
        assert caught.value.message == (
            "App is not configured for production environment: "
            f"AppId {APP_ID} only has the test environment: send IsTest=true"
        )


# ----- legacy access tokens: 7200 s on the emulator clock, one live token per app


def test_a_token_lives_7200_seconds() -> None:
    tokens = TokenStore()
    token = tokens.issue("12345", 1000.0)
    assert tokens.app_of(token, 1000.0) == "12345"
    assert tokens.app_of(token, 8199.999) == "12345"
    for now in (8200.0, 8201.0):
        with pytest.raises(LegacyError) as caught:
            tokens.app_of(token, now)
        assert (caught.value.code, caught.value.message) == (42001, "access_token expired")


def test_tokens_are_per_app_and_replaced_by_the_next() -> None:
    tokens = TokenStore()
    first = tokens.issue("1", 0.0)
    other = tokens.issue("2", 0.0)
    second = tokens.issue("1", 10.0)
    assert len({first, other, second}) == 3
    assert tokens.app_of(other, 5.0) == "2" and tokens.app_of(second, 7209.0) == "1"
    with pytest.raises(LegacyError) as caught:
        tokens.app_of(first, 5.0)
    assert (caught.value.code, caught.value.message) == (40001, "access_token invalid")


def test_token_shape_and_clear() -> None:
    tokens = TokenStore()
    issued = [tokens.issue(str(app), 0.0) for app in range(1000)]
    # 48 random bytes in urlsafe base64: always 64 characters (none trimmed: 1 in 64 ends in any one letter).
    assert {len(token) for token in issued} == {64} and len(set(issued)) == 1000
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert set("".join(issued)) == alphabet
    token = issued[0]
    tokens.clear()
    with pytest.raises(LegacyError) as caught:
        tokens.app_of(token, 0.0)
    assert caught.value.code == 40001
