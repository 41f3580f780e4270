"""Writes small, deterministic media files for tests, fixtures and benchmarks (real H.264 + AAC via PyAV).

``video`` is ``"bars"`` (the moving bars of ``pattern:bars``), ``"color:#rrggbb"`` (solid) or None (audio
only); ``tone_hz`` a sine at -6 dBFS peak or None (video only). The container follows the extension:
.mp4, .mov, .mkv, .flv, .ts (MPEG-TS), .m4a.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from PIL import Image

from emulator.media.sources.base import AudioFormat
from emulator.media.sources.frames import solid_frame
from emulator.media.sources.pattern import BarsGenerator, sine
from emulator.media.sources.spec import parse_color

AUDIO_CHUNK = 1024  # samples per AAC frame
_FORMATS = {".ts": "mpegts", ".m4a": "mp4"}


def write_clip(
    path: str | Path,
    *,
    size: tuple[int, int] = (320, 180),
    fps: float = 25,
    duration: float = 2.0,
    video: str | None = "bars",
    tone_hz: float | None = 440,
    audio_rate: int = 44100,
    channels: int = 2,
    gop: int | None = None,
) -> Path:
    """Write a clip and return its path. ``gop``: frames between keyframes (default: one per second)."""
    path = Path(path)
    width, height = size
    if width % 2 or height % 2 or width <= 0 or height <= 0:
        raise ValueError(f"size {width}x{height}: H.264 4:2:0 needs positive even dimensions")
    if video is None and tone_hz is None:
        raise ValueError("a clip needs video, audio or both")
    rate = Fraction(fps).limit_denominator(1001)
    fmt = AudioFormat(audio_rate, channels)
    frame_count = max(1, round(duration * fps)) if video else 0
    sample_count = round(duration * audio_rate) if tone_hz is not None else 0

    with av.open(str(path), "w", format=_FORMATS.get(path.suffix.lower())) as container:
        vstream = astream = None
        if video:
            vstream = container.add_stream("libx264", rate=rate)
            vstream.width, vstream.height, vstream.pix_fmt = width, height, "yuv420p"
            vstream.options = {"preset": "ultrafast", "g": str(gop or max(1, round(fps))), "bf": "0"}
            draw = _video_drawer(video, width, height)
        if tone_hz is not None:
            astream = container.add_stream("aac", rate=audio_rate, layout=fmt.layout)
            astream.bit_rate = 96_000

        frame_index = sample_index = 0
        # Interleave by time so the muxer never buffers much and the file reads back in order.
        while frame_index < frame_count or sample_index < sample_count:
            video_due = frame_index < frame_count and (
                sample_index >= sample_count or frame_index / fps <= sample_index / audio_rate
            )
            if video_due:
                frame = draw(frame_index / fps)
                frame.pts = frame_index
                frame.time_base = 1 / rate
                container.mux(vstream.encode(frame))
                frame_index += 1
            else:
                n = min(AUDIO_CHUNK, sample_count - sample_index)
                samples = sine(tone_hz or 0, fmt, sample_index, n)
                aframe = av.AudioFrame.from_ndarray(samples, format="fltp", layout=fmt.layout)
                aframe.sample_rate, aframe.pts = audio_rate, sample_index
                aframe.time_base = Fraction(1, audio_rate)
                container.mux(astream.encode(aframe))
                sample_index += n
        for stream in (vstream, astream):
            if stream is not None:
                container.mux(stream.encode(None))
    return path


def _video_drawer(video: str, width: int, height: int):
    if video == "bars":
        return BarsGenerator(width, height).frame
    if video.startswith("color:"):
        r, g, b, _ = parse_color(video[len("color:") :])
        still = solid_frame(width, height, (r, g, b))
        return lambda t: _copy(still)
    raise ValueError(f"video: expected 'bars', 'color:#rrggbb' or None, not {video!r}")


def _copy(frame: av.VideoFrame) -> av.VideoFrame:
    # The encoder takes ownership of pts per frame, so each call hands it a fresh frame.
    return av.VideoFrame.from_ndarray(frame.to_ndarray(), format=frame.format.name)


def write_picture(
    path: str | Path, size: tuple[int, int], rgba: tuple[int, int, int, int] | np.ndarray
) -> Path:
    """Write a PNG (alpha kept) or JPEG of one colour (an (r, g, b, a) tuple) or of an (h, w, 4) array."""
    path = Path(path)
    width, height = size
    pixels = np.empty((height, width, 4), np.uint8)
    pixels[...] = rgba
    image = Image.fromarray(pixels, "RGBA")
    if path.suffix.lower() in (".jpg", ".jpeg"):
        image.convert("RGB").save(path, quality=95)
    else:
        image.save(path)
    return path
