"""Opening inputs with PyAV, turning FFmpeg's failures into :class:`MediaError` messages a user can act on."""

from __future__ import annotations

import os
from typing import Any

import av
from av.container import InputContainer

from emulator.media.errors import MediaError

OPEN_TIMEOUT = 5.0  # network: seconds to connect and read the headers
READ_TIMEOUT = 2.0  # network: seconds without data before a read gives up
# Live FLV (hub channels): decide on the streams after ~0.5 s of data instead of FFmpeg's default 5 s.
LIVE_OPTIONS = {"probesize": "262144", "analyzeduration": "500000"}


def check_local_file(path: str) -> None:
    """MediaError unless ``path`` is a non-empty regular file."""
    if not os.path.exists(path):
        raise MediaError(f"file not found: {path}")
    if not os.path.isfile(path):
        raise MediaError(f"not a file: {path}")
    if os.path.getsize(path) == 0:
        raise MediaError(f"empty file: {path}")


def open_container(
    target: Any,
    *,
    name: str,
    fmt: str | None = None,
    timeout: float | None = None,
    options: dict | None = None,
) -> InputContainer:
    """``av.open`` for reading; MediaError names ``name`` and the cause. Requires at least one audio or
    video stream. ``timeout`` bounds network waits (connect and each read)."""
    try:
        container = av.open(
            target,
            format=fmt,
            options=options or {},
            timeout=None if timeout is None else (max(timeout, OPEN_TIMEOUT), timeout),
        )
    except av.FFmpegError as exc:
        raise MediaError(f"cannot open {name}: {_reason(exc)}") from None
    except (OSError, ValueError) as exc:  # file-like readers raise their own errors
        raise MediaError(f"cannot open {name}: {exc}") from None
    assert isinstance(container, InputContainer)
    if not container.streams.video and not container.streams.audio:
        container.close()
        raise MediaError(f"no audio or video stream in {name}")
    return container


def _reason(exc: av.FFmpegError) -> str:
    text = exc.strerror or type(exc).__name__
    if isinstance(exc, av.InvalidDataError):
        return f"corrupt, truncated or unsupported media ({text})"
    if isinstance(exc, av.ExitError):  # the interrupt callback behind ``timeout`` fired
        return "timed out"
    return text
