"""Control-API validation at its boundaries, from both sides: the rules as functions, then the answers a
client gets over HTTP (status, code, field, message)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from emulator.control.validation import Field, FieldError, in_range, text, validate
from emulator.testing import EmulatorFixture


def _post(emu: EmulatorFixture, path: str, body: bytes | dict) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return _call(emu, "POST", path, data)


def _call(emu: EmulatorFixture, method: str, path: str, data: bytes | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(
        emu.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


# ----- the rules as functions


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (-0.001, "must be between 0 and 10"),
        (0, None),
        (5.5, None),
        (10, None),
        (10.001, "must be between 0 and 10"),
    ],
)
def test_in_range_includes_both_ends(value: float, problem: str | None) -> None:
    assert in_range(0, 10)(value) == problem


def test_in_range_message_prints_numbers_compactly() -> None:
    assert in_range(0.5, 315_360_000)(-1) == "must be between 0.5 and 3.1536e+08"


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "must not be empty"),
        ("a", None),
        ("abcd", None),  # exactly the limit
        ("abcde", "longer than 4 characters"),
    ],
)
def test_text_length_limit_both_sides(value: str, problem: str | None) -> None:
    assert text(4)(value) == problem


@pytest.mark.parametrize("value", ["a/b", "a\\b", "/", "\\"])
def test_text_without_slashes_refuses_either_slash(value: str) -> None:
    assert text(10, allow_slash=False)(value) == "must not contain / or \\"
    assert text(10)(value) is None  # allowed by default


SPEC = {
    "name": Field(str, required=True),
    "count": Field(int, check=in_range(1, 3)),
    "ratio": Field(float),
    "flag": Field(bool),
    "either": Field((int, str)),
    "object": Field(dict),
}


def test_validate_fills_absent_optionals_with_none() -> None:
    assert validate({"name": "x"}, SPEC) == {
        "name": "x",
        "count": None,
        "ratio": None,
        "flag": None,
        "either": None,
        "object": None,
    }


def test_validate_keeps_given_values() -> None:
    body = {"name": "x", "count": 3, "ratio": 2, "flag": False, "either": "s", "object": {"a": 1}}
    assert validate(body, SPEC) == body


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "name", "is required"),
        ({"name": None}, "name", "is required"),  # JSON null is absent
        ({"name": "x", "nope": 1}, "nope", "unknown field (known: count, either, flag, name, object, ratio)"),
        ({"name": 1}, "name", "must be a string"),
        ({"name": "x", "count": 1.5}, "count", "must be an integer"),
        ({"name": "x", "count": True}, "count", "must be an integer"),  # JSON true is not a number
        ({"name": "x", "ratio": False}, "ratio", "must be a number"),
        ({"name": "x", "ratio": "1"}, "ratio", "must be a number"),
        ({"name": "x", "flag": 1}, "flag", "must be true or false"),
        ({"name": "x", "either": 1.5}, "either", "must be an integer or a string"),
        ({"name": "x", "object": []}, "object", "must be an object"),
        ({"name": "x", "count": 0}, "count", "must be between 1 and 3"),
        ({"name": "x", "count": 4}, "count", "must be between 1 and 3"),
    ],
)
def test_validate_names_the_bad_field(body: dict, field: str, message: str) -> None:
    with pytest.raises(FieldError) as caught:
        validate(body, SPEC)
    assert (caught.value.field, caught.value.message, caught.value.status, caught.value.code) == (
        field,
        message,
        400,
        "InvalidField",
    )
    assert str(caught.value) == f"{field}: {message}"


def test_validate_accepts_booleans_where_booleans_are_allowed() -> None:
    assert validate({"name": "x", "flag": True}, SPEC)["flag"] is True
    assert validate({"v": True}, {"v": Field((bool, int))}) == {"v": True}
    assert validate({"v": 7}, {"v": Field(float)}) == {"v": 7}  # an integer is a number


def test_a_type_without_a_friendly_name_uses_its_own() -> None:
    with pytest.raises(FieldError, match="must be list"):
        validate({"v": 1}, {"v": Field(list)})


# ----- over HTTP


def test_clock_advance_range_both_sides(mix_emulator: EmulatorFixture) -> None:
    ten_years = 10 * 365 * 86400
    assert _post(mix_emulator, "/_emulator/clock/advance", {"seconds": 0})[0] == 200
    assert _post(mix_emulator, "/_emulator/clock/advance", {"seconds": ten_years})[0] == 200
    for seconds in (-0.5, ten_years + 1):
        status, body = _post(mix_emulator, "/_emulator/clock/advance", {"seconds": seconds})
        assert status == 400
        assert body["error"] == {
            "code": "InvalidField",
            "message": "must be between 0 and 3.1536e+08",
            "field": "seconds",
        }


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "a JSON object is required"),
        (b"  \n ", "a JSON object is required"),
        (b"{", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),  # too deep for the parser
        (b"[1, 2]", "must be a JSON object"),
        (b'"text"', "must be a JSON object"),
    ],
)
def test_bodies_that_are_not_a_json_object(mix_emulator: EmulatorFixture, raw: bytes, message: str) -> None:
    status, body = _post(mix_emulator, "/_emulator/clock/advance", raw)
    assert status == 400
    assert body["error"] == {"code": "InvalidField", "message": message, "field": "body"}


def test_a_body_over_the_size_limit_is_413(mix_emulator: EmulatorFixture) -> None:
    status, body = _post(mix_emulator, "/_emulator/clock/advance", b" " * (8 * 1024 * 1024 + 1))
    assert status == 413
    assert body["error"] == {
        "code": "BodyTooLarge",
        "message": "larger than the body size limit (MIXEMU_MAX_BODY_BYTES)",
        "field": "body",
    }


def test_stream_id_length_and_slashes(mix_emulator: EmulatorFixture) -> None:
    source = "pattern:color?color=#00ff00&size=16x16"
    assert _post(mix_emulator, "/_emulator/streams", {"stream_id": "s" * 256, "source": source})[0] == 201
    for stream_id, message in (
        ("s" * 257, "longer than 256 characters"),
        ("a/b", "must not contain / or \\"),
    ):
        status, body = _post(mix_emulator, "/_emulator/streams", {"stream_id": stream_id, "source": source})
        assert status == 400 and body["error"]["field"] == "stream_id" and body["error"]["message"] == message


@pytest.mark.parametrize(
    ("limit", "status"),
    [("0", 400), ("1", 200), ("100000", 200), ("100001", 400), ("x", 400), ("", 200)],
)
def test_journal_limit_range(mix_emulator: EmulatorFixture, limit: str, status: int) -> None:
    got, body = _call(mix_emulator, "GET", f"/_emulator/requests?limit={limit}")
    assert got == status
    if status == 400:
        message = "must be an integer" if limit == "x" else "must be between 1 and 100000"
        assert body["error"] == {"code": "InvalidField", "message": message, "field": "limit"}


def test_journal_limit_keeps_the_latest(mix_emulator: EmulatorFixture) -> None:
    for n in range(3):
        _call(mix_emulator, "GET", f"/?Action=DescribeNothing{n}")
    _, body = _call(mix_emulator, "GET", "/_emulator/requests?limit=2")
    assert len(body["requests"]) == 2


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("http_status", [100, 599], [99, 600]),
        ("probability", [0, 1], [-0.01, 1.01]),
        ("times", [1, 1_000_000], [0, 1_000_001]),
        ("delay_ms", [0, 600_000], [-1, 600_001]),
    ],
)
def test_fault_field_ranges(mix_emulator: EmulatorFixture, field: str, good: list, bad: list) -> None:
    base = {"provider": "zego", "action": "StartMix", "code": 1}
    for value in good:
        status, body = _post(mix_emulator, "/_emulator/faults", {**base, field: value})
        assert status in (200, 201), body
    for value in bad:
        status, body = _post(mix_emulator, "/_emulator/faults", {**base, field: value})
        assert status == 400 and body["error"]["field"] == field


@pytest.mark.parametrize(
    "source",
    [
        "http://127.0.0.1:1/x.flv",
        "https://127.0.0.1:1/x.m3u8",
        "rtmp://127.0.0.1:1/live/x",
        "rtmps://127.0.0.1:1/live/x",
        "live:chan",
    ],
)
def test_network_sources_are_taken_on_trust(mix_emulator: EmulatorFixture, source: str) -> None:
    # nothing listens on port 1: a probe would fail, so a 201 shows none was made
    status, body = _post(mix_emulator, "/_emulator/streams", {"stream_id": "net", "source": source})
    assert status == 201, body
    stream = body["stream"]
    assert (stream["info"]["width"], stream["info"]["height"], stream["info"]["fps"]) == (None, None, None)
    host = mix_emulator.url.removeprefix("http://")
    assert stream["play"] == {
        "flv": f"http://{host}/live/net.flv",
        "rtmp": f"rtmp://127.0.0.1:{mix_emulator.ctx.rtmp_port}/live/net",
    }


def test_a_corrupt_file_is_refused_with_the_probe_error(mix_emulator: EmulatorFixture) -> None:
    (mix_emulator.ctx.settings.data_dir / "media" / "bad.mp4").write_bytes(b"\x00garbage" * 100)
    status, body = _post(mix_emulator, "/_emulator/streams", {"stream_id": "bad", "source": "bad.mp4"})
    assert status == 400 and body["error"]["field"] == "source"
    assert (
        body["error"]["message"].startswith("cannot open ") and "bad.mp4: corrupt" in body["error"]["message"]
    )
