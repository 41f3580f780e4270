"""ZEGO's two envelopes and its codes: ``{Code, Message, RequestId, Data}`` for the rtc-api and
``{code, message, data}`` for the legacy API, the description of every kind of code, and the 19-digit
RequestId."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from emulator.providers.zego.errors import (
    GatewayError,
    LegacyError,
    ZegoError,
    legacy_error,
    legacy_response,
    message_for,
    request_id,
    rtc_error,
    rtc_response,
)


def body_of(response: web.Response) -> dict[str, Any]:
    assert response.content_type == "application/json"
    assert isinstance(response.text, str)
    return json.loads(response.text)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (100000004, "Signature expired"),
        (100000016, "App is not configured for production environment"),
        (40001, "access_token invalid"),
        (42001, "access_token expired"),
        (110200150, "input stream does not exist"),
        (110209001, "mix task does not exist"),
        (110200001, "failed"),
        (110200002, "input params error"),
        (150, "input stream does not exist"),  # the legacy API's short numbers
        (9001, "mix task does not exist"),
        (194, "mix request overload"),
        (110200000, "failed"),  # the base itself is no code
        (110200999, "failed"),
        (12, "failed"),
    ],
)
def test_message_for_every_kind_of_code(code: int, message: str) -> None:
    assert message_for(code) == message


def test_request_ids_are_19_digit_numbers_over_the_whole_range() -> None:
    ids = {request_id() for _ in range(300)}
    assert len(ids) == 300
    for rid in ids:
        assert rid.isdigit() and len(rid) == 19 and rid[0] != "0"
    # Uniform over 10**18 .. 10**19 - 1: every leading digit shows up (missing one: p < 1e-13).
    assert {rid[0] for rid in ids} == set("123456789")


def test_rtc_response_envelope() -> None:
    response = rtc_response(0, "success", {"TaskInfo": {"TaskId": "t"}})
    body = body_of(response)
    assert response.status == 200
    assert list(body) == ["Code", "Message", "RequestId", "Data"]
    assert (
        body["Code"] == 0 and body["Message"] == "success" and body["Data"] == {"TaskInfo": {"TaskId": "t"}}
    )
    assert len(body["RequestId"]) == 19


def test_rtc_response_keeps_empty_data_and_drops_none() -> None:
    assert body_of(rtc_response(0, "success", {}))["Data"] == {}
    assert body_of(rtc_response(0, "success", []))["Data"] == []
    assert "Data" not in body_of(rtc_response(0, "success"))
    assert rtc_response(1, "x", status=503).status == 503


def test_legacy_response_envelope() -> None:
    response = legacy_response(0, "success", {"seq": 0})
    assert response.status == 200
    assert body_of(response) == {"code": 0, "message": "success", "data": {"seq": 0}}
    assert body_of(legacy_response(9001, "gone")) == {"code": 9001, "message": "gone"}
    assert body_of(legacy_response(0, "ok", {})) == {"code": 0, "message": "ok", "data": {}}
    assert legacy_response(4, "x", status=413).status == 413


def test_non_ascii_text_is_sent_as_is() -> None:
    """ZEGO's messages and ids may be Chinese: the JSON carries them unescaped, as UTF-8."""
    response = rtc_response(110200002, "参数错误")
    assert "参数错误" in response.text  # type: ignore[operator]
    assert response.charset == "utf-8"
    assert "流不存在" in legacy_response(150, "流不存在").text  # type: ignore[operator]


def test_rtc_error_codes_and_messages() -> None:
    body = body_of(rtc_error(ZegoError(150, "StreamId 'a'")))
    assert (body["Code"], body["Message"]) == (110200150, "input stream does not exist: StreamId 'a'")
    body = body_of(rtc_error(ZegoError(9001)))
    assert (body["Code"], body["Message"]) == (110209001, "mix task does not exist")
    body = body_of(rtc_error(GatewayError(100000005)))
    assert (body["Code"], body["Message"]) == (100000005, "Signature error")
    assert "Data" not in body


def test_legacy_error_codes_and_messages() -> None:
    assert body_of(legacy_error(ZegoError(150, "a"))) == {
        "code": 150,
        "message": "input stream does not exist: a",
    }
    assert body_of(legacy_error(LegacyError(40005))) == {"code": 40005, "message": "appsecret error"}
    assert body_of(legacy_error(LegacyError(40013, "appid '7'"))) == {
        "code": 40013,
        "message": "appid error: appid '7'",
    }


def test_error_objects() -> None:
    error = ZegoError(2, "Volume")
    assert (error.number, error.detail, error.message, str(error)) == (
        2,
        "Volume",
        "input params error: Volume",
        "input params error: Volume",
    )
    assert ZegoError(777).message == "failed" and ZegoError(777, "d").message == "failed: d"
    gateway = GatewayError(100000007, "Foo")
    assert (gateway.code, gateway.message, str(gateway)) == (
        100000007,
        "Unsupported Action: Foo",
        gateway.message,
    )
    legacy = LegacyError(42001)
    assert (legacy.code, legacy.message, str(legacy)) == (
        42001,
        "access_token expired",
        "access_token expired",
    )
