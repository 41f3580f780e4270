"""Cloud API 3.0's v1 signature (HmacSHA1 / HmacSHA256) checked directly at a given wall time: the
signature against the Python SDK's own (tencentcloud.common.sign.Sign.sign), the 5-minute window from
both sides, the default method, the Python SDK's dotted names, and each missing public parameter."""

from __future__ import annotations

from pathlib import Path

import pytest
from tencentcloud.common.sign import Sign

from emulator.config import Credential
from emulator.context import EmulatorContext
from emulator.providers.tencent import v1sign
from emulator.providers.tencent.errors import Api3Error
from tests.providers.tencent.signing_context import signing_context

APPID = "1252500000"
KEY = "40328529ca4381a80c6ecf2e6aa57438"
HOST = "127.0.0.1:8080"
NOW = 1_700_000_000


@pytest.fixture
def ctx(tmp_path: Path) -> EmulatorContext:
    return signing_context(tmp_path)


def signed(
    timestamp: int = NOW,
    *,
    method: str = "POST",
    algorithm: str | None = "HmacSHA256",
    key: str = KEY,
    host: str = HOST,
    **params: str,
) -> dict[str, str]:
    """Parameters as the SDK sends them, with the SDK's signature over "METHOD host/?sorted params"."""
    base = {
        "Action": "CancelCommonMixStream",
        "Version": "2018-08-01",
        "Region": "ap-guangzhou",
        "Timestamp": str(timestamp),
        "Nonce": "12345",
        "SecretId": APPID,
        "MixStreamSessionId": "room",
        **params,
    }
    if algorithm is not None:
        base["SignatureMethod"] = algorithm
    text = "&".join(f"{name}={base[name]}" for name in sorted(base))
    base["Signature"] = Sign.sign(key, f"{method}{host}/?{text}", algorithm or "HmacSHA1")
    return base


def check(ctx: EmulatorContext, params: dict[str, str], *, now: float = NOW, method: str = "POST") -> str:
    return v1sign.authenticate(ctx, method=method, host=HOST, params=params, now=now)


def refusal(ctx: EmulatorContext, params: dict[str, str], **kwargs: object) -> tuple[str, str]:
    with pytest.raises(Api3Error) as info:
        check(ctx, params, **kwargs)  # type: ignore[arg-type]
    return info.value.code, info.value.message


EXPIRED = (
    "AuthFailure.SignatureExpire",
    "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
)
BAD_SIGNATURE = (
    "AuthFailure.SignatureFailure",
    "The provided credentials could not be validated. Please check your signature is correct.",
)


def test_is_v1_needs_both_secret_id_and_signature() -> None:
    assert v1sign.is_v1({"SecretId": "a", "Signature": "b"})
    assert not v1sign.is_v1({"SecretId": "a"})
    assert not v1sign.is_v1({"Signature": "b"})
    assert not v1sign.is_v1({})


@pytest.mark.parametrize("algorithm", ["HmacSHA1", "HmacSHA256"])
def test_the_signature_is_the_sdks(algorithm: str) -> None:
    params = signed(algorithm=algorithm)
    assert v1sign.v1_signature(KEY, "POST", HOST, params, algorithm) == params["Signature"]


def test_both_methods_verify_and_differ(ctx: EmulatorContext) -> None:
    sha1, sha256 = signed(algorithm="HmacSHA1"), signed(algorithm="HmacSHA256")
    assert check(ctx, sha1) == APPID and check(ctx, sha256) == APPID
    assert len(sha1["Signature"]) == 28 and len(sha256["Signature"]) == 44  # base64 of 20 and 32 bytes


def test_without_signature_method_it_is_hmac_sha1(ctx: EmulatorContext) -> None:
    params = signed(algorithm=None)
    assert "SignatureMethod" not in params
    assert check(ctx, params) == APPID
    # A SHA256 signature sent without naming the method does not verify as SHA1.
    sha256 = signed(algorithm="HmacSHA256")
    del sha256["SignatureMethod"]
    assert refusal(ctx, sha256) == BAD_SIGNATURE


@pytest.mark.parametrize("algorithm", ["HmacSHA512", "hmacsha256", "TC3-HMAC-SHA256", "x" * 40])
def test_another_signature_method_is_an_invalid_value(ctx: EmulatorContext, algorithm: str) -> None:
    params = {**signed(), "SignatureMethod": algorithm}
    assert refusal(ctx, params) == (
        "InvalidParameterValue",
        f"SignatureMethod [{algorithm[:32]}] must be HmacSHA1 or HmacSHA256.",
    )


@pytest.mark.parametrize("offset", [0, 1, 300, -1, -300])
def test_a_timestamp_within_five_minutes_passes(ctx: EmulatorContext, offset: int) -> None:
    assert check(ctx, signed(NOW + offset)) == APPID


@pytest.mark.parametrize("offset", [301, 3600, -301, -3600])
def test_a_timestamp_more_than_five_minutes_off_either_way_expired(ctx: EmulatorContext, offset: int) -> None:
    assert refusal(ctx, signed(NOW + offset)) == EXPIRED


def test_the_window_is_measured_from_a_fractional_now(ctx: EmulatorContext) -> None:
    assert check(ctx, signed(NOW + 300), now=NOW + 0.5) == APPID
    assert refusal(ctx, signed(NOW - 300), now=NOW + 0.5) == EXPIRED
    assert refusal(ctx, signed(NOW + 300), now=NOW - 0.5) == EXPIRED


@pytest.mark.parametrize("name", ["SecretId", "Signature", "Timestamp", "Nonce"])
def test_each_required_public_parameter_missing_or_empty(ctx: EmulatorContext, name: str) -> None:
    expected = ("MissingParameter", f"The request is missing a required parameter `{name}`.")
    params = signed()
    assert refusal(ctx, {**params, name: ""}) == expected
    del params[name]
    assert refusal(ctx, params) == expected


@pytest.mark.parametrize("timestamp", ["17e8", "-1", "1.5", "１７", "1" * 13, "t" * 40])
def test_a_malformed_timestamp_is_an_invalid_parameter(ctx: EmulatorContext, timestamp: str) -> None:
    assert refusal(ctx, {**signed(), "Timestamp": timestamp}) == (
        "InvalidParameter",
        f"Timestamp [{timestamp[:32]}] must be a unix time.",
    )


def test_a_timestamp_of_12_digits_is_well_formed(ctx: EmulatorContext) -> None:
    assert refusal(ctx, signed(10**11)) == EXPIRED


def test_wrong_key_method_host_or_parameters_fail(ctx: EmulatorContext) -> None:
    assert refusal(ctx, signed(key="another")) == BAD_SIGNATURE
    assert refusal(ctx, signed(), method="GET") == BAD_SIGNATURE
    assert refusal(ctx, signed(host="127.0.0.1:9")) == BAD_SIGNATURE
    assert refusal(ctx, {**signed(), "MixStreamSessionId": "other"}) == BAD_SIGNATURE
    assert check(ctx, signed(method="GET"), method="GET") == APPID


def test_names_signed_with_dots_as_the_python_sdk_writes_them_verify(ctx: EmulatorContext) -> None:
    # The request carries OutputParams_OutputStreamName; the Python SDK signed OutputParams.OutputStreamName.
    dotted = signed(**{"OutputParams.OutputStreamName": "out"})
    sent = {name.replace(".", "_"): value for name, value in dotted.items()}
    assert check(ctx, sent) == APPID
    # As the Node.js SDK signs (underscores kept), it verifies too.
    assert check(ctx, signed(**{"OutputParams_OutputStreamName": "out"})) == APPID


def test_an_unknown_secret_id_is_not_found(ctx: EmulatorContext) -> None:
    assert refusal(ctx, {**signed(), "SecretId": "AKIDnobody"})[0] == "AuthFailure.SecretIdNotFound"


def test_a_credential_with_its_own_secret_pair(tmp_path: Path) -> None:
    app = Credential("tencent", "1400000002", "api", {"secret_id": "AKIDv1", "secret_key": "v1key"})
    ctx = signing_context(tmp_path, extra=(app,))
    params = signed(key="v1key", SecretId="AKIDv1")
    assert check(ctx, params) == "1400000002"


def test_odd_text_does_not_raise(ctx: EmulatorContext) -> None:
    params = {**signed(), "MixStreamSessionId": "\ud800\x00"}
    assert refusal(ctx, params) == BAD_SIGNATURE


def test_with_auth_off_the_window_and_signature_are_not_checked(tmp_path: Path) -> None:
    ctx = signing_context(tmp_path, auth="off")
    assert check(ctx, {**signed(NOW - 86_400), "Signature": "bad"}) == APPID
    assert refusal(ctx, {**signed(), "Timestamp": "x"})[0] == "InvalidParameter"
    assert refusal(ctx, {**signed(), "SignatureMethod": "MD5"})[0] == "InvalidParameterValue"
