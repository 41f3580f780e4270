"""Inputs that are not there yet when a task starts: a provider's pull URL whose anchor starts pushing after
the request keeps being retried and then joins the mix, and a picture still loading is not "down" however
far the emulator clock moves."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

from emulator.testing import EmulatorFixture
from tests.e2e.clients import RED, volc_one_source, volc_service, zego_call

pytestmark = pytest.mark.e2e

NOWHERE = "rtmp://127.0.0.1:1/live"  # a production pull URL's stand-in: refused at once until published
PICTURE_DELAY_S = 1.0


def input_state(emu: EmulatorFixture, task_id: str, layer_id: str) -> str | None:
    task = emu.ctx.tasks.get(task_id)
    return None if task is None else task.media_status().get("inputs", {}).get(layer_id, {}).get("state")


def wait_input(emu: EmulatorFixture, task_id: str, layer_id: str, state: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while input_state(emu, task_id, layer_id) != state:
        assert time.monotonic() < deadline, (task_id, layer_id, input_state(emu, task_id, layer_id))
        time.sleep(0.05)


def test_a_volcengine_live_url_joins_once_its_anchor_pushes(mix_emulator: EmulatorFixture) -> None:
    body = volc_one_source("late-cam", "live", f"{NOWHERE}/late_volc", source_id="cam")
    task_id = volc_service(mix_emulator).create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    task = f"volcengine:{task_id}"
    time.sleep(0.6)  # a few pull attempts fail first
    assert input_state(mix_emulator, task, "cam") != "live"
    mix_emulator.publish("late_volc", RED)
    wait_input(mix_emulator, task, "cam", "live")
    assert mix_emulator.ctx.tasks.get(task).state.active


def test_a_zego_stream_url_joins_once_its_anchor_pushes(mix_emulator: EmulatorFixture) -> None:
    mix = {
        "TaskId": "late",
        "UserId": "owner",
        "MixInput": [
            {
                "StreamUrl": f"{NOWHERE}/late_zego",
                "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36},
            }
        ],
        "MixOutput": [{"StreamId": "late_out", "Width": 64, "Height": 36, "Fps": 5}],
    }
    assert zego_call(mix_emulator, "StartMix", mix)["Code"] == 0
    task = mix_emulator.ctx.tasks.get("zego:12345:late")
    assert task is not None
    layer = task.job.layers[0].id
    time.sleep(0.6)
    assert input_state(mix_emulator, task.id, layer) != "live"
    mix_emulator.publish("late_zego", RED)
    wait_input(mix_emulator, task.id, layer, "live")
    assert zego_call(mix_emulator, "StopMix", {"TaskId": "late", "UserId": "owner"})["Code"] == 0


@pytest.fixture
def slow_picture_url() -> Iterator[str]:
    """A PNG that takes PICTURE_DELAY_S to arrive, as from a distant object store."""
    png = io.BytesIO()
    Image.new("RGB", (64, 36), (0, 0, 255)).save(png, format="PNG")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            time.sleep(PICTURE_DELAY_S)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png.getvalue())))
            self.end_headers()
            self.wfile.write(png.getvalue())

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/logo.png"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_a_picture_still_opening_does_not_end_the_task_when_the_clock_moves(
    mix_emulator: EmulatorFixture, slow_picture_url: str
) -> None:
    body = volc_one_source("late-pic", "pic", slow_picture_url, source_id="pic")
    task_id = volc_service(mix_emulator).create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    task = f"volcengine:{task_id}"
    mix_emulator.advance_clock(61)  # past the 1-minute all-sources-down end, while the picture loads
    assert input_state(mix_emulator, task, "pic") in (None, "waiting")
    assert mix_emulator.ctx.tasks.get(task).state.active
    wait_input(mix_emulator, task, "pic", "live")
    mix_emulator.advance_clock(61)
    assert mix_emulator.ctx.tasks.get(task).state.active
