"""A looping file (a stream published through the control API) decoded once for every live mix of this
process that shows it, as live inputs are (network.py's ``_Feed``).

A published file stands in for an anchor's push, so a live mix sees it as a live stream: a mix that starts
showing it while other mixes already do joins it where it is now, not at its start. :class:`SharedFile` is a
:class:`~.file.FileSource` whose decoded frames and audio serve several :class:`SharedFileView` (one per
mix): it decodes ahead of the mix furthest on and keeps what the last one has not read yet (at most
MAX_HELD frames: a mix stuck that long skips frames rather than holding memory). Each layer's scaling is done
once per frame for every layer of the same geometry (Prescaler.key), on the decoding thread.

Only realtime mixes share (open_source's ``share``): a fast render plays its files from their start, frame
by frame, as before; so do files that do not loop (they end, and each mix sees its own end).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

import av
import numpy as np

from emulator.media.sources.base import AudioFormat, Now, Source, SourceState, SourceStatus
from emulator.media.sources.file import AHEAD_FRAMES, FileSource

MAX_HELD = 3 * AHEAD_FRAMES  # decoded frames kept for the mixes furthest behind

Key = tuple[str, AudioFormat]


def _geometry(prescaler: Callable[[av.VideoFrame], Any]) -> Any:
    """What views scaled alike share (compositor's ``Prescaler.key``); a prescaler without one is its own."""
    return getattr(prescaler, "key", id(prescaler))


class SharedFile(FileSource):
    """One looping file decoded for its views; it closes when the last one leaves."""

    _shared: ClassVar[dict[Key, SharedFile]] = {}
    _shared_lock = threading.Lock()

    def __init__(self, spec: str, path: str, *, audio: AudioFormat, now: Now) -> None:
        self._views: list[SharedFileView] = []  # copy-on-write: the decoding thread reads it unlocked
        self._prescalers: dict[Any, Callable[[av.VideoFrame], Any]] = {}  # geometry key -> prescaler
        super().__init__(spec, path, loop=True, audio=audio, now=now)

    @classmethod
    def view(cls, spec: str, path: str, *, audio: AudioFormat, now: Now = time.time) -> SharedFileView:
        """A mix's view of ``path``, joining the decoder this process already runs for it, if any."""
        key = (path, audio)
        with cls._shared_lock:
            shared = cls._shared.get(key)
            if shared is None or shared._stop.is_set():
                shared = cls._shared[key] = cls(spec, path, audio=audio, now=now)
            view = SharedFileView(spec, shared, now=now)
            with shared._cond:
                shared._views = [*shared._views, view]
        return view

    def leave(self, view: SharedFileView, timeout: float) -> None:
        with self._shared_lock:
            with self._cond:
                self._views = [v for v in self._views if v is not view]
                self._update_prescalers()
                if self._views:
                    return
            key = (self._path, self._fmt)
            if self._shared.get(key) is self:
                del self._shared[key]
        super().close(timeout)

    def rescale(self) -> None:
        """A view's prescaler changed: the geometries to scale each frame to, again."""
        with self._cond:
            self._update_prescalers()

    def _update_prescalers(self) -> None:
        """One prescaler per distinct geometry among the views (holding the condition)."""
        wanted = {}
        for view in self._views:
            prescaler = view.prescaler
            if prescaler is not None:
                key = _geometry(prescaler)
                wanted[key] = self._prescalers.get(key) or prescaler
        self._prescalers = wanted

    # ----- the decoding thread (FileSource's, with the views' positions)
    def _video_room(self) -> bool:
        if self._video_over:
            return False
        while len(self._ready) >= MAX_HELD:  # a view stuck far behind: it will skip these
            self._ready.popleft()
        lead = max((v.at for v in self._views if v.started), default=0.0)
        return sum(1 for item in self._ready if item[0] > lead) < AHEAD_FRAMES

    def _audio_need(self) -> int:
        if self._audio_over:
            return 0
        wanted = max((v.wanted for v in self._views if v.started), default=0)
        return wanted + self._ahead - self._samples.end

    def _prescale(self, frame: av.VideoFrame) -> Any:
        """Every geometry's scaling of the frame, by geometry key (each done once for all its views)."""
        return {key: self._scale_with(prescaler, frame) for key, prescaler in list(self._prescalers.items())}

    # ----- the views' side (each holds the condition)
    def position(self, view: SharedFileView, t: float) -> None:
        """Where a view joins: where the views already playing are now (0 for the first)."""
        lead = max((v.at for v in self._views if v.started), default=0.0)
        view.offset = lead - t

    def frame_at(self, view: SharedFileView, at: float) -> tuple[float, av.VideoFrame, Any] | None:
        pick = view.current
        for item in self._ready:
            if item[0] <= at or pick is None:
                pick = item
            else:
                break
        floor = min((v.at for v in self._views if v.started), default=at)
        while len(self._ready) > 1 and self._ready[1][0] <= floor:
            self._ready.popleft()  # every view has moved past it
        if sum(1 for item in self._ready if item[0] > at) <= AHEAD_FRAMES // 2:
            self._cond.notify_all()  # the decoder refills in one go: fewer thread switches
        return pick

    def samples_at(self, start: int, count: int) -> np.ndarray:
        if self._samples.end < start + count + self._ahead // 2:
            self._cond.notify_all()
        out = self._samples.read(start, count)
        self._samples.discard_before(min((v.read_from for v in self._views if v.started), default=start))
        return out


class SharedFileView(Source):
    """One mix's view of a :class:`SharedFile`: its own position (an offset from the decoder's time) and
    current frame; state, duration and media kinds are the decoder's."""

    def __init__(self, spec: str, shared: SharedFile, *, now: Now) -> None:
        super().__init__(spec, now=now)
        self._shared = shared
        self.offset = 0.0  # decoder time - this mix's time, fixed at its first read
        self.started = False
        self.at = 0.0  # decoder time of the latest video asked
        self.wanted = 0  # decoder sample index up to which audio was asked
        self.read_from = 0  # ... and where the latest read started
        self.current: tuple[float, av.VideoFrame, Any] | None = None
        self.prescaler: Callable[[av.VideoFrame], Any] | None = None

    @property  # type: ignore[override]
    def has_video(self) -> bool:
        return self._shared.has_video

    @property  # type: ignore[override]
    def has_audio(self) -> bool:
        return self._shared.has_audio

    @property
    def status(self) -> SourceStatus:
        return self._shared.status

    @property
    def state(self) -> SourceState:
        return self._shared.state

    @property
    def finished(self) -> bool:
        return self._shared.finished

    def _start(self, t: float) -> None:
        if not self.started:
            self._shared.position(self, t)
            self.started = True

    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        shared = self._shared
        if not shared.has_video or shared.finished:
            return None
        with shared._cond:
            self._start(t)
            self.at = max(self.at, t + self.offset)
            self.current = shared.frame_at(self, self.at)
        return shared._shown(self.current[1] if self.current else None)

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        shared = self._shared
        if not shared.has_audio or shared.finished:
            return None
        with shared._cond:
            self._start(start / shared._fmt.rate)
            begin = start + round(self.offset * shared._fmt.rate)
            self.read_from, self.wanted = begin, max(self.wanted, begin + count)
            self.at = max(self.at, begin / shared._fmt.rate)  # a layer without video moves on too
            return shared.samples_at(begin, count)

    def scale_ahead(self, prescaler: Callable[[av.VideoFrame], Any] | None) -> None:
        self.prescaler = prescaler
        self._shared.rescale()

    def prescaled(self, frame: av.VideoFrame) -> Any:
        current, prescaler = self.current, self.prescaler
        if current is None or current[1] is not frame or prescaler is None or not current[2]:
            return None
        return current[2].get(_geometry(prescaler))

    def close(self, timeout: float = 2.0) -> None:
        self._shared.leave(self, timeout)
