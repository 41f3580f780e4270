"""ZEGO StartMix bodies for the kit's tests: inputs by stream id and (x, y, w, h), one output."""

from __future__ import annotations

from typing import Any


def start_mix(
    task_id: str, inputs: dict[str, tuple[int, int, int, int]], output: str, size: tuple[int, int]
) -> dict[str, Any]:
    """Inputs layer up in the order given (Layer 1 at the bottom)."""
    mix_input = [
        {
            "StreamId": stream,
            "RectInfo": {"Top": y, "Left": x, "Bottom": y + h, "Right": x + w},
            "Layer": layer,
        }
        for layer, (stream, (x, y, w, h)) in enumerate(inputs.items(), start=1)
    ]
    width, height = size
    return {
        "TaskId": task_id,
        "Sequence": 1,
        "UserId": "u1",
        "MixInput": mix_input,
        "MixOutput": [
            {"StreamId": output, "Width": width, "Height": height, "VideoBitrate": 300000, "Fps": 15}
        ],
    }
