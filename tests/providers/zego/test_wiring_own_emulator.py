"""The ZEGO adapter as it is put together when an emulator starts: every route it mounts (rtc-api, legacy,
control), the services it makes (tokens, locks, rate, options, mixing service, callback notifier) and
their subscriptions to streams and tasks, and what a reset forgets.

These tests start an emulator of their own (the shared one is built once per session), so that building the
adapter happens inside the test that checks it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator

import pytest

from emulator.client import ControlError
from emulator.kit.handle import EmulatorHandle
from emulator.testing import serving
from tests.providers.zego.helpers import APP_ID, RED, SECRET, Zego

DEAD_URL = "http://127.0.0.1:9/zego"  # nothing listens: deliveries are recorded, then wait for retries


@pytest.fixture
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zego]:
    for thread in serving({}, tmp_path_factory):
        yield Zego(EmulatorHandle(thread))


def legacy_body(task_id: str) -> dict[str, object]:
    return {
        "id_name": "anchor",
        "task_id": task_id,
        "MixInput": [{"stream_id": "red", "rect": {"top": 0, "left": 0, "bottom": 18, "right": 32}}],
        "MixOutput": [{"stream_id": f"{task_id}-out", "fps": 5, "width": 32, "height": 18}],
    }


def test_every_route_and_service_of_a_new_adapter(own: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    emu = own.emu
    # Control routes, each path and method.
    limits = {"max_fps": 20, "max_tasks": 100, "rate_limit": 100}
    assert emu.request("GET", "/_emulator/zego/limits") == {"limits": limits}
    assert emu.request("POST", "/_emulator/zego/limits", {"max_fps": 30}) == {
        "limits": {**limits, "max_fps": 30}
    }
    assert emu.request("GET", "/_emulator/zego/callback") == {"callbacks": {}}
    answer = emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL, "secret": "cb-secret"})
    assert answer == {"callbacks": {"*": {"url": DEAD_URL, "secret_set": True}}}
    assert emu.request("GET", "/_emulator/zego/callback") == answer
    with pytest.raises(ControlError) as error:
        emu.request("GET", "/_emulator/zego/sound-levels", app_id=APP_ID, task_id="t1")
    assert error.value.status == 404

    # The rtc-api and the mixing service; the notifier calls back.
    emu.publish("red", RED)
    body = {
        "TaskId": "t1",
        "UserId": "u",
        "SoundLevel": 1,
        "MixInput": [
            {
                "StreamId": "red",
                "SoundLevelId": 3,
                "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18},
            }
        ],
        "MixOutput": [{"StreamId": "o1", "Width": 32, "Height": 18, "Fps": 5}],
    }
    assert own.start_mix(body)["Code"] == 0
    assert own.call("GetMixTaskInfo", TaskId="t1")["Data"]["TaskInfo"] == {"TaskId": "t1", "MixDuration": 0}
    [delivery] = emu.ctx.callbacks.list(provider="zego")
    payload = delivery.payload
    assert (delivery.event, delivery.url, payload["task_id"]) == ("mix_start", DEAD_URL, "12345:t1")
    expected = hashlib.sha1("".join(sorted(["cb-secret", payload["timestamp"], payload["nonce"]])).encode())
    assert payload["signature"] == expected.hexdigest()
    own.wait_frames("zego:12345:t1")
    levels = emu.request("GET", "/_emulator/zego/sound-levels", app_id=APP_ID, task_id="t1")
    assert levels["task"] == "zego:12345:t1" and levels["sound_level"] is True
    assert [entry["sound_level_id"] for entry in levels["levels"]] == [3]
    assert own.call("StopMix", {"TaskId": "t1", "UserId": "u"})["Code"] == 0
    own.wait_state("zego:12345:t1", "stopped")
    assert [d.event for d in emu.ctx.callbacks.list(provider="zego")] == ["mix_start", "mix_stop"]
    assert emu.request("DELETE", "/_emulator/zego/callback") == {"callbacks": {}}

    # The legacy routes and the token store.
    token = own.token()
    assert own.legacy_post("/cgi/start-mix", legacy_body("lt"), token)["code"] == 0
    assert own.legacy_post("/cgi/stop-mix", {"task_id": "lt", "id_name": "anchor"}, token)["code"] == 0
    assert own.legacy_post("/cgi/stop-mix", {"task_id": "lt"}, "wrong")["code"] == 40001

    # Auto-mixes follow their room (the service's stream subscription) until stopped (its task one).
    emu.publish("a1", RED, room_id="room1")
    auto = {"TaskId": "am", "UserId": "u", "RoomId": "room1", "MixOutput": [{"StreamId": "amout"}]}
    assert own.call("StartAutoMix", auto)["Code"] == 0
    emu.publish("a2", RED, room_id="room1")
    task = emu.ctx.tasks.get("zego:12345:auto:am")
    assert task is not None and [layer.id for layer in task.job.layers] == ["a1", "a2"]
    assert own.call("StopAutoMix", {"TaskId": "am", "RoomId": "room1"})["Code"] == 0
    own.wait_state("zego:12345:auto:am", "stopped")
    emu.publish("a3", RED, room_id="room1")
    assert [layer.id for layer in task.job.layers] == ["a1", "a2"]

    # The rate limiter, on the emulator clock with the wall clock under it held still.
    wall = time.time()
    monkeypatch.setattr(emu.ctx.clock, "_wall", lambda: wall)
    emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 1})
    emu.advance_clock(1)
    assert own.call("GetMixTaskInfo", TaskId="x")["Code"] == 110209001
    assert own.call("GetMixTaskInfo", TaskId="x")["Code"] == 110200194


def test_reset_forgets_tokens_limits_callbacks_and_rates(zego: Zego) -> None:
    own, emu = zego, zego.emu
    token = own.token()
    emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 1, "max_fps": 5})
    emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    assert own.call("GetMixTaskInfo", TaskId="x")["Code"] == 110209001
    emu.reset()
    assert emu.request("GET", "/_emulator/zego/limits")["limits"] == {
        "max_fps": 20,
        "max_tasks": 100,
        "rate_limit": 100,
    }
    assert emu.request("GET", "/_emulator/zego/callback") == {"callbacks": {}}
    assert own.legacy_post("/cgi/stop-mix", {"task_id": "x"}, token)["code"] == 40001
    emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 1})
    assert own.call("GetMixTaskInfo", TaskId="x")["Code"] == 110209001  # the earlier request was forgotten
    assert own.legacy_get("/cgi/token", appid=APP_ID, secret=SECRET)["code"] == 0
