"""The OpenAPI gateway in front of the mixing actions, over real HTTP: action and version, SigV4 as the
official SDK signs it (wrong key, changed body, X-Date window), malformed and oversized bodies, auth off,
the per-account rate limit and injected faults, each answered in the native envelope."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from volc_support import action_query, raw_request, sdk_error, service, signed_post, small_body

from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.providers.volcengine import create
from emulator.testing import EmulatorFixture


def _error(status_body: tuple[int, dict[str, Any]]) -> tuple[int, dict[str, Any]]:
    status, body = status_body
    assert "Result" not in body
    return status, body["ResponseMetadata"]["Error"]


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        (
            {"Version": "2023-01-01"},
            400,
            ("MissingParameter", 100002, "The request is missing Action parameter."),
        ),
        (
            {"Action": "ListCloudMixTask"},
            400,
            ("MissingParameter", 100002, "The request is missing Version parameter."),
        ),
        (
            {"Action": "CreateMixTask", "Version": "2023-01-01"},
            404,
            (
                "InvalidActionOrVersion",
                100008,
                "Could not find operation CreateMixTask for version 2023-01-01.",
            ),
        ),
        (
            {"Action": "ListCloudMixTask", "Version": "2020-08-01"},
            404,
            (
                "InvalidActionOrVersion",
                100008,
                "Could not find operation ListCloudMixTask for version 2020-08-01.",
            ),
        ),
    ],
)
def test_action_and_version(
    mix_emulator: EmulatorFixture, query: dict[str, str], status: int, error: tuple
) -> None:
    got_status, got = _error(signed_post(mix_emulator, query, b"{}"))
    assert (got_status, got["Code"], got["CodeN"], got["Message"]) == (status, *error)


def test_only_post(mix_emulator: EmulatorFixture) -> None:
    status, error = _error(signed_post(mix_emulator, action_query("ListCloudMixTask"), b"", method="GET"))
    assert (status, error["Code"]) == (405, "MethodNotAllowed")


def test_missing_authorization_and_x_date(mix_emulator: EmulatorFixture) -> None:
    query = action_query("ListCloudMixTask")
    status, error = _error(raw_request(mix_emulator, query, b"{}", {"Content-Type": "application/json"}))
    assert (status, error) == (
        400,
        {
            "Code": "MissingRequestInfo",
            "CodeN": 100004,
            "Message": "The request is missing Authorization information.",
        },
    )
    status, error = _error(signed_post(mix_emulator, query, b"{}", headers={"X-Date": ""}))
    assert (status, error["Message"]) == (400, "The request is missing X-Date information.")
    broken = {"Authorization": "HMAC-SHA256 Credential=AKLTemulator/20240101/cn-north-1/live/request"}
    status, error = _error(signed_post(mix_emulator, query, b"{}", headers=broken))
    assert (status, error["Message"]) == (400, "The request is missing SignedHeaders information.")


def test_wrong_secret_key_fails_with_signature_does_not_match(mix_emulator: EmulatorFixture) -> None:
    meta = sdk_error(
        service(mix_emulator, sk="not-the-secret").list_cloud_mix_task, {"Page": 1, "PageSize": 10}
    )
    assert meta["Error"] == {
        "Code": "SignatureDoesNotMatch",
        "CodeN": 100010,
        "Message": "The request signature we calculated does not match the signature you provided. Check "
        "your Secret Access Key and signing method. Consult the service documentation for details.",
    }
    assert meta["Action"] == "ListCloudMixTask"
    assert not mix_emulator.tasks("volcengine")


def test_a_body_changed_after_signing_fails(mix_emulator: EmulatorFixture) -> None:
    query = action_query("ListCloudMixTask")
    body = b'{"Page": 1, "PageSize": 10}'
    assert signed_post(mix_emulator, query, body)[0] == 200
    status, error = _error(signed_post(mix_emulator, query, body, send=b'{"Page": 2, "PageSize": 10}'))
    assert (status, error["Code"]) == (401, "SignatureDoesNotMatch")


def test_unknown_access_key_and_service(mix_emulator: EmulatorFixture) -> None:
    query = action_query("ListCloudMixTask")
    status, error = _error(signed_post(mix_emulator, query, b"{}", ak="AKLTnobody"))
    assert (status, error) == (
        401,
        {
            "Code": "InvalidAccessKey",
            "CodeN": 100009,
            "Message": "The accesskey [AKLTnobody] included in the request is invalid.",
        },
    )
    status, error = _error(signed_post(mix_emulator, query, b"{}", service_name="vod"))
    assert (status, error["Code"], error["Message"]) == (
        404,
        "ServiceNotFound",
        "This service[vod] not found.",
    )


def test_x_date_window_on_the_wall_clock(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    query, body = action_query("ListCloudMixTask"), b'{"Page": 1, "PageSize": 1}'
    now = time.time()
    assert signed_post(emu, query, body, at=now - 14 * 60)[0] == 200
    for skew in (-16 * 60, 16 * 60):
        status, error = _error(signed_post(emu, query, body, at=now + skew))
        assert (status, error) == (
            400,
            {
                "Code": "InvalidTimestamp",
                "CodeN": 100006,
                "Message": "The Signature of the request is expired.",
            },
        )
    emu.advance_clock(16 * 60)  # the emulator clock runs provider rules only: the SDK is not locked out
    assert service(emu).list_cloud_mix_task({"Page": 1, "PageSize": 1})["Result"]["Code"] == 0
    emu.add_fault("volcengine", "ListCloudMixTask", clock_skew_s=16 * 60, times=1)
    meta = sdk_error(service(emu).list_cloud_mix_task, {"Page": 1, "PageSize": 1})
    assert meta["Error"]["Code"] == "InvalidTimestamp"
    assert service(emu).list_cloud_mix_task({"Page": 1, "PageSize": 1})["Result"]["Code"] == 0


def test_region_is_echoed(mix_emulator: EmulatorFixture) -> None:
    status, body = signed_post(
        mix_emulator, action_query("ListCloudMixTask"), b'{"Page":1,"PageSize":1}', region="cn-beijing"
    )
    assert (status, body["ResponseMetadata"]["Region"]) == (200, "cn-beijing")


def test_an_oversized_body_is_refused_natively(mix_emulator: EmulatorFixture) -> None:
    limit = mix_emulator.ctx.settings.max_body_bytes
    status, error = _error(signed_post(mix_emulator, action_query("CreateCloudMixTask"), b" " * (limit + 1)))
    assert (status, error["Code"], error["Message"]) == (
        413,
        "RequestEntityTooLarge",
        f"The request body is too large: over {limit} bytes.",
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "the request body is not valid JSON"),
        (b"\xff\xfe", "the request body is not valid JSON"),
        (b"[1, 2]", "body: must be a JSON object"),
        (b"[" * 100_000, "the request body is not valid JSON"),
    ],
)
def test_malformed_bodies(mix_emulator: EmulatorFixture, body: bytes, message: str) -> None:
    status, error = _error(signed_post(mix_emulator, action_query("CreateCloudMixTask"), body))
    assert (status, error) == (400, {"Code": "InvalidParameter", "Message": message})


def test_auth_off_still_checks_the_access_key(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    emu.ctx.settings.auth = "off"
    try:
        query = action_query("ListCloudMixTask")
        status, body = raw_request(emu, query, b'{"Page": 1, "PageSize": 1}', {})
        assert (status, body["Result"]["Data"]) == (200, {"Count": 0, "Result": []})
        assert (
            service(emu, sk="anything").list_cloud_mix_task({"Page": 1, "PageSize": 1})["Result"]["Code"] == 0
        )
        status, error = _error(signed_post(emu, query, b"{}", ak="AKLTnobody"))
        assert (status, error["Code"]) == (401, "InvalidAccessKey")
    finally:
        emu.ctx.settings.auth = "strict"


def test_flow_limit_per_account_when_switched_on(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    assert emu.request("GET", "/_emulator/volcengine/rate-limit") == {
        "enabled": False,
        "limit": 10,
        "window_s": 1.0,
    }
    svc = service(emu)
    for _ in range(12):
        svc.list_cloud_mix_task({"Page": 1, "PageSize": 1})  # off by default: no limit
    emu.request("POST", "/_emulator/volcengine/rate-limit", {"enabled": True, "limit": 3})
    emu.advance_clock(1)
    for _ in range(3):
        svc.list_cloud_mix_task({"Page": 1, "PageSize": 1})
    meta = sdk_error(svc.list_cloud_mix_task, {"Page": 1, "PageSize": 1})
    assert meta["Error"] == {
        "Code": "FlowLimitExceeded",
        "CodeN": 100018,
        "Message": "Request flow limit exceeded: at most 3 requests per second per account.",
    }
    emu.advance_clock(1)
    assert svc.list_cloud_mix_task({"Page": 1, "PageSize": 1})["Result"]["Code"] == 0
    emu.reset()  # back to the configuration: off
    assert emu.request("GET", "/_emulator/volcengine/rate-limit")["enabled"] is False


def test_rate_limit_from_the_config(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, providers={"volcengine": {"rate_limit": True, "rate_limit_per_s": 2}}
    )
    provider = create(EmulatorContext.create(settings))
    assert provider.limiter.to_dict() == {"enabled": True, "limit": 2, "window_s": 1.0}
    assert [provider.limiter.allow("acct") for _ in range(3)] == [True, True, False]
    assert provider.limiter.allow("another account")


def test_rate_limit_control_route_validates(mix_emulator: EmulatorFixture) -> None:
    from emulator.client import ControlError

    with pytest.raises(ControlError) as info:
        mix_emulator.request("POST", "/_emulator/volcengine/rate-limit", {"enabled": "yes"})
    assert info.value.status == 400 and info.value.body["error"]["field"] == "enabled"


def test_injected_faults_answer_in_the_native_envelope(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    svc = service(emu)
    emu.add_fault("volcengine", "CreateCloudMixTask", code="InternalError", times=1)
    meta = sdk_error(svc.create_cloud_mix_task, small_body("f1"))
    assert meta["Error"] == {
        "Code": "InternalError",
        "CodeN": 100014,
        "Message": "Service has some internal Error. Pls Contact With Admin.",
    }
    emu.add_fault(
        "volcengine", "*", code="QuotaExceeded.Mix", http_status=403, message="too many mixes", times=1
    )
    status, error = _error(signed_post(emu, action_query("ListCloudMixTask"), b"{}"))
    assert (status, error) == (403, {"Code": "QuotaExceeded.Mix", "Message": "too many mixes"})
    assert svc.create_cloud_mix_task(small_body("f1"))["Result"]["Code"] == 0
    journal = emu.requests(provider="volcengine", action="CreateCloudMixTask")
    assert [entry["status"] for entry in journal][-2:] == [500, 200]
