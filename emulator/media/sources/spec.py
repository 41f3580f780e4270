"""Parsing of source spec strings (see core/job.py) and of the colours they and layouts carry.

A spec is classified once, here, so every other module can switch on :attr:`SourceSpec.kind` instead of
re-parsing prefixes and extensions.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Literal

from emulator.core.resolver import INVALID_PREFIX
from emulator.media.errors import MediaError

Kind = Literal["file", "picture", "pattern", "network", "live", "invalid"]

PICTURE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif"})
NETWORK_SCHEMES = ("http://", "https://", "rtmp://", "rtmps://")


@dataclass(frozen=True)
class SourceSpec:
    kind: Kind
    target: str  # path, URL, pattern name, live channel, or (invalid) the reason
    params: dict[str, str] = field(default_factory=dict)  # pattern query parameters
    remote: bool = False  # pictures: fetched over http(s)


def parse_spec(spec: str) -> SourceSpec:
    """Classify a source spec; never raises (unusable specs come back as kind "invalid")."""
    spec = spec.strip()
    if not spec:
        return SourceSpec("invalid", "empty source spec")
    if spec.startswith(INVALID_PREFIX):
        return SourceSpec("invalid", spec[len(INVALID_PREFIX) :])
    if spec.startswith("stream:"):
        return SourceSpec("invalid", f"{spec} is not published (stream specs must be resolved first)")
    if spec.startswith("pattern:"):
        name, _, query = spec[len("pattern:") :].partition("?")
        return SourceSpec("pattern", name, dict(urllib.parse.parse_qsl(query, keep_blank_values=True)))
    if spec.startswith("live:"):
        return SourceSpec("live", spec[len("live:") :])
    if spec.lower().startswith(NETWORK_SCHEMES):
        if _extension(urllib.parse.urlsplit(spec).path) in PICTURE_EXTENSIONS and spec.startswith("http"):
            return SourceSpec("picture", spec, remote=True)
        return SourceSpec("network", spec)
    if spec.startswith("file://"):
        from urllib.request import url2pathname  # slow to import, and needed for file:// URLs only

        spec = url2pathname(urllib.parse.urlsplit(spec).path)
    elif "://" in spec:
        return SourceSpec("invalid", f"unsupported source scheme: {spec.split('://', 1)[0]}://")
    kind: Kind = "picture" if _extension(spec) in PICTURE_EXTENSIONS else "file"
    return SourceSpec(kind, spec)


def _extension(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


@lru_cache(maxsize=256)
def parse_color(text: str) -> tuple[int, int, int, int]:
    """``#rgb``, ``#rrggbb``, ``#rrggbbaa``, ``0xrrggbb`` or a CSS name -> (r, g, b, a)."""
    value = text.strip()
    if value.lower().startswith("0x"):
        value = "#" + value[2:]
    digits = value[1:]
    if value.startswith("#") and len(digits) in (3, 4, 6, 8) and all(c in _HEX for c in digits):
        # The common case, without importing Pillow (a tenth of a second at start-up).
        step = 1 if len(digits) < 6 else 2
        rgba = [int(digits[i : i + step] * (2 // step), 16) for i in range(0, len(digits), step)]
        return rgba[0], rgba[1], rgba[2], rgba[3] if len(rgba) == 4 else 255
    from PIL import ImageColor

    try:
        rgba = ImageColor.getcolor(value, "RGBA")
    except ValueError:
        raise MediaError(f"not a colour: {text!r} (expected #rrggbb)") from None
    assert isinstance(rgba, tuple)
    return rgba[0], rgba[1], rgba[2], rgba[3]


_HEX = frozenset("0123456789abcdefABCDEF")
