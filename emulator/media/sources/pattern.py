"""Synthetic sources: ``pattern:bars`` (moving colour bars + an optional sine tone) and ``pattern:color``.

Parameters (query string): ``size=WxH``, ``fps=N``, ``tone=HZ`` (0 or absent = silence), ``color=#rrggbb``
(color only), ``duration=S`` (ends after S seconds; absent = endless). ``pattern:bars`` always carries an
audio track (silent without a tone); ``pattern:color`` only when a tone is given.
The generators here also draw the test clips (media/clips.py), so files and patterns look alike.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import av
import numpy as np

from emulator.media.errors import MediaError
from emulator.media.sources.base import AudioFormat, Now, Source, SourceState
from emulator.media.sources.frames import YUV, plane_views, solid_frame
from emulator.media.sources.spec import parse_color

TONE_AMPLITUDE = 0.5  # -6 dBFS peak, -9 dBFS RMS: loud enough to measure, far from clipping
MAX_SIDE = 4096
# Full-intensity bars, left to right: white, yellow, cyan, green, magenta, red, blue, black.
BAR_COLORS = np.array(
    [
        (255, 255, 255),
        (255, 255, 0),
        (0, 255, 255),
        (0, 255, 0),
        (255, 0, 255),
        (255, 0, 0),
        (0, 0, 255),
        (0, 0, 0),
    ],
    np.uint8,
)


@dataclass(frozen=True)
class Pattern:
    name: str  # "bars" | "color"
    width: int
    height: int
    fps: float
    tone: float | None  # Hz; None = no audio track, 0 = silence
    rgb: tuple[int, int, int]
    duration: float | None


def parse_pattern(name: str, params: dict[str, str]) -> Pattern:
    """Validate a pattern's parameters; MediaError names the bad one."""
    if name not in ("bars", "color"):
        raise MediaError(f"unknown pattern {name!r} (expected bars or color)")
    default_size = "640x360" if name == "bars" else "320x240"
    try:
        width, height = (int(v) for v in params.get("size", default_size).split("x"))
        fps = float(params.get("fps", "25"))
        tone = float(params["tone"]) if "tone" in params else (0.0 if name == "bars" else None)
        duration = float(params["duration"]) if "duration" in params else None
    except ValueError:
        raise MediaError(
            f"pattern:{name}: bad parameter in {params} (size=WxH; fps, tone, duration: numbers)"
        ) from None
    if not (1 <= width <= MAX_SIDE and 1 <= height <= MAX_SIDE):
        raise MediaError(f"pattern:{name}: size {width}x{height} out of range 1..{MAX_SIDE}")
    bad_tone = tone is not None and not 0 <= tone <= 20000
    if not 0 < fps <= 120 or bad_tone or (duration is not None and duration <= 0):
        raise MediaError(f"pattern:{name}: fps must be in (0, 120], tone in [0, 20000], duration > 0")
    r, g, b, _ = parse_color(params.get("color", "#000000"))
    return Pattern(name, width, height, fps, tone, (r, g, b), duration)


class BarsGenerator:
    """Colour bars scrolling left by a quarter of the width per second, so consecutive frames differ."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        columns = BAR_COLORS[np.arange(width) * len(BAR_COLORS) // width]
        rgb = np.ascontiguousarray(np.broadcast_to(columns, (height, width, 3)))
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=YUV)
        self._planes = [plane.copy() for plane in plane_views(frame)]

    def frame(self, t: float) -> av.VideoFrame:
        shift = int(t * self.width / 4) // 2  # in chroma pixels: luma moves by twice that, staying aligned
        frame = av.VideoFrame(self.width, self.height, YUV)
        for scale, base, view in zip((2, 1, 1), self._planes, plane_views(frame), strict=True):
            k = (shift * scale) % base.shape[1]
            view[:, : base.shape[1] - k] = base[:, k:]
            view[:, base.shape[1] - k :] = base[:, :k]
        return frame


def sine(hz: float, fmt: AudioFormat, start: int, count: int, level: float = TONE_AMPLITUDE) -> np.ndarray:
    """Samples ``start``..``start+count`` of a sine (same on every channel), (channels, count) float32."""
    phase = (np.arange(start, start + count, dtype=np.float64) * hz / fmt.rate) % 1.0
    wave = (level * np.sin(2 * math.pi * phase)).astype(np.float32)
    return np.broadcast_to(wave, (fmt.channels, count)).copy()


class PatternSource(Source):
    def __init__(self, spec: str, pattern: Pattern, audio: AudioFormat, *, now: Now = time.time) -> None:
        super().__init__(spec, now=now)
        self._pattern = pattern
        self._audio = audio
        self.has_audio = pattern.tone is not None
        self.finite = pattern.duration is not None
        self.duration = pattern.duration
        self._bars = BarsGenerator(pattern.width, pattern.height) if pattern.name == "bars" else None
        self._still = None if self._bars else solid_frame(pattern.width, pattern.height, pattern.rgb)
        self._index = -1
        self._frame: av.VideoFrame | None = None
        self._set_state(SourceState.LIVE)

    def _ended_at(self, t: float) -> bool:
        duration = self._pattern.duration
        if duration is not None and t >= duration:
            self._set_state(SourceState.ENDED)
            return True
        return False

    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        if self._ended_at(t):
            return self._frame  # the last frame stays on screen
        if self._still is not None:
            self._frame = self._still
        else:
            index = int(max(t, 0.0) * self._pattern.fps)
            if index != self._index or self._frame is None:  # same frame object between frames: cacheable
                self._index = index
                assert self._bars is not None
                self._frame = self._bars.frame(index / self._pattern.fps)
        return self._shown(self._frame)

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        tone = self._pattern.tone
        if tone is None:
            return None
        duration = self._pattern.duration
        end = count if duration is None else max(0, min(count, round(duration * self._audio.rate) - start))
        out = np.zeros((self._audio.channels, count), np.float32)
        if end > 0 and tone > 0:
            out[:, :end] = sine(tone, self._audio, start, end)
        self._ended_at(start / self._audio.rate)
        return out
