"""The interface every source kind implements, and the state it reports.

Sources are pull-based on a *media time*: seconds since the source was opened. ``video_at(t)`` returns the
frame to show at ``t`` (repeating the last one between frames); ``audio_at(start, n)`` returns ``n`` samples
from sample index ``start`` at the output rate/layout given at open (fltp float32, shape (channels, n)).
Neither ever raises: failures become the "error" state with a message, so the render loop never stops.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import av
import numpy as np

log = logging.getLogger(__name__)

Now = Callable[[], float]


class SourceState(StrEnum):
    WAITING = "waiting"  # opened, no media yet (a late start)
    LIVE = "live"  # delivering media
    LOST = "lost"  # was delivering, then stalled or dropped (may come back)
    ENDED = "ended"  # finite media played to its end
    ERROR = "error"  # cannot be read; ``error`` says why


@dataclass(frozen=True)
class AudioFormat:
    """What audio sources deliver: float32 planar samples at this rate and channel count."""

    rate: int = 44100
    channels: int = 2

    @property
    def layout(self) -> str:
        return {1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels}c")


@dataclass(frozen=True)
class SourceStatus:
    state: SourceState
    since: float  # when it entered the state, on the ``now`` clock the source was given
    error: str | None = None
    width: int | None = None  # of the latest frame handed out
    height: int | None = None


class Source(ABC):
    has_video: bool = True
    has_audio: bool = True
    finite: bool = False  # can end by itself (a file that does not loop, a pattern with a duration)
    duration: float | None = None  # finite and known: media seconds after which it has ended

    def __init__(self, spec: str, *, now: Now = time.time) -> None:
        self.spec = spec
        self._now = now
        self._status_lock = threading.Lock()
        self._status = SourceStatus(SourceState.WAITING, now())

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def state(self) -> SourceState:
        return self._status.state

    @property
    def finished(self) -> bool:
        """True when it will never deliver media again (ended, or an error that cannot heal)."""
        return self.state is SourceState.ENDED

    def _set_state(self, state: SourceState, error: str | None = None) -> None:
        with self._status_lock:
            old = self._status
            if old.state is state and old.error == error:
                return
            since = old.since if old.state is state else self._now()
            self._status = SourceStatus(state, since, error, old.width, old.height)

    def _shown(self, frame: av.VideoFrame | None) -> av.VideoFrame | None:
        """Record the size of a frame handed out (status reports it); returns the frame."""
        status = self._status
        if frame is not None and (frame.width, frame.height) != (status.width, status.height):
            with self._status_lock:
                s = self._status
                self._status = SourceStatus(s.state, s.since, s.error, frame.width, frame.height)
        return frame

    @abstractmethod
    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        """The frame to show at media time ``t``; None before the first one. ``wait``: seconds a source fed
        by a network may block for the frame at ``t`` (fast mode); 0 = answer at once."""

    @abstractmethod
    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        """``count`` samples from sample index ``start`` (0 = opening time), (channels, count) float32;
        silence where nothing arrived; None when the source has no audio."""

    def scale_ahead(self, prescaler: Callable[[av.VideoFrame], Any] | None) -> None:  # noqa: B027 - optional
        """Sources decoding on a thread of their own (files) run each new frame through ``prescaler`` there
        (the compositor's scaling for the layer showing it), see :meth:`prescaled`. Others ignore it."""

    def prescaled(self, frame: av.VideoFrame) -> Any:
        """What the prescaler made of ``frame`` (the latest frame handed out); None: nothing."""
        return None

    def close(self, timeout: float = 2.0) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release decoders and stop threads; waits at most ``timeout`` seconds (0 = just signal)."""


class ErrorSource(Source):
    """A spec that cannot be opened at all: reports the reason, delivers nothing."""

    has_video = False
    has_audio = False
    finite = True  # it will never play: like an input that has ended, it does not hold a fast mix open

    def __init__(self, spec: str, message: str, *, now: Now = time.time) -> None:
        super().__init__(spec, now=now)
        self._set_state(SourceState.ERROR, message)

    @property
    def finished(self) -> bool:
        return True

    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        return None

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        return None


def stop_worker(
    thread: threading.Thread, stop: threading.Event, cond: threading.Condition, timeout: float, what: str
) -> None:
    """Tell a source's background thread to stop, wake it, and wait up to ``timeout`` for it."""
    stop.set()
    with cond:
        cond.notify_all()
    if timeout > 0:
        thread.join(timeout)
        if thread.is_alive():
            log.warning("%s: background thread still busy after %.1f s", what, timeout)
