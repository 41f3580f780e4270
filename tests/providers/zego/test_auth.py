"""The rtc-api gateway: ZEGO's signature test vector, each public-parameter code from its condition, the
10-minute window on the emulator clock, IsTest, and injected faults in the native envelope."""

from __future__ import annotations

import http.client
import json
import time

import pytest

from emulator.client import ControlError
from emulator.providers.zego.auth import callback_signature, signature
from tests.providers.zego.helpers import APP_ID, SECRET, Zego, sign


def test_official_signature_vector() -> None:
    assert signature(12345, "4fd24687296dd9f3", "9193cc662a4c0ec135ec71fb57194b38", 1615186943) == (
        "43e5cfcca828314675f91b001390566a"
    )


def test_official_callback_signature_vector() -> None:
    assert callback_signature("secret", "1470820198", "123412") == "5bd59fd62953a8059fb7eaba95720f66d19e4517"


def test_official_vector_request_is_expired_today(zego: Zego) -> None:
    """The vector's own request: its signature is right, but its 2021 timestamp is far outside the window."""
    query = zego.query("GetMixTaskInfo", SignatureNonce="4fd24687296dd9f3", Timestamp=1615186943)
    query["Signature"] = "43e5cfcca828314675f91b001390566a"
    answer = zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()
    assert answer["Code"] == 100000004


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"Action": ""}, 100000006),
        ({"Action": "StartRecord"}, 100000007),
        ({"AppId": "abc"}, 100000001),
        ({"AppId": "99999999999"}, 100000001),
        ({"AppId": "\u00b2"}, 100000001),
        ({"Timestamp": "\u00b2"}, 100000003),
        ({"Timestamp": "9" * 30}, 100000003),
        ({"SignatureNonce": None}, 100000008),
        ({"Timestamp": None}, 100000002),
        ({"Timestamp": "yesterday"}, 100000003),
        ({"Signature": None}, 100000009),
        ({"SignatureVersion": None}, 100000013),
        ({"SignatureVersion": "1.0"}, 100000014),
        ({"AppId": 54321}, 100000010),
        ({"Signature": "0" * 32}, 100000005),
    ],
)
def test_gateway_codes(zego: Zego, override: dict[str, object], code: int) -> None:
    params = zego.query("GetMixTaskInfo", **override)
    answer = zego.http.get(f"{zego.emu.url}/", params={**params, "TaskId": "t"}).json()
    assert answer["Code"] == code, answer
    assert answer["RequestId"].isdigit() and len(answer["RequestId"]) == 19
    assert "Data" not in answer


def test_messages_are_zego_descriptions(zego: Zego) -> None:
    answer = zego.call("GetMixTaskInfo", Signature="f" * 32, TaskId="t")
    assert answer == {**answer, "Code": 100000005, "Message": "Signature error"}


def test_signature_window_is_ten_minutes_checked_through_a_clock_skew_fault(zego: Zego) -> None:
    query = zego.query("GetMixTaskInfo")
    zego.emu.add_fault("zego", "GetMixTaskInfo", clock_skew_s=599, times=1)
    assert zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()["Code"] == 110209001
    zego.emu.add_fault("zego", "GetMixTaskInfo", clock_skew_s=601, times=1)
    answer = zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()
    assert answer["Code"] == 100000004
    assert zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()["Code"] == 110209001


def test_moving_the_emulator_clock_locks_no_client_out(zego: Zego) -> None:
    zego.emu.advance_clock(7200)
    answer = zego.http.get(f"{zego.emu.url}/", params={**zego.query("GetMixTaskInfo"), "TaskId": "t"}).json()
    assert answer["Code"] == 110209001


def test_future_timestamp_beyond_window_is_expired(zego: Zego) -> None:
    now = int(time.time())
    query = zego.query("GetMixTaskInfo", Timestamp=now + 601)
    query["Signature"] = sign(APP_ID, query["SignatureNonce"], SECRET, now + 601)
    assert zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()["Code"] == 100000004


def test_uppercase_signature_hex_is_accepted(zego: Zego) -> None:
    query = zego.query("GetMixTaskInfo")
    query["Signature"] = query["Signature"].upper()
    assert zego.http.get(f"{zego.emu.url}/", params={**query, "TaskId": "t"}).json()["Code"] == 110209001


def test_missing_host_header_is_100000000(zego: Zego) -> None:
    params = "&".join(f"{k}={v}" for k, v in zego.query("GetMixTaskInfo").items())
    conn = http.client.HTTPConnection(zego.emu.host, zego.emu.port, timeout=10)
    conn.putrequest("GET", f"/?{params}&TaskId=t", skip_host=True)
    conn.putheader("Host", "")
    conn.endheaders()
    answer = json.loads(conn.getresponse().read())
    conn.close()
    assert answer["Code"] == 100000000


def test_production_only_check_uses_is_test(zego: Zego) -> None:
    """100000016: an app without the production environment must send IsTest=true."""
    credential = zego.emu.ctx.credential("zego", str(APP_ID))
    assert credential is not None
    credential.extra["production"] = False
    try:
        assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 100000016
        assert zego.call("GetMixTaskInfo", TaskId="t", IsTest="TRUE")["Code"] == 110209001
    finally:
        credential.extra.pop("production")


def test_injected_fault_answers_in_the_native_envelope(zego: Zego) -> None:
    zego.emu.add_fault("zego", "GetMixTaskInfo", code=110200194, times=1)
    answer = zego.call("GetMixTaskInfo", TaskId="t")
    assert (answer["Code"], answer["Message"]) == (110200194, "mix request overload")
    assert zego.call("GetMixTaskInfo", TaskId="t")["Code"] == 110209001


def test_requests_are_journaled_with_the_signature_redacted(zego: Zego) -> None:
    zego.call("GetMixTaskInfo", TaskId="t")
    [entry] = zego.emu.requests(provider="zego", action="GetMixTaskInfo")
    assert entry["query"]["Signature"] == "***"
    assert entry["response"]["Code"] == 110209001


def test_auth_off_skips_signatures_and_tokens_but_not_ids(zego: Zego) -> None:
    settings = zego.emu.ctx.settings
    settings.auth = "off"
    try:
        assert zego.call("GetMixTaskInfo", Signature="0" * 32, Timestamp=1, TaskId="t")["Code"] == 110209001
        assert zego.call("GetMixTaskInfo", AppId=54321, TaskId="t")["Code"] == 100000010
        assert zego.legacy_post("/cgi/stop-mix", {"task_id": "t"}, "any-token")["code"] == 9001
        assert zego.legacy_get("/cgi/token", appid=APP_ID, secret="wrong")["code"] == 0
    finally:
        settings.auth = "strict"


def test_control_routes_show_and_reset_settings(zego: Zego) -> None:
    emu = zego.emu
    assert emu.request("GET", "/_emulator/zego/limits")["limits"] == {
        "max_fps": 20,
        "max_tasks": 100,
        "rate_limit": 100,
    }
    emu.request("POST", "/_emulator/zego/callback", {"url": "http://127.0.0.1:9/cb", "secret": "s"})
    assert emu.request("GET", "/_emulator/zego/callback")["callbacks"] == {
        "*": {"url": "http://127.0.0.1:9/cb", "secret_set": True}
    }
    assert emu.request("DELETE", "/_emulator/zego/callback")["callbacks"] == {}
    emu.request("POST", "/_emulator/zego/limits", {"max_fps": 30})
    emu.reset()
    assert emu.request("GET", "/_emulator/zego/limits")["limits"]["max_fps"] == 20
    with pytest.raises(ControlError) as error:
        emu.request("GET", "/_emulator/zego/sound-levels", app_id="\u00b2", task_id="t")
    assert error.value.status == 404
    with pytest.raises(ControlError) as error:
        emu.request("POST", "/_emulator/zego/limits", {"max_fps": "fast"})
    assert error.value.status == 400
