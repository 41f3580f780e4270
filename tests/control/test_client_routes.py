"""``ControlClient`` has a method for every control route, and the methods the README names work."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from emulator.client import ControlError, client_routes
from emulator.testing import EmulatorFixture
from tests.control.served_routes import served_control_routes
from tests.control.support import zego_mix


def test_every_served_route_has_a_client_method(tmp_path: Path) -> None:
    missing = sorted(served_control_routes(tmp_path) - client_routes())
    assert not missing, f"ControlClient (emulator/client.py) has no @route method for: {missing}"


def test_the_methods_the_old_client_lacked(mix_emulator: EmulatorFixture) -> None:
    before = mix_emulator.clock()
    assert mix_emulator.advance_clock(30)["offset"] == pytest.approx(before["offset"] + 30, abs=1)
    assert mix_emulator.clock()["offset"] >= 30
    mix_emulator.reset_clock()
    assert abs(mix_emulator.clock()["offset"]) < 1

    mix_emulator.publish("anchor", "pattern:color?color=#00ff00&size=64x36")
    assert mix_emulator.stream("anchor")["stream_id"] == "anchor"

    mix_emulator.map_url("https://cdn.example.org/a.mp4", "pattern:bars?size=64x36")
    assert mix_emulator.urls() == [
        {"url": "https://cdn.example.org/a.mp4", "source": "pattern:bars?size=64x36"}
    ]
    mix_emulator.unmap_url("https://cdn.example.org/a.mp4")
    assert mix_emulator.urls() == []

    fault = mix_emulator.add_fault("zego", "StartMix", code=1, times=1)
    assert mix_emulator.delete_fault(fault["id"]) == {"deleted": fault["id"]}
    assert mix_emulator.faults() == []
    with pytest.raises(ControlError) as missing:
        mix_emulator.delete_fault(fault["id"])
    assert missing.value.status == 404

    assert "<html" in mix_emulator.dashboard().lower()
    assert mix_emulator.zego_limits() == mix_emulator.set_zego_limits()
    assert mix_emulator.set_volcengine_rate_limit(True)["enabled"] is True
    assert mix_emulator.tencent_pictures() == []


def test_stop_task_force_stops_a_running_mix(mix_emulator: EmulatorFixture) -> None:
    mix_emulator.publish("a", "pattern:color?color=#ff0000&size=64x36")
    body = zego_mix("t1", {"a": (0, 0, 64, 36)}, (64, 36))
    assert mix_emulator.zego.call("StartMix", body)["Code"] == 0
    task_id = mix_emulator.zego.task_id("t1")
    task = mix_emulator.wait_for(task_id, frames=1)
    Image.open(io.BytesIO(mix_emulator.snapshot(task["id"]))).verify()
    assert mix_emulator.stop_task(task_id)["id"] == task_id
    assert mix_emulator.wait_for(task_id, state="stopped")["state"] == "stopped"
