"""ZEGO's control routes: ``/_emulator/zego/callback`` (every field's rule from both sides, per app or for
all apps), ``/_emulator/zego/limits`` (each range from both ends, partial updates) and
``/_emulator/zego/sound-levels`` of a running mix."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.client import ControlError
from tests.providers.zego.helpers import RED, Zego

CALLBACK = "/_emulator/zego/callback"
LIMITS = "/_emulator/zego/limits"


def refused(zego: Zego, method: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
    with pytest.raises(ControlError) as caught:
        zego.emu.request(method, path, body, **query)
    return caught.value


# ----- callback


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "url", "is required"),
        ({"secret": "s"}, "url", "is required"),
        ({"url": ""}, "url", "must not be empty"),
        ({"url": 5}, "url", "must be a string"),
        ({"url": "ftp://127.0.0.1/cb"}, "url", "must be an http(s) URL"),
        ({"url": "127.0.0.1:9/cb"}, "url", "must be an http(s) URL"),
        ({"url": "http://h/" + "a" * 4088}, "url", "longer than 4096 characters"),
        ({"url": "http://h/cb", "secret": ""}, "secret", "must not be empty"),
        ({"url": "http://h/cb", "secret": "s" * 257}, "secret", "longer than 256 characters"),
        ({"url": "http://h/cb", "app_id": ""}, "app_id", "must not be empty"),
        ({"url": "http://h/cb", "app_id": "1" * 33}, "app_id", "longer than 32 characters"),
        ({"url": "http://h/cb", "app_id": 12345}, "app_id", "must be a string"),
        ({"url": "http://h/cb", "format": "json"}, "format", "unknown field (known: app_id, secret, url)"),
    ],
)
def test_callback_fields_are_checked(zego: Zego, body: dict[str, Any], field: str, message: str) -> None:
    error = refused(zego, "POST", CALLBACK, body)
    assert error.status == 400
    assert error.body["error"] == {"code": "InvalidField", "message": message, "field": field}
    assert zego.emu.request("GET", CALLBACK) == {"callbacks": {}}


def test_callback_fields_at_their_longest_are_accepted(zego: Zego) -> None:
    url = "https://h/" + "a" * 4086
    assert len(url) == 4096
    answer = zego.emu.request("POST", CALLBACK, {"url": url, "secret": "s" * 256})
    assert answer == {"callbacks": {"*": {"url": url, "secret_set": True}}}


def test_callback_for_an_unknown_app_is_404(zego: Zego) -> None:
    error = refused(zego, "POST", CALLBACK, {"url": "http://h/cb", "app_id": "999"})
    assert error.status == 404
    assert error.body["error"] == {
        "code": "InvalidField",
        "message": "no ZEGO app '999' is configured",
        "field": "app_id",
    }
    assert zego.emu.request("GET", CALLBACK) == {"callbacks": {}}


def test_callbacks_per_app_and_for_all_then_forgotten(zego: Zego) -> None:
    answer = zego.emu.request("POST", CALLBACK, {"url": "http://h/app", "app_id": "12345"})
    assert answer == {"callbacks": {"12345": {"url": "http://h/app", "secret_set": False}}}
    answer = zego.emu.request("POST", CALLBACK, {"url": "http://h/all", "secret": "x"})
    expected = {
        "12345": {"url": "http://h/app", "secret_set": False},
        "*": {"url": "http://h/all", "secret_set": True},
    }
    assert answer == {"callbacks": expected}
    assert zego.emu.request("GET", CALLBACK) == {"callbacks": expected}
    assert zego.emu.request("DELETE", CALLBACK) == {"callbacks": {}}
    assert zego.emu.request("GET", CALLBACK) == {"callbacks": {}}


# ----- limits


@pytest.mark.parametrize(
    ("name", "low", "high", "message"),
    [
        ("max_fps", 1, 60, "must be between 1 and 60"),
        ("max_tasks", 1, 100_000, "must be between 1 and 100000"),
        ("rate_limit", 1, 1_000_000, "must be between 1 and 1e+06"),
    ],
)
def test_each_limit_is_accepted_at_both_ends_and_refused_one_beyond(
    zego: Zego, name: str, low: int, high: int, message: str
) -> None:
    defaults = {"max_fps": 20, "max_tasks": 100, "rate_limit": 100}
    for value in (low, high):
        assert zego.emu.request("POST", LIMITS, {name: value}) == {"limits": {**defaults, name: value}}
        assert zego.emu.request("GET", LIMITS) == {"limits": {**defaults, name: value}}
    for value in (low - 1, high + 1):
        error = refused(zego, "POST", LIMITS, {name: value})
        assert error.status == 400
        assert error.body["error"] == {
            "code": "InvalidField",
            "message": message,
            "field": name,
        }
    assert zego.emu.request("GET", LIMITS) == {"limits": {**defaults, name: high}}


def test_limits_update_only_the_fields_given(zego: Zego) -> None:
    zego.emu.request("POST", LIMITS, {"max_fps": 30, "rate_limit": 7})
    answer = zego.emu.request("POST", LIMITS, {"max_tasks": 2})
    assert answer == {"limits": {"max_fps": 30, "max_tasks": 2, "rate_limit": 7}}
    assert zego.emu.request("POST", LIMITS, {}) == answer
    assert zego.emu.request("POST", LIMITS, {"max_fps": None}) == answer


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"max_fps": "30"}, "max_fps", "must be an integer"),
        ({"max_tasks": True}, "max_tasks", "must be an integer"),
        ({"rate_limit": 1.5}, "rate_limit", "must be an integer"),
        ({"fps": 3}, "fps", "unknown field (known: max_fps, max_tasks, rate_limit)"),
    ],
)
def test_limit_types(zego: Zego, body: dict[str, Any], field: str, message: str) -> None:
    error = refused(zego, "POST", LIMITS, body)
    assert error.status == 400
    assert error.body["error"] == {"code": "InvalidField", "message": message, "field": field}


# ----- sound levels


@pytest.mark.parametrize(
    "query",
    [
        {"app_id": "12345", "task_id": "lv"},  # not running
        {"app_id": "12345"},
        {"task_id": "lv"},
        {"app_id": "54321", "task_id": "lv"},
        {"app_id": "12345x", "task_id": "lv"},
        {"app_id": "-12345", "task_id": "lv"},
    ],
)
def test_sound_levels_of_no_running_mix_is_404(zego: Zego, query: dict[str, str]) -> None:
    error = refused(zego, "GET", "/_emulator/zego/sound-levels", **query)
    assert error.status == 404
    assert error.body["error"] == {
        "code": "InvalidField",
        "message": "no running ZEGO mix with this app_id and task_id",
        "field": "task_id",
    }


TONE = "pattern:color?color=#ff0000&size=64x36&tone=440"


def _start_levels_mix(zego: Zego, quiet_id: int | None, **extra: Any) -> None:
    zego.emu.publish("tone", TONE)
    zego.emu.publish("quiet", "pattern:color?color=#0000ff&size=64x36")
    quiet: dict[str, Any] = {
        "StreamId": "quiet",
        "RectInfo": {"Left": 32, "Top": 0, "Right": 64, "Bottom": 36},
    }
    if quiet_id is not None:
        quiet["SoundLevelId"] = quiet_id
    body = {
        "TaskId": "lv",
        "UserId": "u",
        "MixInput": [
            {
                "StreamId": "tone",
                "SoundLevelId": 7,
                "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 36},
            },
            quiet,
        ],
        "MixOutput": [{"StreamId": "lvout", "Width": 64, "Height": 36, "Fps": 5}],
        **extra,
    }
    assert zego.start_mix(body)["Code"] == 0


def test_sound_levels_of_a_running_mix(zego: Zego) -> None:
    _start_levels_mix(zego, 8, SoundLevel=1)
    zego.wait_live("zego:12345:lv", "tone")
    zego.wait_frames("zego:12345:lv", 4)
    answer = zego.emu.request("GET", "/_emulator/zego/sound-levels", app_id="12345", task_id="lv")
    assert answer["task"] == "zego:12345:lv" and answer["sound_level"] is True
    levels = {entry["input"]: entry for entry in answer["levels"]}
    assert set(levels) == {"tone", "quiet"}
    assert levels["tone"]["sound_level_id"] == 7 and levels["quiet"]["sound_level_id"] == 8
    assert 1 < levels["tone"]["level"] <= 100 and levels["quiet"]["level"] == 0
    for query in ({"app_id": "54321", "task_id": "lv"}, {"app_id": "12345", "task_id": "other"}):
        assert refused(zego, "GET", "/_emulator/zego/sound-levels", **query).status == 404


def test_sound_level_off_is_reported(zego: Zego) -> None:
    _start_levels_mix(zego, None)
    zego.wait_frames("zego:12345:lv", 2)
    answer = zego.emu.request("GET", "/_emulator/zego/sound-levels", app_id="12345", task_id="lv")
    assert answer["sound_level"] is False and answer["task"] == "zego:12345:lv"
    ids = {entry["input"]: entry["sound_level_id"] for entry in answer["levels"]}
    assert ids == {"tone": 7, "quiet": None}


def test_sound_levels_when_the_media_engine_cannot_say(zego: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    """No pipeline (not started yet), or one whose read fails: the inputs' levels are empty, never a 500."""
    _start_levels_mix(zego, 8, SoundLevel=1)
    zego.wait_frames("zego:12345:lv", 2)
    task = zego.emu.ctx.tasks.get("zego:12345:lv")
    assert task is not None and task.pipeline is not None

    def broken() -> dict[str, float]:
        raise RuntimeError("the engine is gone")

    monkeypatch.setattr(task.pipeline, "sound_levels", broken)
    answer = zego.emu.request("GET", "/_emulator/zego/sound-levels", app_id="12345", task_id="lv")
    assert answer == {"task": "zego:12345:lv", "sound_level": True, "levels": []}
    monkeypatch.setattr(task, "pipeline", None)
    answer = zego.emu.request("GET", "/_emulator/zego/sound-levels", app_id="12345", task_id="lv")
    assert answer == {"task": "zego:12345:lv", "sound_level": True, "levels": []}


@pytest.mark.parametrize("task_id", ["XXXX", "None"])
def test_sound_levels_without_a_task_id_name_no_task(zego: Zego, task_id: str) -> None:
    """Whatever a running task is called, a query that leaves task_id (or app_id) out finds none."""
    zego.emu.publish("red", RED)
    body = {
        "TaskId": task_id,
        "UserId": "u",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18}}],
        "MixOutput": [{"StreamId": "o", "Width": 32, "Height": 18}],
    }
    assert zego.start_mix(body)["Code"] == 0
    answer = zego.emu.request("GET", "/_emulator/zego/sound-levels", app_id="12345", task_id=task_id)
    assert answer["task"] == f"zego:12345:{task_id}"
    for query in ({"app_id": "12345"}, {"task_id": task_id}, {"app_id": "", "task_id": task_id}):
        assert refused(zego, "GET", "/_emulator/zego/sound-levels", **query).status == 404
