"""The mix really runs: its composed frame, its recording and its live stream show each input where the
request put it (solid-colour inputs, exact places, H.264 colour tolerance)."""

from __future__ import annotations

import io
import time
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from tests.providers.tencent.helpers import Tencent, cancel_para, start_para, stream

RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)
TOLERANCE = 48  # H.264 / yuv420p colour error on flat areas
TASK = "tencent:pk"
# Background 320x180 red; a green window in pixels, a blue one in shares of the background, a white canvas.
LAYOUT = [
    stream("anchor", 1),
    stream("guest", 2, image_width=96, image_height=54, location_x=16, location_y=16),
    stream("guest2", 3, image_width=0.3, image_height=0.3, location_x=0.625, location_y=0.6),
    stream(
        "box",
        4,
        input_type=3,
        color="0xFFFFFF",
        image_width=40,
        image_height=40,
        location_x=140,
        location_y=120,
    ),
]
# Centres of each placed input, and its colour; the red background around them.
EXPECTED = {
    (64, 43): GREEN,  # 16 + 96/2, 16 + 54/2
    (248, 135): BLUE,  # 200 + 96/2, 108 + 54/2
    (160, 140): WHITE,  # 140 + 40/2, 120 + 40/2
    (300, 20): RED,
    (20, 170): RED,
}


def assert_layout(frame: np.ndarray) -> None:
    assert frame.shape[:2] == (180, 320)
    for (x, y), colour in EXPECTED.items():
        got = frame[y, x, :3].astype(int)
        assert np.abs(got - np.array(colour)).max() <= TOLERANCE, f"({x}, {y}): {got.tolist()} != {colour}"


def start_mix(tencent: Tencent) -> None:
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x90", settle=False)
    tencent.publish("guest2", "#0000ff", "160x90")
    assert tencent.call(start_para("pk", "anchor", LAYOUT)).code == 0
    tencent.wait_live(TASK)


def snapshot(tencent: Tencent) -> np.ndarray:
    deadline = time.monotonic() + 10
    while True:
        try:
            return np.asarray(Image.open(io.BytesIO(tencent.emu.snapshot(TASK))).convert("RGB"))
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def wait_for(tencent: Tencent, condition: Any, timeout: float = 15.0) -> dict[str, Any]:
    """Poll the task's control-API view until ``condition(view)`` holds; returns the view."""
    deadline = time.monotonic() + timeout
    while not condition(view := tencent.emu.task(TASK)):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out: {view}")
        time.sleep(0.1)
    return view


def decoded_frames(url_or_path: str, count: int, **options: Any) -> list[np.ndarray]:
    frames = []
    with av.open(url_or_path, **options) as container:
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= count:
                break
    return frames


@pytest.mark.slow
def test_composed_frame_and_recording_show_the_layout(tencent: Tencent) -> None:
    start_mix(tencent)
    assert_layout(snapshot(tencent))
    time.sleep(1.0)  # about 25 frames into the recording
    tencent.emu.advance_clock(5)
    assert tencent.call(cancel_para("pk", "anchor")).code == 0
    task = wait_for(tencent, lambda view: view["state"] == "stopped")  # the recording is finalised
    recording = task["outputs"][0]["recording"]
    frames = decoded_frames(recording, 10)
    assert len(frames) == 10
    assert_layout(frames[-1])


@pytest.mark.slow
def test_output_type_0_replaces_the_anchor_for_players(tencent: Tencent) -> None:
    start_mix(tencent)
    play = tencent.emu.task(TASK)["outputs"][0]["play"]["flv"]
    assert play.endswith("/live/anchor.flv")
    frames = decoded_frames(play, 5, timeout=10)
    assert_layout(frames[-1])  # what players of "anchor" see is the mix, not the anchor's red push


@pytest.mark.slow
def test_a_dropped_window_freezes_on_its_last_frame(tencent: Tencent) -> None:
    start_mix(tencent)
    tencent.emu.unpublish("guest")
    wait_for(tencent, lambda view: view["inputs"]["guest"]["state"] != "live")
    assert_layout(snapshot(tencent))  # still green where the guest was, not the red background
