"""Composes one canvas frame from the layers' current source frames, in yuv420p (what H.264 encodes).

Per layer: crop (source pixels) -> fit (stretch / fit inside / fill) -> scale with swscale -> copy onto the
canvas planes, alpha-blending only where there is alpha (PNG logos, ``opacity``, ``corner_radius``, labels).
Everything that depends only on the layout (geometry, masks, scaled stills, rendered labels, the background)
is computed once and cached, so a steady video layout costs one swscale call and one plane copy per layer.

Sizes: the canvas is rounded *down* to even dimensions (H.264 4:2:0 needs them; 1281x721 -> 1280x720), see
:func:`even_size`, which the encoder applies to output sizes too. Layer rects may have any position and
size: at odd positions a layer's chroma starts on the 2x2 cell holding its top-left pixel (a one-pixel
colour fringe at most); crop origins are rounded down to even for the same reason. Layers partly or wholly
outside the canvas are clipped, and only the visible part is scaled (placement.py). A layer's frame may
come already scaled (:class:`~emulator.media.placement.Scaled`, from a file source's thread): used as is
while its placement still matches the layout.

Canvas frames are drawn into a small pool of frames, reused once nobody holds them any more: a fresh
1280x720 frame per tick costs more in page faults (the kernel zeroing new memory) than drawing it. A reused
frame last drawn with the same opaque layer rects over the same background only gets those rects redrawn.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from emulator.core.job import Canvas, Layer, Rect, TextLabel
from emulator.media.errors import MediaError
from emulator.media.placement import (
    INTERPOLATION,
    Placement,
    Prescaler,
    Scaled,
    geometry_key,
    place,
    scale_visible,
)
from emulator.media.sources.frames import YUV, YUVA, plane_views, rgb_to_yuv
from emulator.media.sources.spec import parse_color

MAX_SIDE = 8192  # canvas sides beyond this are clamped: a typo must not allocate gigabytes
POOL_FRAMES = 8  # canvas frames kept for reuse: the encoder's queue, the one encoding, the latest shown
MAX_LABEL_CHARS = 256
# Fonts with CJK glyphs tried before Pillow's bundled Latin font (labels are often Chinese).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

Planes = list[np.ndarray]

if TYPE_CHECKING:
    from PIL import ImageFont


def even_size(width: int, height: int) -> tuple[int, int]:
    """The frame size actually rendered: each side rounded down to even, within 2..MAX_SIDE."""
    return (min(max(2, int(width) // 2 * 2), MAX_SIDE), min(max(2, int(height) // 2 * 2), MAX_SIDE))


def rgba_of(text: str | None, default: str) -> tuple[int, int, int, int]:
    """A colour string as (r, g, b, a); an unreadable one falls back to ``default`` (never raises: a bad
    colour in a layout must not stop the render)."""
    try:
        return parse_color(text or default)
    except MediaError:
        return parse_color(default)


def color_yuv(text: str | None, default: str = "#000000") -> tuple[int, int, int]:
    r, g, b, _ = rgba_of(text, default)
    return rgb_to_yuv((r, g, b))


def blend(dst: np.ndarray, src: np.ndarray, alpha: np.ndarray) -> None:
    """dst = src over dst with 8-bit alpha, in place, exact integer rounding (x / 255)."""
    a = alpha.astype(np.uint16)
    acc = src.astype(np.uint16) * a
    acc += dst.astype(np.uint16) * (255 - a)
    acc += 128
    acc += acc >> 8
    dst[...] = acc >> 8


def put(out: Planes, src: Planes, x: int, y: int, alpha: np.ndarray | None = None) -> None:
    """Copy (or blend, with a luma-sized alpha) yuv planes onto the canvas at (x, y), clipped."""
    for i, (dst, plane) in enumerate(zip(out, src[:3], strict=True)):
        div = 1 if i == 0 else 2
        ox, oy = x // div, y // div
        dx0, dy0 = max(ox, 0), max(oy, 0)
        dx1, dy1 = min(ox + plane.shape[1], dst.shape[1]), min(oy + plane.shape[0], dst.shape[0])
        if dx1 <= dx0 or dy1 <= dy0:
            continue
        region = (slice(dy0 - oy, dy1 - oy), slice(dx0 - ox, dx1 - ox))
        target = dst[dy0:dy1, dx0:dx1]
        if alpha is None:
            target[...] = plane[region]
        else:
            a = alpha if div == 1 else alpha[::2, ::2]
            blend(target, plane[region], a[region])


def fill(out: Planes, rect: tuple[int, int, int, int], yuv: tuple[int, int, int]) -> None:
    x, y, w, h = rect
    for i, (plane, value) in enumerate(zip(out, yuv, strict=True)):
        div = 1 if i == 0 else 2
        plane[y // div : -(-(y + h) // div), x // div : -(-(x + w) // div)] = value


def draw_bars(
    out: Planes, rect: tuple[int, int, int, int], yuv: tuple[int, int, int], alpha: np.ndarray | None
) -> None:
    """A layer's bars: a solid rect, blended through ``alpha`` (luma-sized) when its corners are rounded
    or it is translucent."""
    if alpha is None:
        fill(out, rect, yuv)
        return
    x, y, w, h = rect
    put(out, _solid_planes(w, h, yuv), x, y, alpha)


@lru_cache(maxsize=16)
def _solid_planes(width: int, height: int, yuv: tuple[int, int, int]) -> Planes:
    """Read-only planes of one colour, made once per layout rather than every frame."""
    chroma = (-(-height // 2), -(-width // 2))  # the shape put() subsamples a luma-sized alpha to
    planes = [np.full((height, width) if i == 0 else chroma, v, np.uint8) for i, v in enumerate(yuv)]
    for plane in planes:
        plane.flags.writeable = False
    return planes


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont  # Pillow is imported when a label is drawn: faster start-up

    for path in CJK_FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=64)
def render_label(text: str, font_size: int, color: str, background: str | None) -> tuple[Planes, np.ndarray]:
    """A label drawn once with Pillow: its yuv planes and luma-sized alpha."""
    from PIL import Image, ImageDraw

    font = _font(max(4, min(font_size, 512)))
    text = text[:MAX_LABEL_CHARS]
    _, _, right, bottom = font.getbbox(text or " ")
    pad = max(2, font_size // 6) if background else 0
    width, height = max(2, int(right) + 2 * pad), max(2, int(bottom) + 2 * pad)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if background:
        draw.rectangle((0, 0, width, height), fill=rgba_of(background, "#00000080"))
    draw.text((pad, pad), text, font=font, fill=rgba_of(color, "#ffffff"))
    planes = plane_views(av.VideoFrame.from_ndarray(np.asarray(image), format="rgba").reformat(format=YUVA))
    return planes[:3], planes[3]


@dataclass
class _Slot:
    """One layer's scaler (swscale keeps its filter set-up between calls: ~4x cheaper than a fresh one) and
    its latest result."""

    scaler: VideoReformatter = field(default_factory=VideoReformatter)
    frame: av.VideoFrame | None = None
    placement: Placement | None = None
    planes: Planes | None = None
    stale: bool = True  # planes do not show (frame, placement) yet

    def want(self, frame: av.VideoFrame, placement: Placement, scaled: Scaled | None = None) -> None:
        if frame is not self.frame or placement is not self.placement:
            # A source repeating its frame (lower fps, a still) keeps its scaled planes.
            self.frame, self.placement, self.stale = frame, placement, True
            if scaled is not None and scaled.fits(placement):  # scaled ahead for this very layout
                self.planes, self.stale = plane_views(scaled.frame), False


def _label_key(label: TextLabel) -> tuple[str, int, str, str | None]:
    return (label.text, label.font_size, label.color, label.background)


class Compositor:
    """Turns (layer, current frame) pairs into canvas frames. One per running layout; not thread-safe.

    ``compose`` returns a yuv420p ``av.VideoFrame`` of :attr:`size`, not the same as any other one still
    referenced: callers may keep it (it is reused only once every reference to it is gone)."""

    def __init__(
        self, canvas: Canvas, *, pool: Executor | None = None, interpolation: str = INTERPOLATION
    ) -> None:
        """``pool``: threads to scale several layers at once (owned by the caller, who shuts it down)."""
        self.canvas = canvas
        self._pool = pool
        self.size = even_size(canvas.width, canvas.height)
        self._interpolation = interpolation
        self._background_yuv = color_yuv(canvas.color)
        self._base: tuple[av.VideoFrame | None, Planes] | None = None
        self._placements: dict[tuple, Placement | None] = {}
        self._slots: dict[tuple, _Slot] = {}  # per layer (and the background): scaler + last result
        self._frames: list[av.VideoFrame] = []  # canvas frames for reuse, at most POOL_FRAMES
        self._covers: list[tuple | None] = []  # per pooled frame: the base and the opaque rects it holds

    def prescaler(self, layer: Layer) -> Prescaler:
        """Scaling for ``layer`` as this compositor would do it, to run on a source's own thread."""
        return Prescaler(layer, self.size, self._interpolation)

    def geometry_key(self, layer: Layer) -> tuple:
        """What :meth:`prescaler` depends on: equal keys, interchangeable prescalers."""
        return geometry_key(layer) + self.size

    def compose(
        self,
        layers: Sequence[tuple[Layer, av.VideoFrame | Scaled | None]],
        background: av.VideoFrame | None = None,
    ) -> av.VideoFrame:
        """Draw ``layers`` (frame None = nothing to show) by z, ties in list order, over the background
        colour and ``background`` (the canvas image's frame, stretched)."""
        used: dict[tuple, _Slot] = {}
        drawn: list[tuple[Layer, Placement, _Slot]] = []
        for index, (layer, item) in sorted(enumerate(layers), key=lambda item: (item[1][0].z, item[0])):
            if item is None or not layer.video:
                continue
            scaled = item if isinstance(item, Scaled) else None
            frame = item.source if isinstance(item, Scaled) else item
            placement = self._placement(layer, frame)
            if placement is not None:
                used[(index, layer.id)] = slot = self._slots.get((index, layer.id)) or _Slot()
                slot.want(frame, placement, scaled)
                drawn.append((layer, placement, slot))
        self._slots = used  # only what this frame uses stays cached
        stale = [slot for slot in used.values() if slot.stale]
        if self._pool is not None and len(stale) > 1:
            list(self._pool.map(self._scale, stale))  # swscale releases the GIL: layers scale in parallel
        else:
            for slot in stale:
                self._scale(slot)
        base = self._base_planes(background)
        out, pooled = self._canvas_frame()
        planes = plane_views(out)
        cover = _opaque_cover(base, drawn)
        if cover is None or pooled is None or not _same_cover(self._covers[pooled], cover):
            for dst, src in zip(planes, base, strict=True):
                np.copyto(dst, src)
        if pooled is not None:
            # Drawn again with the same opaque rects over the same base, the rest of it is still the base.
            self._covers[pooled] = cover
        for layer, placement, slot in drawn:
            if placement.bars is not None:
                draw_bars(planes, placement.bars, color_yuv(layer.bar_color), placement.bars_mask)
            if slot.planes is not None:
                scaled = slot.planes
                alpha = scaled[3] if len(scaled) == 4 and layer.source_alpha else None
                if placement.mask is not None:
                    alpha = placement.mask if alpha is None else _multiply(alpha, placement.mask)
                put(planes, scaled, *placement.at, alpha)
            if layer.label is not None:
                text, text_alpha = render_label(*_label_key(layer.label))
                x, y = placement.rect[0] + layer.label.x, placement.rect[1] + layer.label.y
                put(planes, text, x, y, text_alpha)
        return out

    def _canvas_frame(self) -> tuple[av.VideoFrame, int | None]:
        """A frame to draw the canvas into and its index in the pool: a pooled one nobody holds any more,
        else a new one (pooled while the pool has room)."""
        for index in range(len(self._frames)):
            # Two references (the pool's and getrefcount's argument): no caller kept it.
            if sys.getrefcount(self._frames[index]) == 2:
                frame = self._frames[index]
                frame.make_writable()  # copies should FFmpeg (an encoder) still hold its buffer
                return frame, index
        frame = av.VideoFrame(self.size[0], self.size[1], YUV)
        if len(self._frames) >= POOL_FRAMES:
            return frame, None
        self._frames.append(frame)
        self._covers.append(None)
        return frame, len(self._frames) - 1

    def _placement(self, layer: Layer, frame: av.VideoFrame) -> Placement | None:
        key = (*geometry_key(layer), frame.width, frame.height)
        if key not in self._placements:
            if len(self._placements) > 256:  # layouts churn through many sizes: start over
                self._placements.clear()
            self._placements[key] = place(layer, frame.width, frame.height, *self.size)
        return self._placements[key]

    def _scale(self, slot: _Slot) -> None:
        """Crop and scale the slot's wanted frame to its placement (the visible part of the layer)."""
        assert slot.frame is not None and slot.placement is not None
        scaled = scale_visible(slot.frame, slot.placement, slot.scaler, self._interpolation)
        slot.planes, slot.stale = (None if scaled is None else plane_views(scaled)), False

    def _base_planes(self, background: av.VideoFrame | None) -> Planes:
        if self._base is not None and self._base[0] is background:
            return self._base[1]
        width, height = self.size
        base = av.VideoFrame(width, height, YUV)
        planes = plane_views(base)
        fill(planes, (0, 0, width, height), self._background_yuv)
        if background is not None:
            stretched = Layer(id="", source="", rect=Rect(0, 0, width, height))
            placement = place(stretched, background.width, background.height, width, height)
            if placement is not None:
                slot = _Slot()
                slot.want(background, placement)
                self._scale(slot)
                assert slot.planes is not None
                put(planes, slot.planes, 0, 0, slot.planes[3] if len(slot.planes) == 4 else None)
        self._base = (background, planes)
        return planes


def _opaque_cover(base: Planes, drawn: list[tuple[Layer, Placement, _Slot]]) -> tuple | None:
    """(base, rects) when every layer drawn is an opaque picture (no alpha, mask, bars or label)."""
    rects = []
    for layer, placement, slot in drawn:
        if slot.planes is None or len(slot.planes) == 4 or placement.mask is not None:
            return None
        if placement.bars is not None or layer.label is not None:
            return None
        rects.append((placement.at, placement.size))
    return base, rects


def _same_cover(held: tuple | None, cover: tuple) -> bool:
    return held is not None and held[0] is cover[0] and held[1] == cover[1]


def _multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a.astype(np.uint16) * b + 127) // 255).astype(np.uint8)
