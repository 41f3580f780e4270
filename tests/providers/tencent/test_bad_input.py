"""Any body at all gets one of Tencent's codes in the CGI's shape: never an HTTP 500, a traceback or a
foreign error shape, and the server keeps serving."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from emulator.providers.tencent.errors import MESSAGES
from tests.providers.tencent.helpers import Answer, Tencent, load

TABLE = set(MESSAGES)
BAD_VALUES: list[Any] = [
    None,
    True,
    -1,
    0,
    10**30,
    -(10**30),
    1e308,
    0.5,
    "",
    "x" * 100_000,
    "主播_01",
    "🎥",
    "12abc",
    [],
    [1, 2],
    {},
    {"a": 1},
]
# Every field of the seed's start example (crop included), as a path into the body.
PATHS: list[tuple[Any, ...]] = [
    ("eventId",),
    ("interface",),
    ("interface", "interfaceName"),
    ("interface", "para"),
    ("interface", "para", "app_id"),
    ("interface", "para", "interface"),
    ("interface", "para", "mix_stream_session_id"),
    ("interface", "para", "output_stream_id"),
    ("interface", "para", "output_stream_type"),
    ("interface", "para", "mix_stream_template_id"),
    ("interface", "para", "output_stream_bitrate"),
    ("interface", "para", "input_stream_list"),
    ("interface", "para", "input_stream_list", 1),
    ("interface", "para", "input_stream_list", 1, "input_stream_id"),
    ("interface", "para", "input_stream_list", 1, "layout_params"),
    ("interface", "para", "input_stream_list", 1, "layout_params", "image_layer"),
    ("interface", "para", "input_stream_list", 1, "layout_params", "input_type"),
    ("interface", "para", "input_stream_list", 1, "layout_params", "image_width"),
    ("interface", "para", "input_stream_list", 1, "layout_params", "location_y"),
    ("interface", "para", "input_stream_list", 1, "layout_params", "color"),
    ("interface", "para", "input_stream_list", 1, "layout_params", "picture_id"),
    ("interface", "para", "input_stream_list", 1, "crop_params"),
    ("interface", "para", "input_stream_list", 1, "crop_params", "crop_x"),
    ("interface", "para", "input_stream_list", 1, "crop_params", "crop_width"),
]


def assert_native(answer: Answer) -> None:
    assert answer.status == 200
    assert answer.raw.endswith(b"\n")
    body = answer.body
    assert set(body) == {"code", "event_id", "message", "timestamp"}
    assert body["code"] in TABLE, body
    assert isinstance(body["event_id"], str) and isinstance(body["message"], str)
    assert len(answer.raw) < 2000  # a message never echoes a huge value back


def with_value(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    body = load("crop")
    node: Any = body
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)
    return body


@pytest.mark.parametrize("path", PATHS, ids=lambda p: ".".join(map(str, p)))
def test_every_field_with_every_wrong_value(tencent: Tencent, path: tuple[Any, ...]) -> None:
    for value in BAD_VALUES:
        answer = tencent.post(with_value(path, value))
        assert_native(answer)
        assert answer.code != 0


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"null",
        b"42",
        b'"text"',
        b"\xff\xfe\x00garbage",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"eventId": NaN, "interface": {"interfaceName": "Mix_StreamV2", "para": {"app_id": Infinity}}}',
        json.dumps(
            {"eventId": 1, "interface": {"interfaceName": "Mix_StreamV2", "para": {"interface": "x" * 10}}}
        )
        .replace("1", "1" * 5000, 1)
        .encode(),
    ],
    ids=["empty", "null", "number", "string", "binary", "deep", "nan", "huge-int"],
)
def test_raw_bodies(tencent: Tencent, raw: bytes) -> None:
    answer = tencent.post(raw)
    assert_native(answer)
    assert answer.code == -1


def test_ten_megabyte_body(tencent: Tencent) -> None:
    body = load("start")
    body["interface"]["para"]["mix_stream_session_id"] = "s" * (10 * 1024 * 1024)
    answer = tencent.post(body)
    assert_native(answer)
    assert (answer.code, answer.message) == (-1, "Parse input params failed, the body is too large!")


def test_five_megabyte_id(tencent: Tencent) -> None:
    body = load("start")
    body["interface"]["para"]["input_stream_list"][1]["input_stream_id"] = "i" * (5 * 1024 * 1024)
    answer = tencent.post(body)
    assert_native(answer)
    assert answer.code == -4


def test_unicode_ids_are_refused_with_code_4(tencent: Tencent) -> None:
    body = load("start")
    body["interface"]["para"]["input_stream_list"][1]["input_stream_id"] = "小主播"
    answer = tencent.post(body)
    assert answer.code == -4
    assert "小主播" in answer.message  # the answer is UTF-8 JSON


def test_the_server_still_serves_after_bad_input(tencent: Tencent) -> None:
    tencent.post(b"[" * 100_000)
    tencent.publish("stream_lewis01")
    tencent.publish("stream_lewis02")
    assert tencent.post(load("start")).code == 0
    assert tencent.emu.health()["status"] == "ok"
