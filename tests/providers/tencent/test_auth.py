"""The legacy CGI's signature (sign = md5(key + t), t the expiry on the wall clock) and the answer's
wire shape."""

from __future__ import annotations

import re
import time

from emulator.providers.tencent.auth import legacy_sign
from tests.providers.tencent.helpers import KEY, Tencent, load


def test_seed_signature_example() -> None:
    example = load("sign_example")
    assert legacy_sign(example["key"], example["t"]) == example["sign"]
    assert legacy_sign(example["key"], str(example["t"])) == "7f29ed83c61b77de1b0d66936fd4fd44"


def test_answer_has_the_services_wire_shape(tencent: Tencent) -> None:
    answer = tencent.post(load("cancel"))  # a signed request the service refuses: no such session
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.raw.endswith(b"}\n")
    assert re.fullmatch(
        rb'\{"code":-31001,"event_id":"1490079362","message":"[^"]+","timestamp":\d+\}\n', answer.raw
    )
    assert abs(answer.body["timestamp"] - time.time()) < 5


def test_event_id_comes_back_as_a_string(tencent: Tencent) -> None:
    body = load("cancel")
    body["eventId"] = 840471172
    assert tencent.post(body).body["event_id"] == "840471172"


def test_expired_t_is_refused_through_a_clock_skew_fault(tencent: Tencent) -> None:
    fault = tencent.emu.add_fault("tencent", "cancel_mix_stream", clock_skew_s=61, times=1)
    url = tencent.url(t=int(time.time()) + 60)
    answer = tencent.post(load("cancel"), url=url)
    assert (answer.status, answer.code) == (200, -1)
    assert answer.message.startswith("Sign check failed, t [") and answer.message.endswith("] expired!")
    assert answer.body["event_id"] == "1490079362"  # an auth failure echoes the body's eventId too
    assert tencent.post(load("cancel"), url=url).code == -31001  # the skew fault is used up
    skewed, after = tencent.emu.requests(provider="tencent")[-2:]
    assert (skewed["fault"], after["fault"]) == (fault["id"], None)  # the journal names the skew fault


def test_moving_the_emulator_clock_does_not_expire_t(tencent: Tencent) -> None:
    url = tencent.url(t=int(time.time()) + 60)  # what a client computes from its own clock
    tencent.emu.advance_clock(3 * 86400)
    answer = tencent.post(load("cancel"), url=url)
    assert answer.code == -31001  # past auth: the session does not exist
    assert abs(answer.body["timestamp"] - time.time()) < 5  # the answer's time is the wall clock's


def test_auth_failures_echo_the_event_id(tencent: Tencent) -> None:
    body = load("cancel")
    body["eventId"] = 840471172
    answer = tencent.post(body, url=tencent.url(key="0" * 32))
    assert (answer.code, answer.body["event_id"]) == (-1, "840471172")
    answer = tencent.post(body, url=tencent.url(appid="1250000001"))
    assert (answer.code, answer.body["event_id"]) == (-2, "840471172")


def test_a_body_without_timestamp_is_refused(tencent: Tencent) -> None:
    body = load("cancel")
    del body["timestamp"]
    answer = tencent.post(body)
    assert (answer.code, answer.message) == (-1, "Parse input params failed, timestamp required!")
    body["timestamp"] = "soon"
    assert tencent.post(body).code == -1


def test_wrong_sign_is_refused(tencent: Tencent) -> None:
    answer = tencent.post(load("cancel"), url=tencent.url(key="0" * 32))
    assert (answer.code, answer.message) == (-1, "Sign check failed, sign error!")
    t = int(tencent.now()) + 60
    answer = tencent.post(load("cancel"), url=tencent.url(t=t, signature=legacy_sign(KEY, t + 1)))
    assert answer.code == -1


def test_sign_is_case_insensitive_hex(tencent: Tencent) -> None:
    t = int(tencent.now()) + 60
    answer = tencent.post(load("cancel"), url=tencent.url(t=t, signature=legacy_sign(KEY, t).upper()))
    assert answer.code == -31001  # past auth: the session does not exist


def test_unknown_appid_is_code_2(tencent: Tencent) -> None:
    answer = tencent.post(load("cancel"), url=tencent.url(appid="1250000001"))
    assert (answer.code, answer.message) == (-2, "Input params error, appid [1250000001] no exist!")


def test_wrong_interface_name_is_code_1(tencent: Tencent) -> None:
    answer = tencent.post(load("cancel"), url=tencent.url(interface="Mix_Stream"))
    assert (answer.code, answer.message) == (-1, "Interface [Mix_Stream] not supported, use Mix_StreamV2!")


def test_missing_query_parameters_are_code_1(tencent: Tencent) -> None:
    answer = tencent.post(load("cancel"), url=f"{tencent.emu.url}/common_access?appid=1252500000")
    assert (answer.code, answer.message) == (-1, "Parse query params failed, interface, t, sign required!")


def test_a_non_numeric_t_is_code_1(tencent: Tencent) -> None:
    url = f"{tencent.emu.url}/common_access?appid=1252500000&interface=Mix_StreamV2&t=soon&sign=x"
    assert tencent.post(load("cancel"), url=url).code == -1


def test_other_methods_get_the_cgi_shape(tencent: Tencent) -> None:
    for method in ("GET", "PUT", "DELETE"):
        answer = tencent.post(b"", method=method)
        assert (answer.status, answer.code) == (200, -1)
        assert answer.message == f"Parse input params failed, use POST, not {method}!"


def test_requests_are_journaled_under_their_action(tencent: Tencent) -> None:
    tencent.post(load("cancel"))
    tencent.post(b"not json")
    entries = tencent.emu.requests(provider="tencent")
    assert {e["action"] for e in entries} == {"cancel_mix_stream", "Mix_StreamV2"}
