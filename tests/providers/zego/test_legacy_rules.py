"""The legacy web API's rules: /cgi/token by query or form and its app-id checks, the access_token of
start-mix and stop-mix (missing, wrong, auth off), the start answer written out, stop-mix's JSON and form
fields and their errors, the app's rules (rate, mixing enabled), locks, faults and journal names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.config import Credential
from emulator.providers.zego.errors import START_LOCKED, STOP_LOCKED
from tests.providers.zego.helpers import APP_ID, RED, SECRET, Zego

TASK = "zego:12345:lt1"


def legacy_body(**extra: Any) -> dict[str, Any]:
    return {
        "id_name": "anchor",
        "task_id": "lt1",
        "live_channel": "ch1",
        "MixInput": [{"stream_id": "red", "rect": {"top": 0, "left": 0, "bottom": 18, "right": 32}}],
        "MixOutput": [{"stream_id": "lout", "fps": 5, "width": 32, "height": 18}],
        **extra,
    }


@pytest.fixture
def red(zego: Zego) -> Zego:
    zego.emu.publish("red", RED)
    return zego


@pytest.fixture
def held_wall(zego: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wall clock under the emulator clock held still: time rules move only when the test moves them."""
    wall = time.time()
    monkeypatch.setattr(zego.emu.ctx.clock, "_wall", lambda: wall)


@pytest.fixture
def auth_off(zego: Zego) -> Iterator[None]:
    zego.emu.ctx.settings.auth = "off"
    yield
    zego.emu.ctx.settings.auth = "strict"


def add_credential(zego: Zego, app_id: str) -> Credential:
    credential = Credential("zego", app_id, SECRET)
    zego.emu.ctx.settings.credentials.append(credential)
    return credential


# ----- /cgi/token


def test_token_answer(zego: Zego) -> None:
    answer = zego.legacy_get("/cgi/token", appid=APP_ID, secret=SECRET)
    assert (answer["code"], answer["message"]) == (0, "success")
    assert set(answer["data"]) == {"access_token", "expires_in"} and answer["data"]["expires_in"] == 7200


def test_token_by_posted_form_over_the_query(zego: Zego) -> None:
    url = f"{zego.emu.url}/cgi/token"
    form = {"appid": str(APP_ID), "secret": SECRET}
    assert zego.http.post(url, data=form).json()["code"] == 0
    assert zego.http.post(url, params={"appid": APP_ID, "secret": "wrong"}, data=form).json()["code"] == 0
    assert zego.http.post(url, params=form, data={"secret": "wrong"}).json()["code"] == 40005
    # A GET's body is no form.
    assert zego.http.get(url, params={"appid": APP_ID}, data=f"secret={SECRET}").json()["code"] == 40005
    assert zego.http.post(url, params=form, data=b"\xff\xfe=\xff").json()["code"] == 0  # an unreadable form


@pytest.mark.parametrize("app_id", ["abc", "1.5", "", "-1"])
def test_token_app_ids_must_be_configured_numbers(zego: Zego, app_id: str) -> None:
    credential = add_credential(zego, app_id)  # even configured, a non-number is no ZEGO app
    try:
        answer = zego.legacy_get("/cgi/token", appid=app_id, secret=SECRET)
    finally:
        zego.emu.ctx.settings.credentials.remove(credential)
    assert answer == {"code": 40013, "message": f"appid error: appid {app_id!r} is not configured"}


def test_token_of_a_second_app_is_its_own(red: Zego) -> None:
    credential = add_credential(red, "777")
    try:
        token = red.token(777)
        assert red.legacy_post("/cgi/start-mix", legacy_body(), token)["code"] == 0
    finally:
        red.emu.ctx.settings.credentials.remove(credential)
    assert red.emu.ctx.tasks.get("zego:777:lt1") is not None and red.emu.ctx.tasks.get(TASK) is None


# ----- the access_token of start-mix and stop-mix


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (None, "access_token invalid: access_token is missing"),
        ("", "access_token invalid: access_token is missing"),
    ],
)
def test_a_missing_token_is_40001(red: Zego, token: str | None, message: str) -> None:
    url = f"{red.emu.url}/cgi/start-mix"
    params = {} if token is None else {"access_token": token}
    assert red.http.post(url, params=params, json=legacy_body()).json() == {"code": 40001, "message": message}


def test_a_wrong_token_is_40001(red: Zego) -> None:
    red.token()
    answer = red.legacy_post("/cgi/start-mix", legacy_body(), "not-a-token")
    assert answer == {"code": 40001, "message": "access_token invalid"}
    answer = red.legacy_post("/cgi/stop-mix", {"task_id": "lt1"}, "not-a-token")
    assert answer == {"code": 40001, "message": "access_token invalid"}


def test_an_expired_token_is_42001_at_7200_seconds(red: Zego, held_wall: None) -> None:
    token = red.token()
    red.emu.advance_clock(7199)
    assert red.legacy_post("/cgi/start-mix", legacy_body(), token)["code"] == 0
    red.emu.advance_clock(1)
    assert red.legacy_post("/cgi/stop-mix", {"task_id": "lt1", "id_name": "anchor"}, token) == {
        "code": 42001,
        "message": "access_token expired",
    }


def test_auth_off_takes_the_first_numeric_app_or_the_tokens(red: Zego, auth_off: None) -> None:
    assert red.legacy_post("/cgi/start-mix", legacy_body(), None)["code"] == 0
    assert red.emu.ctx.tasks.get(TASK) is not None
    credential = add_credential(red, "777")
    try:
        token = red.token(777)
        assert (
            red.legacy_post(
                "/cgi/start-mix",
                legacy_body(task_id="lt2", MixOutput=[{"stream_id": "o2", "width": 32, "height": 18}]),
                token,
            )["code"]
            == 0
        )
    finally:
        red.emu.ctx.settings.credentials.remove(credential)
    assert red.emu.ctx.tasks.get("zego:777:lt2") is not None


def test_auth_off_without_a_numeric_app_still_needs_a_token(red: Zego, auth_off: None) -> None:
    settings = red.emu.ctx.settings
    saved = list(settings.credentials)
    settings.credentials[:] = [c for c in saved if c.provider != "zego"] + [
        Credential("zego", "named", SECRET)
    ]
    try:
        answer = red.legacy_post("/cgi/start-mix", legacy_body(), None)
    finally:
        settings.credentials[:] = saved
    assert answer == {"code": 40001, "message": "access_token invalid"}


# ----- start-mix


def test_start_answer_written_out(red: Zego) -> None:
    answer = red.legacy_post("/cgi/start-mix", legacy_body(seq=3), red.token())
    host, rtmp_port = red.emu.host_port, red.emu.ctx.rtmp_port
    assert answer == {
        "code": 0,
        "message": "success",
        "data": {
            "id_name": "anchor",
            "seq": 3,
            "live_channel": "ch1",
            "play": [
                {
                    "hdl_url": f"http://{host}/live/lout.flv",
                    "hls_url": f"http://{host}/live/lout/index.m3u8",
                    "rtmp_url": f"rtmp://127.0.0.1:{rtmp_port}/live/lout",
                    "stream_alias": "lout",
                }
            ],
        },
    }


def test_an_update_reports_the_duration(red: Zego, held_wall: None) -> None:
    token = red.token()
    assert "mix_duration" not in red.legacy_post("/cgi/start-mix", legacy_body(), token)["data"]
    red.emu.advance_clock(12.6)
    data = red.legacy_post("/cgi/start-mix", legacy_body(seq=2), token)["data"]
    assert (data["seq"], data["mix_duration"]) == (2, 12)


@pytest.mark.parametrize("host", ["testwebapi.zego.im:443", "TestWebApi.Zego.IM"])
def test_the_test_host_with_a_port_or_in_capitals(red: Zego, host: str) -> None:
    url = f"{red.emu.url}/cgi/start-mix"
    answer = red.http.post(
        url, params={"access_token": red.token()}, headers={"Host": host}, json=legacy_body()
    )
    assert answer.json()["code"] == 150 and "zegotest-12345-" in answer.json()["message"]


def test_the_app_rules_apply_to_the_legacy_api(red: Zego, held_wall: None) -> None:
    token = red.token()
    credential = red.emu.ctx.credential("zego", str(APP_ID))
    assert credential is not None
    credential.extra["mix_enabled"] = False
    try:
        assert red.legacy_post("/cgi/start-mix", legacy_body(), token) == {
            "code": 157,
            "message": "stream mixing is not enabled for this app: AppId 12345",
        }
        assert red.legacy_post("/cgi/stop-mix", {"task_id": "lt1"}, token)["code"] == 157
    finally:
        credential.extra.pop("mix_enabled")
    red.emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 1})
    red.emu.advance_clock(1)  # the refused requests above counted too
    assert red.legacy_post("/cgi/start-mix", legacy_body(), token)["code"] == 0
    assert red.legacy_post("/cgi/stop-mix", {"task_id": "lt1"}, token) == {
        "code": 194,
        "message": "mix request overload: more than 1 requests in a second for AppId 12345",
    }


def test_start_mix_body_errors(red: Zego) -> None:
    token = red.token()
    assert red.legacy_post("/cgi/start-mix", None, token, raw=b"") == {
        "code": 4,
        "message": "parse input params failed: the body is empty: send the parameters as a JSON object",
    }


# ----- stop-mix


@pytest.mark.parametrize(
    "raw",
    [
        b'{"task_id": "lt1", "id_name": "anchor", "seq": 5}',
        b'  {"task_id": "lt1", "id_name": "anchor", "seq": "5"}',
        b"task_id=lt1&id_name=anchor&seq=5",
        b'{"stream_id": "lout", "id_name": "anchor", "seq": 5}',
        b"stream_id=lout&id_name=anchor&seq=5",
        b'{"task_id": "lt1", "stream_id": "elsewhere", "id_name": "anchor", "seq": 5}',
    ],
)
def test_stop_mix_fields_as_json_or_form(red: Zego, raw: bytes) -> None:
    token = red.token()
    assert red.legacy_post("/cgi/start-mix", legacy_body(seq=4), token)["code"] == 0
    assert red.legacy_post("/cgi/stop-mix", None, token, raw=raw) == {"code": 0, "message": "success"}
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and task.meta["sequence"] == 5


@pytest.mark.parametrize(
    ("raw", "code", "message"),
    [
        (b"{oops", 4, "parse input params failed: the body is neither JSON nor a form"),
        (b"task_id=\xff\xfe", 4, "parse input params failed: the body is neither JSON nor a form"),
        (b"[1]", 2, "input params error: task_id or stream_id is required"),  # a form of no fields
        (b'{"task_id": ["lt1"]}', 185, "parse stop mix request failed: task_id must be a string"),
        (b"id_name=anchor", 2, "input params error: task_id or stream_id is required"),
        (b"", 2, "input params error: task_id or stream_id is required"),
        (
            b'{"task_id": "' + b"t" * 257 + b'"}',
            2,
            "input params error: task_id is longer than 256 characters",
        ),
        (
            b'{"stream_id": "' + b"s" * 257 + b'"}',
            2,
            "input params error: stream_id is longer than 256 characters",
        ),
        (
            b'{"task_id": "lt1", "id_name": "' + b"a" * 257 + b'"}',
            2,
            "input params error: id_name is longer than 256 characters",
        ),
        (b'{"stream_id": "nobody"}', 9001, "mix task does not exist: no mix outputs stream 'nobody'"),
        (b'{"task_id": "lt1", "id_name": "anchor", "seq": 4}', 2, None),
    ],
)
def test_stop_mix_errors(red: Zego, raw: bytes, code: int, message: str | None) -> None:
    token = red.token()
    assert red.legacy_post("/cgi/start-mix", legacy_body(seq=4), token)["code"] == 0
    answer = red.legacy_post("/cgi/stop-mix", None, token, raw=raw)
    assert answer["code"] == code, answer
    if message is not None:
        assert answer["message"] == message
    assert red.emu.ctx.tasks.get(TASK).state.active  # type: ignore[union-attr]


def test_stop_mix_by_stream_id_of_another_apps_mix(red: Zego) -> None:
    credential = add_credential(red, "777")
    try:
        assert red.legacy_post("/cgi/start-mix", legacy_body(), red.token(777))["code"] == 0
        answer = red.legacy_post("/cgi/stop-mix", {"stream_id": "lout", "id_name": "anchor"}, red.token())
    finally:
        red.emu.ctx.settings.credentials.remove(credential)
    assert answer == {"code": 9001, "message": "mix task does not exist: no mix outputs stream 'lout'"}


def test_stop_mix_by_stream_id_of_another_providers_mix(red: Zego) -> None:
    job_body = legacy_body()
    assert red.legacy_post("/cgi/start-mix", job_body, red.token())["code"] == 0
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None
    task.provider = "tencent"  # the same output stream, owned by a mix of another provider
    try:
        answer = red.legacy_post("/cgi/stop-mix", {"stream_id": "lout", "id_name": "anchor"}, red.token())
    finally:
        task.provider = "zego"
    assert answer["code"] == 9001


# ----- locks, faults and journal names


def test_legacy_locks(red: Zego) -> None:
    token = red.token()
    locks = red.emu.ctx.providers["zego"].locks  # type: ignore[attr-defined]
    with locks.hold(APP_ID, "anchor", START_LOCKED):
        assert red.legacy_post("/cgi/start-mix", legacy_body(), token) == {
            "code": 5,
            "message": "start mix get distributed lock failed, requests of this UserId are too frequent: "
            "UserId 'anchor' has a request in progress",
        }
    assert red.legacy_post("/cgi/start-mix", legacy_body(), token)["code"] == 0
    with locks.hold(APP_ID, "anchor", STOP_LOCKED):
        assert red.legacy_post("/cgi/stop-mix", {"task_id": "lt1", "id_name": "anchor"}, token)["code"] == 6
    with locks.hold(APP_ID, "task:lt1", STOP_LOCKED):
        assert red.legacy_post("/cgi/stop-mix", {"task_id": "lt1"}, token)["code"] == 6
    assert red.legacy_post("/cgi/stop-mix", {"task_id": "lt1", "id_name": "anchor"}, token)["code"] == 0


@pytest.mark.parametrize("action", ["token", "start-mix", "stop-mix"])
def test_faults_and_journal_name_each_legacy_action(red: Zego, action: str) -> None:
    token = red.token() if action != "token" else ""
    red.emu.add_fault("zego", action, code=150, times=1)
    if action == "token":
        answer = red.legacy_get("/cgi/token", appid=APP_ID, secret=SECRET)
    elif action == "start-mix":
        answer = red.legacy_post("/cgi/start-mix", legacy_body(), token)
    else:
        answer = red.legacy_post("/cgi/stop-mix", {"task_id": "lt1"}, token)
    assert answer == {"code": 150, "message": "input stream does not exist"}
    entries = red.emu.requests(provider="zego", action=action)
    assert entries[-1]["response"] == answer
    assert red.emu.ctx.tasks.active("zego") == []


def test_without_rtmp_the_play_rtmp_url_is_empty(red: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(red.emu.ctx, "rtmp_port", None)  # an emulator serving no RTMP
    [play] = red.legacy_post("/cgi/start-mix", legacy_body(), red.token())["data"]["play"]
    assert (play["rtmp_url"], play["hdl_url"]) == ("", f"http://{red.emu.host_port}/live/lout.flv")


def test_auth_off_skips_apps_that_are_no_uint32(red: Zego, auth_off: None) -> None:
    """The first ZEGO app whose id is a uint32: not one with a signed id, nor another provider's app."""
    settings = red.emu.ctx.settings
    saved = list(settings.credentials)
    settings.credentials[:] = [Credential("tencent", "777", SECRET), Credential("zego", "-5", SECRET), *saved]
    try:
        assert red.legacy_post("/cgi/start-mix", legacy_body(), None)["code"] == 0
    finally:
        settings.credentials[:] = saved
    assert red.emu.ctx.tasks.get(TASK) is not None


def test_a_token_request_without_appid(zego: Zego) -> None:
    assert zego.legacy_get("/cgi/token", secret=SECRET) == {
        "code": 40013,
        "message": "appid error: appid '' is not configured",
    }


def test_auth_off_without_a_token_while_one_is_live(red: Zego, auth_off: None) -> None:
    red.token()
    assert red.legacy_post("/cgi/start-mix", legacy_body(), None)["code"] == 0
