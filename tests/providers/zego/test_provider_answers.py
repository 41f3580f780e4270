"""The ZEGO adapter's own answers: native errors for the shared machinery (per API, by HTTP status), the
result code the journal reads from each envelope, injected faults in each envelope (numeric and textual
codes, own messages and HTTP statuses), the per-app request rate and mixing switch from both sides, an
oversized body, and the signature time a skew fault moves (the wall clock, not the emulator's)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from emulator.core.faults import FaultRule
from emulator.providers.zego import ZegoProvider
from tests.providers.zego.helpers import APP_ID, SECRET, Zego, sign


def provider(zego: Zego) -> ZegoProvider:
    found = zego.emu.ctx.providers["zego"]
    assert isinstance(found, ZegoProvider)
    return found


def body_of(response: web.Response) -> dict[str, Any]:
    assert isinstance(response.text, str)
    return json.loads(response.text)


# ----- error_response: the shared machinery's errors in the right envelope


@pytest.mark.parametrize(
    ("path", "status", "expected"),
    [
        ("/cgi/start-mix", 413, {"code": 4, "message": "too big"}),
        ("/cgi/stop-mix", 500, {"code": 1, "message": "too big"}),
        ("/cgi/token", 405, {"code": 1, "message": "too big"}),
    ],
)
def test_legacy_paths_get_the_legacy_envelope(
    zego: Zego, path: str, status: int, expected: dict[str, Any]
) -> None:
    response = provider(zego).error_response(
        make_mocked_request("POST", path), status=status, message="too big"
    )
    assert response.status == 200 and body_of(response) == expected


@pytest.mark.parametrize(
    ("status", "code", "message"),
    [
        (413, 100000012, "Failed to get request body: too big"),
        (500, 110200001, "failed: too big"),
        (404, 110200001, "failed: too big"),
    ],
)
def test_rtc_paths_get_the_rtc_envelope(zego: Zego, status: int, code: int, message: str) -> None:
    request = make_mocked_request("POST", "/?Action=StartMix")
    body = body_of(provider(zego).error_response(request, status=status, message="too big"))
    assert (body["Code"], body["Message"]) == (code, message) and len(body["RequestId"]) == 19


# ----- answer_code: what the journal reads


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"Code": 0, "Message": "success"}, (0, False)),
        ({"Code": 110209001}, (110209001, True)),
        ({"code": 0, "message": "success"}, (0, False)),
        ({"code": 9001}, (9001, True)),
        ({"code": "E1"}, ("E1", True)),
        ({"Code": 0, "code": 5}, (0, False)),  # the rtc-api's Code first
        ({"message": "no code"}, (None, False)),
        ({"Code": None}, (None, False)),
        ([{"Code": 5}], (None, False)),
        ("Code", (None, False)),
    ],
)
def test_answer_code(zego: Zego, answer: Any, expected: tuple[Any, bool]) -> None:
    assert provider(zego).answer_code(answer) == expected


def test_the_journal_files_errors_and_successes(zego: Zego) -> None:
    assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 110209001
    zego.token()
    entries = {entry["action"]: entry for entry in zego.emu.requests(provider="zego")}
    assert set(entries) == {"GetMixTaskInfo", "token"}
    assert entries["GetMixTaskInfo"]["code"] == 110209001 and entries["GetMixTaskInfo"]["error"] is True
    assert entries["token"]["code"] == 0 and entries["token"]["error"] is False


# ----- fault_response


def rule(**fields: Any) -> FaultRule:
    return FaultRule(provider="zego", action="*", **fields)


@pytest.mark.parametrize(
    ("fields", "status", "code", "message"),
    [
        ({"code": 110200194}, 200, 110200194, "mix request overload"),
        ({"code": "110200150"}, 200, 110200150, "input stream does not exist"),
        ({"code": 100000004}, 200, 100000004, "Signature expired"),
        ({"code": "Throttled"}, 200, "Throttled", "failed"),
        ({"code": 110200194, "message": "slow down"}, 200, 110200194, "slow down"),
        ({"code": "Busy", "message": "later"}, 200, "Busy", "later"),
        ({"code": 110200001, "http_status": 503}, 503, 110200001, "failed"),
    ],
)
def test_rtc_faults(zego: Zego, fields: dict[str, Any], status: int, code: Any, message: str) -> None:
    request = make_mocked_request("GET", "/?Action=GetMixTaskInfo")
    response = provider(zego).fault_response(request, rule(**fields), "GetMixTaskInfo")
    body = body_of(response)
    assert response.status == status
    assert (body["Code"], body["Message"]) == (code, message) and "Data" not in body


@pytest.mark.parametrize("action", ["token", "start-mix", "stop-mix"])
@pytest.mark.parametrize(
    ("fields", "status", "expected"),
    [
        ({"code": 40001}, 200, {"code": 40001, "message": "access_token invalid"}),
        ({"code": "42001"}, 200, {"code": 42001, "message": "access_token expired"}),
        ({"code": 150, "message": "gone", "http_status": 502}, 502, {"code": 150, "message": "gone"}),
        ({"code": "oops"}, 200, {"code": "oops", "message": "failed"}),
    ],
)
def test_legacy_faults(
    zego: Zego, action: str, fields: dict[str, Any], status: int, expected: dict[str, Any]
) -> None:
    request = make_mocked_request("POST", f"/cgi/{action}")
    response = provider(zego).fault_response(request, rule(**fields), action)
    assert response.status == status and body_of(response) == expected


def test_a_fault_over_http_keeps_its_status(zego: Zego) -> None:
    zego.emu.add_fault("zego", "GetMixTaskInfo", code=110200191, http_status=503, times=1)
    response = zego.http.get(f"{zego.emu.url}/", params={**zego.query("GetMixTaskInfo"), "TaskId": "t"})
    assert response.status_code == 503
    assert (response.json()["Code"], response.json()["Message"]) == (110200191, "mix service overload")


# ----- the per-app rules, from both sides


def test_request_rate_per_app_on_the_emulator_clock(zego: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    wall = time.time()
    monkeypatch.setattr(zego.emu.ctx.clock, "_wall", lambda: wall)  # only the test moves time
    zego.emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 3})
    for _ in range(3):
        assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 110209001
    answer = zego.call("GetMixTaskInfo", TaskId="t")
    assert (answer["Code"], answer["Message"]) == (
        110200194,
        "mix request overload: more than 3 requests in a second for AppId 12345",
    )
    zego.emu.advance_clock(1)
    assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 110209001


def test_gateway_errors_do_not_count_toward_the_rate(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 1})
    for _ in range(3):
        assert zego.call("GetMixTaskInfo", Signature="0" * 32, TaskId="t")["Code"] == 100000005
    assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 110209001


@pytest.mark.parametrize(("enabled", "code"), [(False, 110200157), (True, 110209001), (None, 110209001)])
def test_mixing_switch_per_app(zego: Zego, enabled: bool | None, code: int) -> None:
    credential = zego.emu.ctx.credential("zego", str(APP_ID))
    assert credential is not None
    if enabled is not None:
        credential.extra["mix_enabled"] = enabled
    try:
        answer = zego.call("GetMixTaskInfo", TaskId="t")
    finally:
        credential.extra.pop("mix_enabled", None)
    assert answer["Code"] == code
    if enabled is False:
        assert answer["Message"] == "stream mixing is not enabled for this app: AppId 12345"


# ----- bodies over the size limit


def test_an_oversized_body(zego: Zego) -> None:
    size = zego.emu.ctx.settings.max_body_bytes + 1
    answer = zego.call("StartMix", raw=b" " * size, method="POST")
    assert (answer["Code"], answer["Message"]) == (
        100000012,
        "Failed to get request body: the body is over the size limit",
    )
    token = zego.token()
    answer = zego.legacy_post("/cgi/start-mix", None, token, raw=b" " * size)
    assert answer == {"code": 4, "message": "parse input params failed: the body is over the size limit"}
    answer = zego.legacy_post("/cgi/stop-mix", None, token, raw=b" " * size)
    assert answer == {"code": 4, "message": "parse input params failed: the body is over the size limit"}
    url = f"{zego.emu.url}/cgi/token"
    answer = zego.http.post(url, params={"appid": APP_ID, "secret": SECRET}, data=b" " * size).json()
    assert answer["code"] == 0  # the query is enough; the unreadable form is none


# ----- the signature time: the wall clock, moved by a skew fault of the action


def signed_at(zego: Zego, timestamp: int) -> int:
    """GetMixTaskInfo of a task that does not exist, signed with ``timestamp``: the answer's Code."""
    query = zego.query("GetMixTaskInfo", Timestamp=timestamp)
    query["Signature"] = sign(APP_ID, query["SignatureNonce"], SECRET, timestamp)
    return zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()["Code"]


@pytest.mark.parametrize(
    ("offset", "code"),
    [(-600, 110209001), (-601, 100000004), (600, 110209001), (601, 100000004), (0, 110209001)],
)
def test_the_window_over_http_on_a_held_wall_clock(
    zego: Zego, monkeypatch: pytest.MonkeyPatch, offset: int, code: int
) -> None:
    """The wall clock held still (the clock's own wall source), the emulator clock an hour ahead: a
    timestamp 600 s behind or ahead of the wall clock is accepted, 601 s is expired."""
    wall = float(int(time.time()))
    monkeypatch.setattr(zego.emu.ctx.clock, "_wall", lambda: wall)
    zego.emu.advance_clock(3600)
    assert signed_at(zego, int(wall) + offset) == code


@pytest.mark.parametrize(
    ("offset", "code"), [(-590, 110209001), (-660, 100000004), (590, 110209001), (660, 100000004)]
)
def test_the_window_over_http_on_the_running_wall_clock(zego: Zego, offset: int, code: int) -> None:
    zego.emu.advance_clock(7200)
    assert signed_at(zego, int(time.time()) + offset) == code


@pytest.mark.parametrize("skew", [-601.0, -600.0, 0.0, 600.0, 601.0])
def test_a_skew_fault_moves_the_signature_time_from_the_wall_clock(zego: Zego, skew: float) -> None:
    zego.emu.add_fault("zego", "GetMixTaskInfo", clock_skew_s=skew, times=1)
    zego.emu.advance_clock(3600)  # the emulator clock is not what signatures are checked against
    before = zego.emu.ctx.clock.wall()
    moved = provider(zego).signature_time("GetMixTaskInfo")
    after = zego.emu.ctx.clock.wall()
    assert before + skew <= moved <= after + skew
    assert (
        after - 0.5 <= provider(zego).signature_time("GetMixTaskInfo") <= zego.emu.ctx.clock.wall()
    )  # used up


@pytest.mark.parametrize(
    ("skew", "code"), [(-600, 110209001), (-601, 100000004), (600, 110209001), (601, 100000004)]
)
def test_a_skew_fault_over_http_on_a_held_wall_clock(
    zego: Zego, monkeypatch: pytest.MonkeyPatch, skew: int, code: int
) -> None:
    wall = float(int(time.time()))
    monkeypatch.setattr(zego.emu.ctx.clock, "_wall", lambda: wall)
    zego.emu.add_fault("zego", "GetMixTaskInfo", clock_skew_s=skew, times=1)
    assert signed_at(zego, int(wall)) == code
    assert signed_at(zego, int(wall)) == 110209001  # the fault was used up


def test_a_skew_fault_applies_to_its_action_only(zego: Zego) -> None:
    zego.emu.add_fault("zego", "StopMix", clock_skew_s=3600)
    assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 110209001
    assert zego.call("StopMix", {"TaskId": "t", "UserId": "u"})["Code"] == 100000004
