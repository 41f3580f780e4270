"""The 15-minute rule (all inputs gone -> the mix ends) where the inputs go long after the start, one after
the other, or come back: it counts from the moment the last input went, on the emulator clock."""

from __future__ import annotations

import time
from typing import Any

from tests.providers.tencent.helpers import Tencent, load


def running(tencent: Tencent) -> bool:
    sessions = tencent.emu.request("GET", "/_emulator/tencent/sessions")["sessions"]
    return {s["session_id"]: s for s in sessions}["lewis_room"]["running"]


def wait_input_live(task: Any, layer_id: str, timeout: float = 10.0) -> None:
    """The pipeline has the input back (it reconnects on its own thread, in real time)."""
    deadline = time.monotonic() + timeout
    while task.input_states().get(layer_id, {}).get("state") != "live":
        assert time.monotonic() < deadline, task.input_states()
        time.sleep(0.02)


def start(tencent: Tencent) -> Any:
    tencent.publish("stream_lewis01", "#ff0000", "320x180", settle=False)
    tencent.publish("stream_lewis02", "#00ff00", "160x90")
    assert tencent.post(load("start")).code == 0
    return tencent.emu.ctx.tasks.get("tencent:lewis_room")


def test_inputs_lost_long_after_the_start_give_the_full_15_minutes(tencent: Tencent) -> None:
    task = start(tencent)
    tencent.emu.advance_clock(300)
    tencent.emu.unpublish("stream_lewis01")
    tencent.emu.unpublish("stream_lewis02")
    tencent.emu.advance_clock(899)  # 1199 s after the start, 899 s after the loss
    assert running(tencent)
    tencent.emu.advance_clock(1)
    assert not running(tencent)
    assert task.stop_reason == "idle_timeout"
    assert tencent.post(load("cancel")).code == -30300


def test_the_15_minutes_count_from_the_last_input_lost(tencent: Tencent) -> None:
    task = start(tencent)
    tencent.emu.advance_clock(100)
    tencent.emu.unpublish("stream_lewis02")
    tencent.emu.advance_clock(600)  # one input gone for 600 s: not idle
    assert running(tencent)
    tencent.emu.unpublish("stream_lewis01")
    tencent.emu.advance_clock(899)  # 1499 s after the first loss, 899 s after the second
    assert running(tencent)
    tencent.emu.advance_clock(1)
    assert not running(tencent) and task.stop_reason == "idle_timeout"


def test_an_input_back_before_the_15_minutes_starts_the_count_again(tencent: Tencent) -> None:
    task = start(tencent)
    tencent.emu.advance_clock(50)
    tencent.emu.unpublish("stream_lewis01")
    tencent.emu.unpublish("stream_lewis02")
    tencent.emu.advance_clock(600)
    tencent.publish("stream_lewis01", "#ff0000", "320x180", settle=False)
    wait_input_live(task, "stream_lewis01")
    tencent.emu.advance_clock(600)  # 1200 s after the loss, but an input came back
    assert running(tencent)
    tencent.emu.unpublish("stream_lewis01")
    tencent.emu.advance_clock(899)
    assert running(tencent)
    tencent.emu.advance_clock(1)
    assert not running(tencent) and task.stop_reason == "idle_timeout"
