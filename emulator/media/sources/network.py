"""Sources that arrive over a connection: ``http(s)://`` (files, HTTP-FLV, HLS), ``rtmp://`` pulls and
``live:<channel>`` (FLV from the LiveHub). A background thread connects, demuxes and decodes into small
bounded buffers, so a stalled network never blocks the caller:

- video: a short queue of (media time, frame); the caller takes the latest frame due (older ones drop);
- audio: a positioned sample ring (samples.py); what never arrived reads as silence.

Timing: the first frame is placed at the caller's current media time (plus a small jitter allowance for
live streams, JITTER_S), later ones follow their timestamps. Live input that drifts more than a second behind
the caller (a publisher restart) or arrives more than the jitter allowance early (the GOP cache a late joiner
gets in one burst) is re-anchored, so a mix joins a live input at its newest frame. Finite content (a file
served over HTTP, an HLS VOD) is paced: the thread decodes at most LOOKAHEAD seconds ahead of the caller.
States: waiting until the first frame, live, lost once nothing arrived for STALL seconds and all that did
has been played, or when the connection drops (the thread reconnects with back-off), ended when finite
content is over, error while unreachable (retried with back-off too).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

import av
import numpy as np
from av.container import InputContainer

from emulator.media.errors import MediaError
from emulator.media.sources.base import AudioFormat, Now, Source, SourceState
from emulator.media.sources.opener import LIVE_OPTIONS, READ_TIMEOUT, open_container
from emulator.media.sources.samples import AudioConverter, SampleBuffer

log = logging.getLogger(__name__)

STALL_S = 1.0  # live: no data this long -> "lost"
# The jitter buffer (the default of the jitter_ms setting): live frames are shown this long after the
# earliest they could arrive, to absorb network jitter.
JITTER_S = 0.1
LOOKAHEAD_S = 0.3  # finite: decode at most this far ahead of the caller
MAX_BEHIND_S, MAX_AHEAD_S = 1.0, 2.0  # re-anchor the timeline beyond these
EARLY_S = 0.05  # live: a frame due this much later than the jitter buffer re-anchors (it came early)
VIDEO_QUEUE = 24  # frames (LOOKAHEAD at 60 fps plus slack)
AUDIO_BUFFER_S = 4
RETRY_S = (0.25, 2.0)  # reconnect back-off: first and longest wait
MAX_BAD_PACKETS = 50
MAX_GEOMETRIES = 8  # a shared feed scales once for at most this many distinct layer geometries
SCALED_KEPT = 3  # per geometry, the latest frames scaled (mixes show the same frame, give or take one)

# An audio frame's samples in the format asked (shared by the sources of a feed: see _converted).
_Converted = Callable[[AudioFormat], np.ndarray]
# Opens the input; returns the container and what to call after closing it.
Opener = Callable[[], tuple[InputContainer, Callable[[], None]]]


class _Timeline:
    """Maps stream timestamps to the caller's media time."""

    def __init__(self, live: bool, jitter: float) -> None:
        self._live = live
        self._jitter = jitter
        self._base: float | None = None

    def place(self, seconds: float | None, caller_t: float) -> float:
        lead = self._jitter if self._live else 0.0
        if seconds is None:
            seconds = caller_t + lead - (self._base or 0.0)
        if self._base is None:
            self._base = caller_t + lead - seconds
        t = seconds + self._base
        # Live: a frame due further ahead than the jitter buffer arrived earlier than the one the timeline was
        # anchored to (a GOP cache a late joiner gets at once, a frame delayed on the way): re-anchor to it,
        # so the delay stays the jitter buffer and a mix joins at the newest frame, not the oldest.
        ahead = EARLY_S if self._live else MAX_AHEAD_S
        if not caller_t - MAX_BEHIND_S <= t <= caller_t + lead + ahead:
            self._base = caller_t + lead - seconds
            t = caller_t + lead
        return t


class StreamSource(Source):
    """A network input as one mix sees it: its own timeline and buffers, fed by a :class:`_Feed` (the
    thread that connects, demuxes and decodes). A live input (``shared``) joins the feed of the same spec
    that another mix of this process already reads: it is decoded once however many mixes show it."""

    def __init__(
        self,
        spec: str,
        opener: Opener,
        *,
        live: bool,
        audio: AudioFormat,
        now: Now = time.time,
        stall_timeout: float = STALL_S,
        jitter: float = JITTER_S,
        share_key: Any = None,
    ) -> None:
        """``live``: a live kind (rtmp, live:) whose failures to open mean "not yet", not "error"; other
        URLs count as live once opened when they have no duration (HTTP-FLV, live HLS). ``share_key``:
        sources of the same key (a live kind) share one feed."""
        super().__init__(spec, now=now)
        self._live_kind = live
        self._fmt = audio
        self._stall = stall_timeout
        self._jitter = jitter
        self._cond = threading.Condition()
        self._closed = False
        self._queue: deque[tuple[float, av.VideoFrame]] = deque(maxlen=VIDEO_QUEUE)
        self._current: av.VideoFrame | None = None
        self._samples = SampleBuffer(audio.channels, audio.rate * AUDIO_BUFFER_S)
        self._caller_t = 0.0
        self._arrived: float | None = None  # monotonic time of the latest frame
        self._newest = 0.0  # media time of the latest frame
        self._timeline = _Timeline(live=True, jitter=jitter)
        self._next_pos: int | None = None
        self._prescaler: Callable[[av.VideoFrame], Any] | None = None
        self._feed = _Feed.join(spec, opener, live, self, share_key)

    # ----- caller side
    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        deadline = time.monotonic() + wait
        with self._cond:
            self._advance(t)
            while True:
                # Take every frame due; the very first one shows at once (no black lead-in).
                while self._queue and (self._queue[0][0] <= t or self._current is None):
                    self._current = self._queue.popleft()[1]
                if self._queue or not self.has_video or not self._waitable(deadline):
                    break
                self._cond.wait(min(deadline - time.monotonic(), 0.05))
            return self._shown(self._current)

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        deadline = time.monotonic() + wait
        with self._cond:
            self._advance(start / self._fmt.rate)
            while self.has_audio and self._samples.end < start + count and self._waitable(deadline):
                self._cond.wait(min(deadline - time.monotonic(), 0.05))
            if not self.has_audio:
                return None
            out = self._samples.read(start, count)
            self._samples.discard_before(start)
            return out

    def _advance(self, t: float) -> None:
        if t > self._caller_t:
            self._caller_t = t
            self._cond.notify_all()  # a paced producer may go on
        self._check_stall()

    def _waitable(self, deadline: float) -> bool:
        self._check_stall()
        return self.state in (SourceState.WAITING, SourceState.LIVE) and time.monotonic() < deadline

    def _check_stall(self) -> None:
        # Lost = nothing arrived for a while *and* the caller has played all that did arrive.
        if self.state is SourceState.LIVE and self._arrived is not None:
            quiet = time.monotonic() - self._arrived
            if quiet > self._stall and self._caller_t >= self._newest:
                self._set_state(SourceState.LOST, "no data")

    def scale_ahead(self, prescaler: Callable[[av.VideoFrame], Any] | None) -> None:
        self._prescaler = prescaler

    def prescaled(self, frame: av.VideoFrame) -> Any:
        """A shared feed's frame scaled once for every mix of the same layer geometry (None when this mix
        alone reads the feed: its compositor scales, in parallel with its other layers)."""
        prescaler = self._prescaler
        return None if prescaler is None else self._feed.scaled(frame, prescaler)

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()  # a paced feed waiting on us goes on (and sees we left)
        self._feed.leave(self, timeout)

    # ----- the feed's side (its thread)
    def opened(self, has_video: bool, has_audio: bool, finite: bool) -> None:
        """A connection is open: the timeline starts afresh with its first frame."""
        with self._cond:
            self.has_video, self.has_audio, self.finite = has_video, has_audio, finite
            self._timeline = _Timeline(live=not finite, jitter=self._jitter)
            self._next_pos = None

    def take(self, frame: av.VideoFrame | av.AudioFrame, stop: threading.Event, audio: _Converted) -> None:
        """A decoded frame, placed on this mix's timeline (finite content waits for the caller). ``audio``
        converts an audio frame to this mix's format (once per format for every source of the feed)."""
        seconds = frame.time
        samples = None if isinstance(frame, av.VideoFrame) else audio(self._fmt)
        with self._cond:
            t = self._timeline.place(seconds, self._caller_t)
            if self.finite:
                while t > self._caller_t + LOOKAHEAD_S and not stop.is_set() and not self._closed:
                    self._cond.wait(0.1)
            if samples is None:
                self._queue.append((t, frame))  # type: ignore[arg-type]
            else:
                self._next_pos = self._put_audio(t, samples, self._next_pos)
            self._arrived, self._newest = time.monotonic(), t
            self._set_state(SourceState.LIVE)
            self._cond.notify_all()

    def unavailable(self, message: str) -> None:
        if self._live_kind:  # not published (yet, or again): keep waiting/lost, say why
            state = SourceState.WAITING if self.state is SourceState.WAITING else SourceState.LOST
            self._set_state(state, message)
        else:
            self._set_state(SourceState.ERROR, message)

    def connection_ended(self, finished: bool) -> None:
        if finished:
            self._set_state(SourceState.ENDED)
        elif self.state is SourceState.LIVE:
            self._set_state(SourceState.LOST, "connection ended")

    def _put_audio(self, t: float, data: np.ndarray, next_pos: int | None) -> int:
        pos = round(t * self._fmt.rate)
        if next_pos is not None and abs(pos - next_pos) <= self._fmt.rate // 10:
            pos = next_pos  # contiguous unless the timeline moved (timestamp jitter is not a gap)
        self._samples.write(pos, data)
        return pos + data.shape[1]


class _Feed:
    """The thread that reads one network input and hands every decoded frame to its sources. Live inputs
    of the same key share one feed in this process (:meth:`join`); it ends when its last source leaves.
    ``opens`` counts the connections it made (tests check a shared input is opened once)."""

    _shared: ClassVar[dict[Any, _Feed]] = {}
    _shared_lock = threading.Lock()
    opens: ClassVar[dict[str, int]] = {}  # spec -> connections opened by every feed of it, this process

    def __init__(self, spec: str, opener: Opener, live: bool, key: Any) -> None:
        self._spec = spec
        self._opener = opener
        self._live_kind = live
        self._key = key
        self._sources: list[StreamSource] = []
        self._opened: tuple[bool, bool, bool] | None = None  # the open connection's video, audio, finite
        self._scaling: dict[Any, _SharedScaling] = {}  # layer geometry -> its scaling, shared by the mixes
        self._scaling_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"source {spec[:60]}", daemon=True)

    @classmethod
    def join(cls, spec: str, opener: Opener, live: bool, source: StreamSource, key: Any) -> _Feed:
        with cls._shared_lock:
            feed = cls._shared.get(key) if key is not None else None
            fresh = feed is None
            if feed is None:
                feed = cls(spec, opener, live, key)
                if key is not None:
                    cls._shared[key] = feed
            feed._sources = [*feed._sources, source]
            if feed._opened is not None:  # joining a feed already reading: what it reads
                source.opened(*feed._opened)
        if fresh:
            feed._thread.start()
        return feed

    def leave(self, source: StreamSource, timeout: float) -> None:
        with self._shared_lock:
            self._sources = [s for s in self._sources if s is not source]
            if self._sources:
                return
            if self._key is not None and self._shared.get(self._key) is self:
                del self._shared[self._key]
        with self._scaling_lock:
            self._scaling.clear()  # the scaled frames and swscale contexts go now
        self._stop.set()
        if timeout > 0:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("source %s: background thread still busy after %.1f s", self._spec, timeout)

    def scaled(self, frame: av.VideoFrame, prescaler: Callable[[av.VideoFrame], Any]) -> Any:
        """``frame`` as ``prescaler`` scales it, done once for every source of this feed whose layers have
        the same geometry (``prescaler.key``); None while one source reads the feed."""
        if len(self._sources) < 2:
            return None
        key = getattr(prescaler, "key", None)
        if key is None:
            return None
        with self._scaling_lock:
            scaling = self._scaling.get(key)
            if scaling is None:
                if len(self._scaling) >= MAX_GEOMETRIES:
                    return None
                scaling = self._scaling[key] = _SharedScaling(prescaler)
        return scaling.of(frame)

    def _run(self) -> None:
        backoff = RETRY_S[0]
        while not self._stop.is_set():
            try:
                container, release = self._opener()
            except MediaError as exc:
                for source in self._sources:
                    source.unavailable(str(exc))
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RETRY_S[1])
                continue
            with self._shared_lock:
                _Feed.opens[self._spec] = _Feed.opens.get(self._spec, 0) + 1
            backoff = RETRY_S[0]
            try:
                finished = self._read(container)
            except Exception as exc:  # a broken stream must not kill the thread silently
                log.info("source %s: reading stopped: %s", self._spec, exc)
                finished = False
            finally:
                self._opened = None
                container.close()
                release()
            for source in self._sources:
                source.connection_ended(finished)
            if finished:
                return
            self._stop.wait(backoff)

    def _read(self, container: InputContainer) -> bool:
        """Demux and decode until the input ends; True when finite content is complete."""
        streams: list[Any] = [*container.streams.video[:1], *container.streams.audio[:1]]
        finite = not self._live_kind and bool(container.duration)
        if container.streams.video:
            # Frame threads hold each frame back (threads - 1 frames): live input decodes with slices only.
            container.streams.video[0].thread_type = "AUTO" if finite else "SLICE"
        with self._shared_lock:
            self._opened = (bool(container.streams.video), bool(container.streams.audio), finite)
            for source in self._sources:
                source.opened(*self._opened)
        converters: dict[AudioFormat, AudioConverter] = {}  # per mixer format, for this connection
        bad = 0
        for packet in container.demux(*streams):
            if self._stop.is_set():
                return False
            try:
                frames = packet.decode()
            except av.FFmpegError:
                bad += 1
                if bad > MAX_BAD_PACKETS:
                    raise MediaError("too much corrupt data") from None
                continue
            bad = 0
            for frame in frames:
                audio = _converted(frame, converters) if isinstance(frame, av.AudioFrame) else _no_audio
                for source in self._sources:  # a copy-on-write list: joining and leaving replace it
                    source.take(frame, self._stop, audio)
        return finite


def _converted(frame: av.AudioFrame, converters: dict[AudioFormat, AudioConverter]) -> _Converted:
    """The frame's samples in a format, converted on the first ask for that format only."""
    done: dict[AudioFormat, np.ndarray] = {}

    def convert(fmt: AudioFormat) -> np.ndarray:
        if fmt not in done:
            converter = converters.get(fmt) or converters.setdefault(fmt, AudioConverter(fmt))
            done[fmt] = converter.convert(frame)
        return done[fmt]

    return convert


def _no_audio(fmt: AudioFormat) -> np.ndarray:
    raise ValueError("not an audio frame")


class _SharedScaling:
    """One layer geometry's scaling of a shared feed's frames: its prescaler (one swscale context, used by
    one thread at a time) and the latest results, which every mix showing the frame takes as is."""

    def __init__(self, prescaler: Callable[[av.VideoFrame], Any]) -> None:
        self._prescaler = prescaler
        self._lock = threading.Lock()
        self._done: deque[tuple[av.VideoFrame, Any]] = deque(maxlen=SCALED_KEPT)

    def of(self, frame: av.VideoFrame) -> Any:
        with self._lock:
            for done, scaled in self._done:
                if done is frame:
                    return scaled
            try:
                scaled = self._prescaler(frame)
            except Exception:  # the compositor then scales the frame itself
                log.exception("scaling a shared live frame failed")
                return None
            self._done.append((frame, scaled))
            return scaled


def connections_opened() -> dict[str, int]:
    """Per network spec, the connections this process opened to decode it (one per input however many
    mixes show it, plus reconnections)."""
    with _Feed._shared_lock:
        return dict(_Feed.opens)


def url_opener(url: str) -> Opener:
    def opener() -> tuple[InputContainer, Callable[[], None]]:
        return open_container(url, name=url, timeout=READ_TIMEOUT), _nothing

    return opener


def hub_opener(hub: Any, channel: str) -> Opener:
    """Opens ``live:<channel>`` through ``hub.open_reader`` (a blocking FLV file-like object)."""

    def opener() -> tuple[InputContainer, Callable[[], None]]:
        try:
            reader = hub.open_reader(channel, timeout=READ_TIMEOUT)
        except Exception as exc:  # the hub's own refusal, whatever its type
            raise MediaError(f"live channel {channel}: {exc}") from None
        try:
            name = f"live channel {channel}"
            container = open_container(reader, name=name, fmt="flv", options=LIVE_OPTIONS)
        except MediaError:
            reader.close()
            raise MediaError(f"live channel {channel}: nothing playable yet") from None
        return container, reader.close

    return opener


def _nothing() -> None:
    return None
