"""Shared helpers for the media tests: small real clips (cached per session), pixel probes, resolvers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from emulator.core.clock import EmulatorClock
from emulator.core.job import ResolvedSource
from emulator.media.clips import write_clip

RGB = tuple[int, int, int]
RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)
YELLOW = (255, 255, 0)


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``clip(name, **write_clip kwargs)``: a clip written once per session (small defaults: 160x90,
    1 s, 25 fps)."""
    folder = tmp_path_factory.mktemp("clips")
    made: dict[str, Path] = {}

    def make(name: str, **kwargs: Any) -> Path:
        if name not in made:
            options = {"size": (160, 90), "duration": 1.0, **kwargs}
            made[name] = write_clip(folder / name, **options)
        return made[name]

    return make


def rgb_at(frame: av.VideoFrame, x: int, y: int) -> RGB:
    """The colour of one pixel of a frame (any format), as 8-bit RGB."""
    pixel = frame.to_ndarray(format="rgb24")[y, x]
    return int(pixel[0]), int(pixel[1]), int(pixel[2])


def near(actual: RGB, expected: RGB, tolerance: int = 10) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def assert_rgb(frame: av.VideoFrame, x: int, y: int, expected: RGB, tolerance: int = 10) -> None:
    actual = rgb_at(frame, x, y)
    assert near(actual, expected, tolerance), f"pixel ({x}, {y}) is {actual}, expected ~{expected}"


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


class MapResolver:
    """A SourceResolver over a dict the test edits: ``stream:<id>`` -> (spec, generation) or absent."""

    def __init__(self, streams: dict[str, str] | None = None) -> None:
        self.streams = dict(streams or {})
        self.generation: dict[str, int] = {}

    def publish(self, stream_id: str, spec: str) -> None:
        self.streams[stream_id] = spec
        self.generation[stream_id] = self.generation.get(stream_id, 0) + 1

    def __call__(self, spec: str) -> ResolvedSource | None:
        if not spec.startswith("stream:"):
            return ResolvedSource(spec)
        stream_id = spec[len("stream:") :]
        if stream_id not in self.streams:
            return None
        return ResolvedSource(self.streams[stream_id], self.generation.get(stream_id, 0))


@pytest.fixture
def clock() -> EmulatorClock:
    return EmulatorClock()


@pytest.fixture
def http_root(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory served over HTTP on a free local port: (directory, base URL)."""

    class Quiet(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
