"""GET /_emulator/tasks as the contract describes it, field by field, for a task a real provider request
started and stopped (expected URLs and values written out, not read back from the emulator's helpers)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

from emulator.testing import EmulatorFixture
from tests.providers.zego.helpers import RED, Zego

TASK = "zego:12345:view1"


def _get(emu: EmulatorFixture, path: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(emu.url + path, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _start(zego: Zego) -> float:
    zego.emu.publish("red", RED)
    before = zego.emu.ctx.clock.now()
    answer = zego.start_mix(
        {
            "TaskId": "view1",
            "UserId": "u1",
            "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 160, "Bottom": 90}}],
            "MixOutput": [{"StreamId": "viewout", "Width": 160, "Height": 90, "Fps": 10}],
        }
    )
    assert answer["Code"] == 0, answer
    return before


def _wait_frames(emu: EmulatorFixture) -> dict[str, Any]:
    for _ in range(500):
        view = _get(emu, f"/_emulator/tasks/{TASK}")[1]
        encoded = view["outputs"][0].get("frames", 0) if view["outputs"] else 0
        if view["frames"] > 0 and encoded > 0 and view["inputs"].get("red", {}).get("state") == "live":
            return view  # composed, encoded (on its own thread) and the input playing
        time.sleep(0.02)
    raise AssertionError(view)


def test_a_running_task_field_by_field(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    before = _start(zego)
    view = _wait_frames(mix_emulator)
    host = mix_emulator.url.removeprefix("http://")
    rtmp_port = mix_emulator.ctx.rtmp_port
    assert (view["id"], view["provider"], view["native_id"], view["state"]) == (
        TASK,
        "zego",
        "12345:view1",
        "running",
    )
    assert before <= view["created_at"] <= view["running_at"] <= mix_emulator.ctx.clock.now()
    assert view["updated_at"] is None or view["updated_at"] >= view["created_at"]
    assert (view["stopped_at"], view["stop_reason"], view["update_count"], view["last_error"]) == (
        None,
        None,
        0,
        None,
    )
    assert view["all_inputs_lost_since"] is None
    assert isinstance(view["frames"], int) and view["frames"] > 0 and view["media_time"] > 0
    assert set(view["inputs"]) == {"red"}
    [output] = view["outputs"]
    assert output["stream_id"] == "viewout"
    assert (output["width"], output["height"], output["fps"]) == (160, 90, 10.0)  # the pipeline's own view
    assert output["frames"] > 0 and output["live"] == "mix:viewout"
    assert output["play"]["flv"] == f"http://{host}/live/viewout.flv"
    assert output["play"]["hls"] == f"http://{host}/live/viewout/index.m3u8"
    assert output["play"]["rtmp"] == f"rtmp://127.0.0.1:{rtmp_port}/live/viewout"
    assert [layer["id"] for layer in view["job"]["layers"]] == ["red"]
    assert view["job"]["outputs"][0]["stream_id"] == "viewout"
    assert isinstance(view["meta"], dict)


def test_the_task_list_filters_by_provider_and_state(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    _start(zego)
    _wait_frames(mix_emulator)
    ids = lambda query: [t["id"] for t in _get(mix_emulator, "/_emulator/tasks" + query)[1]["tasks"]]  # noqa: E731
    assert ids("") == [TASK]
    assert ids("?provider=zego") == [TASK]
    assert ids("?provider=tencent") == []
    assert ids("?state=running") == [TASK]
    assert ids("?state=stopped") == []
    assert ids("?provider=zego&state=running") == [TASK]


def test_a_stopped_task_says_when_and_why(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    _start(zego)
    _wait_frames(mix_emulator)
    assert zego.call("StopMix", {"TaskId": "view1", "UserId": "u1"})["Code"] == 0
    for _ in range(200):
        view = _get(mix_emulator, f"/_emulator/tasks/{TASK}")[1]
        if view["state"] == "stopped":
            break
        time.sleep(0.02)
    assert view["state"] == "stopped"
    assert view["stopped_at"] is not None and view["stopped_at"] >= view["running_at"]
    assert view["stop_reason"]
    assert [t["id"] for t in _get(mix_emulator, "/_emulator/tasks?state=stopped")[1]["tasks"]] == [TASK]


def test_an_unknown_task_is_404_naming_it(mix_emulator: EmulatorFixture) -> None:
    status, body = _get(mix_emulator, "/_emulator/tasks/nope")
    assert status == 404
    assert body["error"] == {"code": "TaskNotFound", "message": "no task 'nope'", "field": "task_id"}
