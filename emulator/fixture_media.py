"""The small clips and pictures of ``fixtures/media/`` (git-ignored): what demos, the README and hand-run
requests name. ``make fixtures`` writes them all; ``render`` writes them on first use, so the README's
example works on a fresh clone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from emulator.config import PROJECT_FIXTURES
from emulator.media.clips import write_clip, write_picture

FIXTURE_MEDIA = PROJECT_FIXTURES / "media"


def logo(size: tuple[int, int] = (160, 64)) -> np.ndarray:
    """A white badge with a red square, on a transparent ground: exercises PNG alpha."""
    width, height = size
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[8:-8, 8:-8] = (255, 255, 255, 200)
    pixels[16:-16, 16 : 16 + height - 32] = (230, 30, 30, 255)
    return pixels


FILES: dict[str, Callable[[Path], Path]] = {
    "bars_640x360.mp4": lambda p: write_clip(p, size=(640, 360), fps=30, duration=10, tone_hz=440),
    "bars_1280x720.mp4": lambda p: write_clip(p, size=(1280, 720), fps=30, duration=5, tone_hz=550),
    "cam_red_320x180.flv": lambda p: write_clip(
        p, size=(320, 180), video="color:#e02020", tone_hz=660, duration=5
    ),
    "cam_green_320x180.ts": lambda p: write_clip(
        p, size=(320, 180), video="color:#20c020", tone_hz=770, duration=5
    ),
    "cam_blue_320x180.mkv": lambda p: write_clip(
        p, size=(320, 180), video="color:#2040e0", tone_hz=880, duration=5
    ),
    "silent_bars_320x180.mp4": lambda p: write_clip(p, size=(320, 180), tone_hz=None, duration=5),
    "tone_1khz.m4a": lambda p: write_clip(p, video=None, tone_hz=1000, duration=5),
    "logo.png": lambda p: write_picture(p, (160, 64), logo()),
    "background.jpg": lambda p: write_picture(p, (640, 360), (30, 40, 60, 255)),
}


def write_fixture(path: Path) -> Path:
    """Write one of FILES at ``path`` (its name says which), never leaving a half-written file."""
    partial = path.with_name(f".{path.name}.part{path.suffix}")
    return FILES[path.name](partial).replace(path)


def ensure_fixture(path: str | Path) -> bool:
    """If ``path`` is a missing file of ``fixtures/media/`` (by any relative or absolute spelling), write
    it; True when it was written."""
    resolved = Path(path).resolve()
    if resolved.exists() or resolved.parent != FIXTURE_MEDIA.resolve() or resolved.name not in FILES:
        return False
    resolved.parent.mkdir(parents=True, exist_ok=True)
    write_fixture(resolved)
    return True
