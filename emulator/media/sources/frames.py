"""Helpers on raw video frames shared by the synthetic sources and the compositor.

The engine composes in yuv420p (what H.264 encodes), so these give numpy views straight onto a frame's
planes (no copies) and convert colours with swscale itself, so a solid colour and a scaled picture of the
same colour end up with identical YUV values.
"""

from __future__ import annotations

from functools import lru_cache

import av
import numpy as np

YUV = "yuv420p"
YUVA = "yuva420p"


def plane_views(frame: av.VideoFrame) -> list[np.ndarray]:
    """Writable (height, width) uint8 views of each plane, padding (line_size) cut off."""
    return [
        np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]
        for plane in frame.planes
    ]


@lru_cache(maxsize=256)
def rgb_to_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """The (Y, U, V) swscale produces for an RGB colour (BT.601, limited range, like every other path)."""
    pixel = np.empty((2, 2, 3), np.uint8)
    pixel[...] = rgb
    y, u, v = plane_views(av.VideoFrame.from_ndarray(pixel, format="rgb24").reformat(format=YUV))
    return int(y[0, 0]), int(u[0, 0]), int(v[0, 0])


def solid_frame(width: int, height: int, rgb: tuple[int, int, int]) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, YUV)
    for view, value in zip(plane_views(frame), rgb_to_yuv(rgb), strict=True):
        view[...] = value
    return frame


@lru_cache(maxsize=64)
def format_has_alpha(name: str) -> bool:
    return any(component.is_alpha for component in av.VideoFormat(name).components)
