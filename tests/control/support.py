"""Helpers shared by the control-API tests: a ZEGO StartMix body from rects, and stopping a child process."""

from __future__ import annotations

import subprocess
from typing import Any

Box = tuple[int, int, int, int]  # Left, Top, Right, Bottom


def zego_mix(
    task_id: str, inputs: dict[str, Box], size: tuple[int, int], fps: int = 10, **per_input: dict[str, Any]
) -> dict[str, Any]:
    """A StartMix body: each stream id in its rect (and ``per_input[stream id]`` fields), one output."""
    mix_input = []
    for stream_id, (left, top, right, bottom) in inputs.items():
        rect = {"Left": left, "Top": top, "Right": right, "Bottom": bottom}
        mix_input.append({"StreamId": stream_id, "RectInfo": rect, **per_input.get(stream_id, {})})
    output = {
        "StreamId": f"{task_id}_out",
        "Width": size[0],
        "Height": size[1],
        "Fps": fps,
        "VideoBitrate": 300000,
    }
    return {"TaskId": task_id, "UserId": "u1", "MixInput": mix_input, "MixOutput": [output]}


def stop_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    """Terminate a child process and wait for it; kill it if it does not end in time."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
