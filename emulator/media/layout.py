"""What a mix draws, layer by layer: the layout introspection of ``GET /_emulator/tasks/{id}/layout``.

Each layer's drawn rect comes from :func:`~emulator.media.placement.place` on the canvas size
:func:`~emulator.media.compositor.even_size` gives, for the size of the source frame the layer shows now:
the very call the compositor makes for that frame, so the description cannot drift from the pixels.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from emulator.core.job import Layer, MixJob
from emulator.media.compositor import even_size
from emulator.media.placement import place

Rect = dict[str, int | None]


def describe_layout(
    job: MixJob, inputs: dict[str, dict[str, Any]], shown: dict[str, list[int] | None]
) -> dict[str, Any]:
    """``inputs``: the renderer's ``input_status()`` (layer id -> state, error, source size ...); ``shown``:
    its ``shown_sizes()`` (layer id -> size of the frame the layer draws, None = nothing)."""
    width, height = even_size(job.canvas.width, job.canvas.height)
    order = sorted(enumerate(job.layers), key=lambda item: (item[1].z, item[0]))  # the compositor's order
    layers = [
        _describe(layer, inputs.get(layer.id, {}), shown.get(layer.id), width, height) for _, layer in order
    ]
    return {"canvas": {"width": width, "height": height, "color": job.canvas.color}, "layers": layers}


def _describe(
    layer: Layer, info: dict[str, Any], shown: list[int] | None, width: int, height: int
) -> dict[str, Any]:
    size = info.get("width"), info.get("height")
    source_size = list(shown) if shown else ([size[0], size[1]] if None not in size else None)
    placement = place(layer, shown[0], shown[1], width, height) if shown and layer.video else None
    if placement is not None:
        x, y, w, h = placement.rect
        requested: Rect = {"x": x, "y": y, "w": w, "h": h}
    else:
        rect = layer.rect
        requested = (
            {"x": 0, "y": 0, "w": width, "h": height}
            if rect is None
            else {"x": rect.x, "y": rect.y, "w": rect.w, "h": rect.h}
        )
    drawn = None
    if placement is not None and placement.size[0] > 0:
        drawn = {"x": placement.at[0], "y": placement.at[1], "w": placement.size[0], "h": placement.size[1]}
    return {
        "id": layer.id,
        "source": layer.source,
        "resolved": info.get("resolved"),
        "z": layer.z,
        "state": _state(info.get("state"), shown),
        "error": info.get("error"),
        "since": info.get("since"),
        "source_size": source_size,
        "requested": requested,
        "drawn": drawn,
        "fit": layer.fit.value,
        "crop": None if layer.crop is None else asdict(layer.crop),
        "video": layer.video,
        "audio": layer.audio,
    }


def _state(state: str | None, shown: list[int] | None) -> str:
    """live, frozen (lost, still showing its last frame), lost, ended, error, or waiting (not opened yet)."""
    if state == "lost" and shown:
        return "frozen"
    return state or "waiting"
