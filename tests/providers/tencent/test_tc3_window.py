"""TC3-HMAC-SHA256 checked directly at a given wall time: the signature against the Python SDK's own
signing (tencentcloud.common.sign), the 5-minute window from both sides, the credential scope's date
against X-TC-Timestamp, the signed headers, the host with and without its port, the service label, and
the SecretId lookup."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tencentcloud.common.sign import Sign

from emulator.config import Credential
from emulator.context import EmulatorContext
from emulator.providers.tencent import tc3
from emulator.providers.tencent.errors import Api3Error
from tests.providers.tencent.signing_context import signing_context

APPID = "1252500000"
KEY = "40328529ca4381a80c6ecf2e6aa57438"
HOST = "127.0.0.1:8080"
BODY = b'{"MixStreamSessionId": "room"}'
NOW = 1_700_000_000  # 2023-11-14 22:13:20 UTC


@pytest.fixture
def ctx(tmp_path: Path) -> EmulatorContext:
    return signing_context(tmp_path)


def sdk_signature(
    *,
    timestamp: int,
    date: str | None = None,
    key: str = KEY,
    service: str = "live",
    host: str = HOST,
    method: str = "POST",
    query: str = "",
    body: bytes = BODY,
    content_type: str = "application/json",
    payload_hash: str | None = None,
) -> str:
    """What the Python SDK computes (abstract_client._get_tc3_signature, Sign.sign_tc3)."""
    date = date or datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    payload = payload_hash or hashlib.sha256(body).hexdigest()
    canonical = (
        f"{method}\n/\n{query}\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{payload}"
    )
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n"
        f"{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    return Sign.sign_tc3(key, date, service, to_sign)


def headers(
    timestamp: int,
    *,
    secret_id: str = APPID,
    date: str | None = None,
    service: str = "live",
    signed: str = "content-type;host",
    signature: str | None = None,
    host: str = HOST,
    **extra: str,
) -> dict[str, str]:
    scope_date = date or datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signature = signature or sdk_signature(timestamp=timestamp, date=scope_date, service=service)
    return {
        "Content-Type": "application/json",
        "Host": host,
        "X-TC-Timestamp": str(timestamp),
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id}/{scope_date}/{service}/tc3_request, "
        f"SignedHeaders={signed}, Signature={signature}",
        **extra,
    }


def check(
    ctx: EmulatorContext,
    hdrs: dict[str, str],
    *,
    now: float = NOW,
    method: str = "POST",
    query: str = "",
    body: bytes = BODY,
) -> str:
    return tc3.authenticate(ctx, method=method, query=query, headers=hdrs, body=body, now=now)


def refusal(ctx: EmulatorContext, hdrs: dict[str, str], **kwargs: object) -> tuple[str, str]:
    with pytest.raises(Api3Error) as info:
        check(ctx, hdrs, **kwargs)  # type: ignore[arg-type]
    return info.value.code, info.value.message


EXPIRED = (
    "AuthFailure.SignatureExpire",
    "Signature expired. Timestamp and server time cannot differ by more than five minutes.",
)
BAD_SIGNATURE = (
    "AuthFailure.SignatureFailure",
    "The provided credentials could not be validated. Please check your signature is correct.",
)
BAD_SCOPE = (
    "AuthFailure.InvalidAuthorization",
    "Credential scope must be <UTC date of X-TC-Timestamp>/<service>/tc3_request.",
)


def test_the_signature_is_the_sdks() -> None:
    assert tc3.tc3_signature(
        KEY,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": HOST},
        signed=["content-type", "host"],
        body=BODY,
        timestamp=str(NOW),
        date="2023-11-14",
    ) == sdk_signature(timestamp=NOW)


def test_canonical_header_values_are_trimmed_and_lower_case() -> None:
    expected = sdk_signature(timestamp=NOW, content_type="application/json")
    assert (
        tc3.tc3_signature(
            KEY,
            method="POST",
            query="",
            headers={"content-type": "  Application/JSON ", "host": HOST},
            signed=["content-type", "host"],
            body=BODY,
            timestamp=str(NOW),
            date="2023-11-14",
        )
        == expected
    )


@pytest.mark.parametrize("offset", [0, 1, 299, 300, -1, -299, -300])
def test_a_timestamp_within_five_minutes_of_the_wall_clock_passes(ctx: EmulatorContext, offset: int) -> None:
    timestamp = NOW + offset
    assert check(ctx, headers(timestamp)) == APPID


@pytest.mark.parametrize("offset", [301, 302, 3600, -301, -302, -3600])
def test_a_timestamp_more_than_five_minutes_off_either_way_expired(ctx: EmulatorContext, offset: int) -> None:
    assert refusal(ctx, headers(NOW + offset)) == EXPIRED


def test_the_window_is_measured_from_a_fractional_now(ctx: EmulatorContext) -> None:
    assert check(ctx, headers(NOW + 300), now=NOW + 0.5) == APPID
    assert refusal(ctx, headers(NOW - 300), now=NOW + 0.5) == EXPIRED
    assert check(ctx, headers(NOW - 300), now=NOW - 0.5) == APPID
    assert refusal(ctx, headers(NOW + 300), now=NOW - 0.5) == EXPIRED


def test_expiry_is_checked_before_the_scope_and_the_signature(ctx: EmulatorContext) -> None:
    assert refusal(ctx, headers(NOW + 301, date="2000-01-01", signature="0" * 64)) == EXPIRED


MIDNIGHT = 1_700_006_400  # 2023-11-15 00:00:00 UTC


@pytest.mark.parametrize(
    ("timestamp", "date"),
    [
        (MIDNIGHT - 1, "2023-11-14"),
        (MIDNIGHT, "2023-11-15"),
        (MIDNIGHT + 1, "2023-11-15"),
    ],
)
def test_the_scope_date_is_the_utc_date_of_the_timestamp(
    ctx: EmulatorContext, timestamp: int, date: str
) -> None:
    assert check(ctx, headers(timestamp, date=date), now=MIDNIGHT) == APPID


@pytest.mark.parametrize(
    ("timestamp", "date"),
    [
        (MIDNIGHT - 1, "2023-11-15"),  # a day ahead of the timestamp
        (MIDNIGHT, "2023-11-14"),  # a day behind it
        (MIDNIGHT + 1, "2023-11-16"),
        (MIDNIGHT + 1, "2022-11-15"),
    ],
)
def test_a_scope_date_disagreeing_with_the_timestamp_is_refused(
    ctx: EmulatorContext, timestamp: int, date: str
) -> None:
    # Signed consistently for that date: only the disagreement is wrong.
    assert refusal(ctx, headers(timestamp, date=date), now=MIDNIGHT) == BAD_SCOPE


def test_a_scope_date_with_an_unrepresentable_timestamp_is_refused(ctx: EmulatorContext) -> None:
    # 12 digits pass the format check; with "now" that far off too, the date check must still refuse it.
    timestamp = 999_999_999_999
    assert refusal(ctx, headers(timestamp, date="9999-12-31"), now=timestamp) == BAD_SCOPE


@pytest.mark.parametrize("signed", ["content-type", "host", "host;x-tc-action", "x-tc-action"])
def test_signed_headers_must_include_content_type_and_host(ctx: EmulatorContext, signed: str) -> None:
    assert refusal(ctx, headers(NOW, signed=signed)) == (
        "AuthFailure.InvalidAuthorization",
        "SignedHeaders must include content-type and host.",
    )


def test_more_signed_headers_are_part_of_the_signature(ctx: EmulatorContext) -> None:
    canonical = (
        f"POST\n/\n\ncontent-type:application/json\nhost:{HOST}\nx-tc-action:cancelcommonmixstream\n\n"
        f"content-type;host;x-tc-action\n{hashlib.sha256(BODY).hexdigest()}"
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = f"TC3-HMAC-SHA256\n{NOW}\n2023-11-14/live/tc3_request\n{digest}"
    signature = Sign.sign_tc3(KEY, "2023-11-14", "live", to_sign)
    hdrs = headers(
        NOW,
        signed="content-type;host;x-tc-action",
        signature=signature,
        **{"X-TC-Action": "CancelCommonMixStream"},
    )
    assert check(ctx, hdrs) == APPID
    hdrs["X-TC-Action"] = "CreateCommonMixStream"
    assert refusal(ctx, hdrs) == BAD_SIGNATURE


def test_a_signed_header_the_request_lacks_is_signed_empty(ctx: EmulatorContext) -> None:
    canonical = (
        f"POST\n/\n\ncontent-type:application/json\nhost:{HOST}\nx-tc-region:\n\n"
        f"content-type;host;x-tc-region\n{hashlib.sha256(BODY).hexdigest()}"
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    signature = Sign.sign_tc3(
        KEY, "2023-11-14", "live", f"TC3-HMAC-SHA256\n{NOW}\n2023-11-14/live/tc3_request\n{digest}"
    )
    assert check(ctx, headers(NOW, signed="content-type;host;x-tc-region", signature=signature)) == APPID


def test_the_scope_date_is_utc_whatever_the_servers_time_zone(
    ctx: EmulatorContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Asia/Shanghai")  # UTC+8: 23:59:59 UTC is already the next day there
    time.tzset()
    try:
        assert check(ctx, headers(MIDNIGHT - 1, date="2023-11-14"), now=MIDNIGHT) == APPID
        assert refusal(ctx, headers(MIDNIGHT - 1, date="2023-11-15"), now=MIDNIGHT) == BAD_SCOPE
    finally:
        monkeypatch.undo()
        time.tzset()


def test_without_an_authorization_header_it_is_invalid(ctx: EmulatorContext) -> None:
    hdrs = headers(NOW)
    del hdrs["Authorization"]
    assert refusal(ctx, hdrs) == (
        "AuthFailure.InvalidAuthorization",
        "Authorization in the request header is invalid.",
    )


def test_without_a_host_header_the_host_is_signed_empty(ctx: EmulatorContext) -> None:
    hdrs = headers(NOW, signature=sdk_signature(timestamp=NOW, host=""))
    del hdrs["Host"]
    assert check(ctx, hdrs) == APPID


def test_an_ipv6_host_may_be_signed_without_its_port(ctx: EmulatorContext) -> None:
    hdrs = headers(NOW, host="[::1]:8080", signature=sdk_signature(timestamp=NOW, host="[::1]"))
    assert check(ctx, hdrs) == APPID


def test_a_wrong_key_or_body_is_a_signature_failure(ctx: EmulatorContext) -> None:
    assert refusal(ctx, headers(NOW, signature=sdk_signature(timestamp=NOW, key="other"))) == BAD_SIGNATURE
    assert refusal(ctx, headers(NOW), body=b"{}") == BAD_SIGNATURE
    assert refusal(ctx, headers(NOW), method="GET") == BAD_SIGNATURE


def test_the_signature_may_be_upper_case_hex(ctx: EmulatorContext) -> None:
    assert check(ctx, headers(NOW, signature=sdk_signature(timestamp=NOW).upper())) == APPID


def test_header_names_are_case_insensitive(ctx: EmulatorContext) -> None:
    lowered = {name.lower(): value for name, value in headers(NOW).items()}
    assert check(ctx, lowered) == APPID
    upper = {name.upper(): value for name, value in headers(NOW).items()}
    assert check(ctx, upper) == APPID


def test_the_get_mode_signs_the_query_string_and_an_empty_body(ctx: EmulatorContext) -> None:
    query = "MixStreamSessionId=room&OutputParams.OutputStreamName=out"
    signature = sdk_signature(
        timestamp=NOW, method="GET", query=query, body=b"", content_type="application/x-www-form-urlencoded"
    )
    hdrs = {**headers(NOW, signature=signature), "Content-Type": "application/x-www-form-urlencoded"}
    assert check(ctx, hdrs, method="GET", query=query, body=b"") == APPID
    assert refusal(ctx, hdrs, method="GET", query=query + "x", body=b"") == BAD_SIGNATURE


def test_an_unsigned_payload_signs_the_hash_of_the_words_not_the_body(ctx: EmulatorContext) -> None:
    # The SDK (ClientProfile(unsignedPayload=True)) hashes the text "UNSIGNED-PAYLOAD" in place of the body.
    words = hashlib.sha256(b"UNSIGNED-PAYLOAD").hexdigest()
    hdrs = headers(
        NOW,
        signature=sdk_signature(timestamp=NOW, payload_hash=words),
        **{"X-TC-Content-SHA256": "UNSIGNED-PAYLOAD"},
    )
    assert check(ctx, hdrs, body=b"any body at all") == APPID
    del hdrs["X-TC-Content-SHA256"]
    assert refusal(ctx, hdrs) == BAD_SIGNATURE


def test_the_host_may_be_signed_with_or_without_its_port(ctx: EmulatorContext) -> None:
    with_port = headers(NOW, signature=sdk_signature(timestamp=NOW, host="127.0.0.1:8080"))
    without = headers(NOW, signature=sdk_signature(timestamp=NOW, host="127.0.0.1"))
    other_port = headers(NOW, signature=sdk_signature(timestamp=NOW, host="127.0.0.1:9090"))
    assert check(ctx, with_port) == APPID
    assert check(ctx, without) == APPID
    assert refusal(ctx, other_port) == BAD_SIGNATURE


def test_a_host_without_a_port_verifies_as_itself(ctx: EmulatorContext) -> None:
    hdrs = headers(
        NOW,
        host="live.tencentcloudapi.com",
        signature=sdk_signature(timestamp=NOW, host="live.tencentcloudapi.com"),
    )
    assert check(ctx, hdrs) == APPID


def test_the_service_label_is_taken_as_the_client_wrote_it(ctx: EmulatorContext) -> None:
    assert check(ctx, headers(NOW, service="127")) == APPID
    # Signed for "live" but naming "127" in the scope: the key chain differs.
    wrong = headers(NOW, service="127", signature=sdk_signature(timestamp=NOW, service="live"))
    assert refusal(ctx, wrong) == BAD_SIGNATURE


SHA256 = "TC3-HMAC-SHA256"
SCOPE = "1252500000/2023-11-14/live"


@pytest.mark.parametrize(
    "authorization",
    [
        "",
        "TC3-HMAC-SHA1 Credential=1252500000/2023-11-14/live/tc3_request, SignedHeaders=content-type;host, "
        f"Signature={'a' * 64}",
        f"{SHA256} Credential={SCOPE}/tc3_request, SignedHeaders=content-type;host, Signature={'a' * 63}",
        f"{SHA256} Credential=1252500000/23-11-14/live/tc3_request, SignedHeaders=content-type;host, "
        f"Signature={'a' * 64}",
        f"{SHA256} Credential={SCOPE}/tc4_request, SignedHeaders=content-type;host, Signature={'a' * 64}",
        f"{SHA256} Credential={SCOPE}/tc3_request, SignedHeaders=Content-Type;Host, Signature={'a' * 64}",
    ],
)
def test_a_malformed_authorization_is_invalid(ctx: EmulatorContext, authorization: str) -> None:
    hdrs = {**headers(NOW), "Authorization": authorization}
    assert refusal(ctx, hdrs) == (
        "AuthFailure.InvalidAuthorization",
        "Authorization in the request header is invalid.",
    )


def test_an_authorization_with_spaces_around_and_none_after_the_commas_passes(ctx: EmulatorContext) -> None:
    signature = sdk_signature(timestamp=NOW)
    authorization = (
        f"  TC3-HMAC-SHA256 Credential={APPID}/2023-11-14/live/tc3_request,SignedHeaders=content-type;host,"
        f"Signature={signature}  "
    )
    assert check(ctx, {**headers(NOW), "Authorization": authorization}) == APPID


@pytest.mark.parametrize("timestamp", ["", "17e8", "-1700000000", "１７００", "1" * 13])
def test_a_missing_or_malformed_timestamp_is_a_missing_parameter(
    ctx: EmulatorContext, timestamp: str
) -> None:
    hdrs = {**headers(NOW), "X-TC-Timestamp": timestamp}
    assert refusal(ctx, hdrs) == (
        "MissingParameter",
        "The request is missing a required parameter `X-TC-Timestamp`.",
    )
    del hdrs["X-TC-Timestamp"]
    assert refusal(ctx, hdrs)[0] == "MissingParameter"


def test_a_timestamp_of_12_digits_is_well_formed(ctx: EmulatorContext) -> None:
    hdrs = {**headers(NOW), "X-TC-Timestamp": "1" * 12}
    assert refusal(ctx, hdrs) == EXPIRED


def test_an_unknown_secret_id_is_not_found(ctx: EmulatorContext) -> None:
    assert refusal(ctx, headers(NOW, secret_id="AKIDunknown")) == (
        "AuthFailure.SecretIdNotFound",
        "The SecretId is not found, please ensure that your SecretId is correct.",
    )


def test_a_credential_may_name_its_own_secret_id_and_key(tmp_path: Path) -> None:
    app = Credential("tencent", "1400000001", "api-key", {"secret_id": "AKIDexample", "secret_key": "sk"})
    ctx = signing_context(tmp_path, extra=(app,))
    hdrs = headers(NOW, secret_id="AKIDexample", signature=sdk_signature(timestamp=NOW, key="sk"))
    assert check(ctx, hdrs) == "1400000001"
    assert tc3.credential(ctx, "AKIDexample") == ("1400000001", "sk")
    with pytest.raises(Api3Error):
        tc3.credential(ctx, "1400000001")  # the appid no longer names it


def test_the_newest_credential_of_a_secret_id_wins(tmp_path: Path) -> None:
    ctx = signing_context(tmp_path, extra=(Credential("tencent", APPID, "newer-key"),))
    assert tc3.credential(ctx, APPID) == (APPID, "newer-key")


def test_other_providers_credentials_are_not_tencent_secret_ids(ctx: EmulatorContext) -> None:
    with pytest.raises(Api3Error) as info:
        tc3.credential(ctx, "12345")  # ZEGO's default AppId
    assert info.value.code == "AuthFailure.SecretIdNotFound"


def test_with_auth_off_only_the_ids_and_the_timestamp_format_are_checked(tmp_path: Path) -> None:
    ctx = signing_context(tmp_path, auth="off")
    assert check(ctx, headers(NOW + 86_400, date="2000-01-01", signature="0" * 64)) == APPID
    assert refusal(ctx, headers(NOW, secret_id="nobody"))[0] == "AuthFailure.SecretIdNotFound"
    assert refusal(ctx, {**headers(NOW), "X-TC-Timestamp": "soon"})[0] == "MissingParameter"
