"""Where a layer's source lands on the canvas, and the cropping and scaling that gets it there.

:func:`place` resolves a layer's crop, rect and fit for a source of a given size into a :class:`Placement`
(depends on the layout and the source size only, so it is computed once per layout); :func:`scale_visible`
then crops and scales a frame to it. The compositor does that on its own thread; a :class:`Prescaler` does
the same on a file source's decoding thread, ahead of time, and hands the compositor :class:`Scaled`
frames it can use as they are while the layout still matches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from emulator.core.job import FitMode, Layer, Rect
from emulator.media.sources.frames import YUV, YUVA, format_has_alpha, plane_views

# One thread per scale: the encoder's and decoders' threads already use the cores, and swscale's own pool
# only added synchronisation (measured on the 2x2 720p grid: less CPU and wall time than "auto").
SCALER_THREADS = 1
INTERPOLATION = "BILINEAR"  # measured ~15 % cheaper than bicubic here; plenty for 2:1 grids and logos

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Placement:
    """Where and how one layer's source lands on the canvas (depends on layout + source size only)."""

    src_box: tuple[int, int, int, int] | None  # x0, y0, x1, y1 in source pixels; None = the whole frame
    size: tuple[int, int]  # scaled size of the visible part
    at: tuple[int, int]  # canvas position of the visible part (>= 0)
    mask: np.ndarray | None  # uint8 alpha (opacity x rounded corners) over the visible part; None = opaque
    bars: tuple[int, int, int, int] | None  # canvas rect (x, y, w, h) filled with bar_color first
    rect: tuple[int, int, int, int]  # the layer's destination rect, resolved (labels are placed in it)
    bars_mask: np.ndarray | None = None  # alpha over ``bars`` (the rect's rounded corners); None = opaque


def place(layer: Layer, src_w: int, src_h: int, canvas_w: int, canvas_h: int) -> Placement | None:
    """Resolve crop, rect and fit for a source of this size; None when nothing would be visible."""
    x0, y0, x1, y1 = 0, 0, src_w, src_h
    if layer.crop is not None:
        c = layer.crop
        x0, y0 = _clamp(c.x, 0, src_w) & ~1, _clamp(c.y, 0, src_h) & ~1
        x1 = src_w if c.w is None else _clamp(c.x + c.w, 0, src_w)
        y1 = src_h if c.h is None else _clamp(c.y + c.h, 0, src_h)
        if x1 <= x0 or y1 <= y0:
            return None  # the crop misses the source
    cw, ch = x1 - x0, y1 - y0
    r = layer.rect or Rect(0, 0, canvas_w, canvas_h)
    w, h = r.w, r.h
    if w is None and h is None:
        w, h = cw, ch
    elif w is None:
        w = max(1, round(h * cw / ch))  # type: ignore[operator]
    elif h is None:
        h = max(1, round(w * ch / cw))
    if w <= 0 or h <= 0:
        return None
    rect = (r.x, r.y, w, h)
    box = (float(x0), float(y0), float(x1), float(y1))
    image = rect
    bars = None
    if layer.fit is FitMode.FIT:
        scale = min(w / cw, h / ch)
        iw, ih = max(1, round(cw * scale)), max(1, round(ch * scale))
        image = (r.x + (w - iw) // 2, r.y + (h - ih) // 2, iw, ih)
        if layer.bar_color is not None:
            bars = _clip_rect(rect, canvas_w, canvas_h)
    elif layer.fit is FitMode.FILL:
        scale = max(w / cw, h / ch)
        dx, dy = (cw - w / scale) / 2, (ch - h / scale) / 2  # centred overflow, in source pixels
        box = (x0 + dx, y0 + dy, x1 - dx, y1 - dy)
    # With bars the layer is the whole rect: its rounded corners and opacity apply to the bars and the
    # picture alike; without, to the picture.
    frame_mask = _mask(w, h, layer.corner_radius, layer.opacity) if bars else None
    bars_mask = None if bars is None or frame_mask is None else _cut(frame_mask, rect, bars)
    visible = _clip_rect(image, canvas_w, canvas_h)
    if visible is None:
        return Placement(None, (0, 0), (0, 0), None, bars, rect, bars_mask) if bars else None
    ix, iy, iw, ih = image
    vx, vy, vw, vh = visible
    # The source region behind the visible part (proportional), snapped to whole (even-origin) pixels.
    sx, sy = (box[2] - box[0]) / iw, (box[3] - box[1]) / ih
    bx0 = math.floor(box[0] + (vx - ix) * sx + 1e-6) & ~1
    by0 = math.floor(box[1] + (vy - iy) * sy + 1e-6) & ~1
    bx1 = min(src_w, max(bx0 + 1, math.ceil(box[0] + (vx + vw - ix) * sx - 1e-6)))
    by1 = min(src_h, max(by0 + 1, math.ceil(box[1] + (vy + vh - iy) * sy - 1e-6)))
    src_box = None if (bx0, by0, bx1, by1) == (0, 0, src_w, src_h) else (bx0, by0, bx1, by1)
    if bars:
        mask = None if frame_mask is None else _cut(frame_mask, rect, visible)
    else:
        mask = _mask(iw, ih, layer.corner_radius, layer.opacity)
        mask = None if mask is None else _cut(mask, image, visible)
    return Placement(src_box, (vw, vh), (vx, vy), mask, bars, rect, bars_mask)


def _cut(mask: np.ndarray, whole: Box, part: Box) -> np.ndarray:
    """The piece of ``mask`` (covering the canvas rect ``whole``) under the canvas rect ``part``."""
    x, y = part[0] - whole[0], part[1] - whole[1]
    return mask[y : y + part[3], x : x + part[2]]


def _clamp(value: int, lo: int, hi: int) -> int:
    return min(max(value, lo), hi)


def _clip_rect(rect: Box, canvas_w: int, canvas_h: int) -> Box | None:
    x, y, w, h = rect
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, canvas_w), min(y + h, canvas_h)
    return (x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None


@lru_cache(maxsize=64)
def _mask(width: int, height: int, radius: int, opacity: float) -> np.ndarray | None:
    """Alpha for rounded corners (anti-aliased) times opacity; None when fully opaque."""
    opacity = min(max(opacity, 0.0), 1.0)
    radius = min(max(radius, 0), width // 2, height // 2)
    if radius == 0 and opacity >= 1.0:
        return None
    alpha = np.full((height, width), 255.0 * opacity, np.float32)
    if radius:
        ramp = np.arange(radius, dtype=np.float32) + 0.5
        dist = np.hypot(*np.meshgrid(radius - ramp, radius - ramp))  # from the corner circle's centre
        corner = np.clip(radius - dist + 0.5, 0.0, 1.0) * 255.0 * opacity
        alpha[:radius, :radius] = corner
        alpha[:radius, width - radius :] = corner[:, ::-1]
        alpha[height - radius :, :radius] = corner[::-1, :]
        alpha[height - radius :, width - radius :] = corner[::-1, ::-1]
    return np.rint(alpha).astype(np.uint8)


def crop_frame(frame: av.VideoFrame, box: tuple[int, int, int, int]) -> av.VideoFrame:
    """A new yuv420p/yuva420p frame holding ``box`` (even origin) of ``frame``."""
    fmt = YUVA if format_has_alpha(frame.format.name) else YUV
    if frame.format.name != fmt:
        frame = frame.reformat(format=fmt, threads=SCALER_THREADS)
    x0, y0, x1, y1 = box
    out = av.VideoFrame(x1 - x0, y1 - y0, fmt)
    for i, (src, dst) in enumerate(zip(plane_views(frame), plane_views(out), strict=True)):
        div = 2 if i in (1, 2) else 1
        dst[...] = src[y0 // div : y0 // div + dst.shape[0], x0 // div : x0 // div + dst.shape[1]]
    return out


def scale_visible(
    frame: av.VideoFrame, placement: Placement, scaler: VideoReformatter, interpolation: str
) -> av.VideoFrame | None:
    """``frame`` cropped and scaled to the visible part of its placement (yuv420p, yuva420p with alpha);
    None when only bars show. ``scaler`` keeps swscale's set-up between calls (~4x cheaper than a new one)."""
    if placement.size[0] == 0:
        return None
    source = frame if placement.src_box is None else crop_frame(frame, placement.src_box)
    fmt = YUVA if format_has_alpha(source.format.name) else YUV
    width, height = placement.size
    if (source.width, source.height, source.format.name) == (width, height, fmt):
        return source
    return scaler.reformat(source, width, height, fmt, interpolation=interpolation, threads=SCALER_THREADS)


@dataclass(frozen=True)
class Scaled:
    """A decoded frame with its visible part already cropped and scaled for a layer (by a Prescaler)."""

    source: av.VideoFrame  # as decoded: its size decides the placement
    src_box: Box | None  # the placement it was scaled for ...
    size: tuple[int, int]
    frame: av.VideoFrame  # ... and the result

    def fits(self, placement: Placement) -> bool:
        return (self.src_box, self.size) == (placement.src_box, placement.size)


class Prescaler:
    """Scales one layer's frames as the compositor would, on another thread (a file source's worker).

    Callable with a decoded frame; returns :class:`Scaled` or None (nothing visible). One per source: it
    keeps its own swscale context, so it must not be shared between threads."""

    def __init__(self, layer: Layer, canvas_size: tuple[int, int], interpolation: str) -> None:
        self.key = geometry_key(layer) + canvas_size  # see Compositor.geometry_key
        self._layer = layer
        self._canvas = canvas_size
        self._interpolation = interpolation
        self._scaler = VideoReformatter()
        self._placements: dict[tuple[int, int], Placement | None] = {}

    def __call__(self, frame: av.VideoFrame) -> Scaled | None:
        size = (frame.width, frame.height)
        if size not in self._placements:
            self._placements = {size: place(self._layer, *size, *self._canvas)}  # sizes rarely change
        placement = self._placements[size]
        if placement is None:
            return None
        scaled = scale_visible(frame, placement, self._scaler, self._interpolation)
        return None if scaled is None else Scaled(frame, placement.src_box, placement.size, scaled)


def geometry_key(layer: Layer) -> tuple:
    """What a layer's placement depends on, besides the source and canvas sizes."""
    return (
        layer.rect and (layer.rect.x, layer.rect.y, layer.rect.w, layer.rect.h),
        layer.crop and (layer.crop.x, layer.crop.y, layer.crop.w, layer.crop.h),
        layer.fit,
        layer.bar_color is not None,
        layer.opacity,
        layer.corner_radius,
    )
