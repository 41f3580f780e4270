"""Composes one canvas frame from the layers' current source frames, in yuv420p (what H.264 encodes).

Per layer: crop (source pixels) -> fit (stretch / fit inside / fill) -> scale with swscale -> copy onto the
canvas planes, alpha-blending only where there is alpha (PNG logos, ``opacity``, ``corner_radius``, labels).
Everything that depends only on the layout (geometry, masks, scaled stills, rendered labels, the background)
is computed once and cached, so a steady video layout costs one swscale call and one plane copy per layer.

Sizes: the canvas is rounded *down* to even dimensions (H.264 4:2:0 needs them; 1281x721 -> 1280x720), see
:func:`even_size`, which the encoder applies to output sizes too. Layer rects may have any position and
size: at odd positions a layer's chroma starts on the 2x2 cell holding its top-left pixel (a one-pixel
colour fringe at most); crop origins are rounded down to even for the same reason. Layers partly or wholly
outside the canvas are clipped, and only the visible part is scaled.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import lru_cache

import av
import numpy as np
from av.video.reformatter import VideoReformatter
from PIL import Image, ImageDraw, ImageFont

from emulator.core.job import Canvas, FitMode, Layer, Rect, TextLabel
from emulator.media.errors import MediaError
from emulator.media.sources.frames import YUV, YUVA, format_has_alpha, plane_views, rgb_to_yuv
from emulator.media.sources.spec import parse_color

MAX_SIDE = 8192  # canvas sides beyond this are clamped: a typo must not allocate gigabytes
# One thread per scale: the encoder's and decoders' threads already use the cores, and swscale's own pool
# only added synchronisation (measured on the 2x2 720p grid: less CPU and wall time than "auto").
SCALER_THREADS = 1
INTERPOLATION = "BILINEAR"  # measured ~15 % cheaper than bicubic here; plenty for 2:1 grids and logos
MAX_LABEL_CHARS = 256
# Fonts with CJK glyphs tried before Pillow's bundled Latin font (labels are often Chinese).
CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

Planes = list[np.ndarray]


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


@dataclass(frozen=True)
class Placement:
    """Where and how one layer's source lands on the canvas (depends on layout + source size only)."""

    src_box: tuple[int, int, int, int] | None  # x0, y0, x1, y1 in source pixels; None = the whole frame
    size: tuple[int, int]  # scaled size of the visible part
    at: tuple[int, int]  # canvas position of the visible part (>= 0)
    mask: np.ndarray | None  # uint8 alpha (opacity x rounded corners) over the visible part; None = opaque
    bars: tuple[int, int, int, int] | None  # canvas rect (x, y, w, h) filled with bar_color first
    rect: tuple[int, int, int, int]  # the layer's destination rect, resolved (labels are placed in it)


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
    visible = _clip_rect(image, canvas_w, canvas_h)
    if visible is None:
        return Placement(None, (0, 0), (0, 0), None, bars, rect) if bars else None
    ix, iy, iw, ih = image
    vx, vy, vw, vh = visible
    # The source region behind the visible part (proportional), snapped to whole (even-origin) pixels.
    sx, sy = (box[2] - box[0]) / iw, (box[3] - box[1]) / ih
    bx0 = math.floor(box[0] + (vx - ix) * sx + 1e-6) & ~1
    by0 = math.floor(box[1] + (vy - iy) * sy + 1e-6) & ~1
    bx1 = min(src_w, max(bx0 + 1, math.ceil(box[0] + (vx + vw - ix) * sx - 1e-6)))
    by1 = min(src_h, max(by0 + 1, math.ceil(box[1] + (vy + vh - iy) * sy - 1e-6)))
    src_box = None if (bx0, by0, bx1, by1) == (0, 0, src_w, src_h) else (bx0, by0, bx1, by1)
    mask = _mask(iw, ih, layer.corner_radius, layer.opacity)
    if mask is not None:
        mask = mask[vy - iy : vy - iy + vh, vx - ix : vx - ix + vw]
    return Placement(src_box, (vw, vh), (vx, vy), mask, bars, rect)


def _clamp(value: int, lo: int, hi: int) -> int:
    return min(max(value, lo), hi)


Box = tuple[int, int, int, int]


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
        frame = frame.reformat(format=fmt)
    x0, y0, x1, y1 = box
    out = av.VideoFrame(x1 - x0, y1 - y0, fmt)
    for i, (src, dst) in enumerate(zip(plane_views(frame), plane_views(out), strict=True)):
        div = 2 if i in (1, 2) else 1
        dst[...] = src[y0 // div : y0 // div + dst.shape[0], x0 // div : x0 // div + dst.shape[1]]
    return out


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


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in CJK_FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=64)
def render_label(text: str, font_size: int, color: str, background: str | None) -> tuple[Planes, np.ndarray]:
    """A label drawn once with Pillow: its yuv planes and luma-sized alpha."""
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

    def want(self, frame: av.VideoFrame, placement: Placement) -> None:
        if frame is not self.frame or placement is not self.placement:
            # A source repeating its frame (lower fps, a still) keeps its scaled planes.
            self.frame, self.placement, self.stale = frame, placement, True


def _label_key(label: TextLabel) -> tuple[str, int, str, str | None]:
    return (label.text, label.font_size, label.color, label.background)


class Compositor:
    """Turns (layer, current frame) pairs into canvas frames. One per running layout; not thread-safe.

    ``compose`` returns a new yuv420p ``av.VideoFrame`` of :attr:`size` each call; callers may keep it."""

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

    def compose(
        self, layers: Sequence[tuple[Layer, av.VideoFrame | None]], background: av.VideoFrame | None = None
    ) -> av.VideoFrame:
        """Draw ``layers`` (frame None = nothing to show) by z, ties in list order, over the background
        colour and ``background`` (the canvas image's frame, stretched)."""
        out = av.VideoFrame(self.size[0], self.size[1], YUV)
        planes = plane_views(out)
        for dst, src in zip(planes, self._base_planes(background), strict=True):
            np.copyto(dst, src)
        used: dict[tuple, _Slot] = {}
        drawn: list[tuple[Layer, Placement, _Slot]] = []
        for index, (layer, frame) in sorted(enumerate(layers), key=lambda item: (item[1][0].z, item[0])):
            if frame is None or not layer.video:
                continue
            placement = self._placement(layer, frame)
            if placement is not None:
                used[(index, layer.id)] = slot = self._slots.get((index, layer.id)) or _Slot()
                slot.want(frame, placement)
                drawn.append((layer, placement, slot))
        self._slots = used  # only what this frame uses stays cached
        stale = [slot for slot in used.values() if slot.stale]
        if self._pool is not None and len(stale) > 1:
            list(self._pool.map(self._scale, stale))  # swscale releases the GIL: layers scale in parallel
        else:
            for slot in stale:
                self._scale(slot)
        for layer, placement, slot in drawn:
            if placement.bars is not None:
                fill(planes, placement.bars, color_yuv(layer.bar_color))
            if slot.planes is not None:
                scaled = slot.planes
                alpha = scaled[3] if len(scaled) == 4 else None
                if placement.mask is not None:
                    alpha = placement.mask if alpha is None else _multiply(alpha, placement.mask)
                put(planes, scaled, *placement.at, alpha)
            if layer.label is not None:
                text, text_alpha = render_label(*_label_key(layer.label))
                x, y = placement.rect[0] + layer.label.x, placement.rect[1] + layer.label.y
                put(planes, text, x, y, text_alpha)
        return out

    def _placement(self, layer: Layer, frame: av.VideoFrame) -> Placement | None:
        key = (
            layer.rect and (layer.rect.x, layer.rect.y, layer.rect.w, layer.rect.h),
            layer.crop and (layer.crop.x, layer.crop.y, layer.crop.w, layer.crop.h),
            layer.fit,
            layer.bar_color is not None,
            layer.opacity,
            layer.corner_radius,
            frame.width,
            frame.height,
        )
        if key not in self._placements:
            if len(self._placements) > 256:  # layouts churn through many sizes: start over
                self._placements.clear()
            self._placements[key] = place(layer, frame.width, frame.height, *self.size)
        return self._placements[key]

    def _scale(self, slot: _Slot) -> None:
        """Crop and scale the slot's wanted frame to its placement (the visible part of the layer)."""
        frame, placement = slot.frame, slot.placement
        assert frame is not None and placement is not None
        if placement.size[0] == 0:  # only bars show
            slot.planes = None
            return
        source = frame if placement.src_box is None else crop_frame(frame, placement.src_box)
        fmt = YUVA if format_has_alpha(source.format.name) else YUV
        width, height = placement.size
        if (source.width, source.height, source.format.name) != (width, height, fmt):
            source = slot.scaler.reformat(
                source, width, height, fmt, interpolation=self._interpolation, threads=SCALER_THREADS
            )
        slot.planes, slot.stale = plane_views(source), False

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


def _multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a.astype(np.uint16) * b + 127) // 255).astype(np.uint8)
