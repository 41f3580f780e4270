"""Renders a MixJob: the one object the media pipeline calls, once per output frame and per audio chunk.

Inputs: each layer's spec goes through the resolver (``stream:<id>`` -> what is published now) about every
RESOLVE_EVERY_S of media time; a new answer (another spec or generation) reopens the input, None means the
input is lost. Layers naming the same source share one open source. ``update`` swaps the layout between two
frames: sources whose spec did not change stay open (no re-decode, no timestamp jump).

Loss, on the emulator clock (``job.input_loss_timeout``): a lost input keeps showing its last frame, then
after the timeout shows nothing (the background shows through); None = freeze for good. While a layer with
``freezes_canvas`` is lost, the whole picture freezes on the last composed frame. In realtime mode a source
that ends (a file without loop) counts as lost; in fast mode it holds its last frame and reports "ended".
:meth:`MixRenderer.finished_at` says when a fast mix is over: once every *finite* input (a file that does not
loop, a URL with a duration, a pattern with one) has ended, if there is one; pictures, endless patterns,
looped files and live streams never end by themselves, so they do not hold a mix open, and a mix of only
those never ends by itself (a duration caps it).
Realtime calls never wait for network inputs or files; fast mode waits up to FAST_WAIT_S for a network
input's data at ``t`` (for a file's, as long as its decoding takes). File sources decode on threads of
their own and scale there for the first layer showing them (``Source.scale_ahead``): the compositor then
only copies their pictures.

Input states (``input_status``): waiting (nothing yet), live, lost, ended, error; ``since`` is the emulator
clock time the input entered it. ``shown_sizes``: the size of the source frame each layer draws now (None:
nothing, so a lost input that still shows its last frame is frozen).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import av
import numpy as np

from emulator.core.clock import EmulatorClock
from emulator.core.job import Layer, MixJob, ResolvedSource, SourceResolver
from emulator.media.audio import AudioMixer
from emulator.media.compositor import Compositor
from emulator.media.placement import Prescaler, Scaled
from emulator.media.sei import SeiMessage
from emulator.media.sei_feed import sei_of_frame
from emulator.media.sources import AudioFormat, Source, SourceState, open_source
from emulator.media.sources.network import JITTER_S, STALL_S

log = logging.getLogger(__name__)

RESOLVE_EVERY_S = 0.5  # media seconds between resolver checks of an input
FAST_WAIT_S = 1.0  # fast mode: how long a network input may hold a frame up
CLOSE_TIMEOUT_S = 3.0
SCALE_WORKERS = min(4, os.cpu_count() or 1)  # threads scaling layers in parallel; 1 = in the caller
CANVAS_IMAGE_ID = "__canvas__"

_PLAYING = (SourceState.LIVE, SourceState.ENDED)  # ENDED only in fast mode: the last frame holds
Key = tuple[str, bool, int]  # (resolved spec, loop, generation): what identifies an open source
END_EPSILON_S = 1e-6  # a media time this close to an input's duration counts as reaching it


@dataclass
class _Opened:
    key: Key
    source: Source
    t0: float  # renderer media time when it was opened: the source's own time is t - t0
    refs: int = 1
    prescaler: Prescaler | None = None  # the scaling its thread does ahead (for the first layer showing it)


@dataclass
class _Input:
    """One layer's view of its source, and what the renderer has decided about it."""

    layer: Layer
    since: float  # emulator clock: when ``state`` was entered
    state: SourceState = SourceState.WAITING
    error: str | None = None
    resolved: ResolvedSource | None = None
    key: Key | None = None
    checked_at: float = -math.inf  # media time of the last resolver check
    frame: av.VideoFrame | None = None  # the latest frame it showed while live
    scaled: Scaled | None = None  # that frame as its source's thread scaled it for this layer, if it did
    ever_live: bool = False
    sei_seen: av.VideoFrame | None = None  # the latest frame whose SEI went out (each frame's goes once)
    lost_at: float | None = None  # emulator clock: when it stopped being live (freeze deadline base)


class MixRenderer:
    def __init__(
        self,
        job: MixJob,
        resolver: SourceResolver,
        clock: EmulatorClock,
        *,
        hub: Any = None,
        audio_rate: int = 44100,
        audio_channels: int = 2,
        realtime: bool = True,
        stall_timeout: float = STALL_S,
        jitter: float = JITTER_S,
    ) -> None:
        self._resolver = resolver
        self._clock = clock
        self._hub = hub
        self._realtime = realtime
        self._wait = 0.0 if realtime else FAST_WAIT_S
        self._stall = stall_timeout
        self._jitter = jitter
        self._fmt = AudioFormat(audio_rate, audio_channels)
        self._mixer = AudioMixer(self._fmt)
        self._lock = threading.RLock()
        self._opened: dict[Key, _Opened] = {}
        self._inputs: list[_Input] = []
        self._canvas_image: _Input | None = None
        self._last_composed: av.VideoFrame | None = None
        self._job = job
        # Layers scale in parallel on these (swscale releases the GIL); shut down in close().
        self._pool = ThreadPoolExecutor(SCALE_WORKERS, "mix-scale") if SCALE_WORKERS > 1 else None
        self._compositor = Compositor(job.canvas, pool=self._pool)
        self._apply(job)
        for inp in [*self._inputs, *([self._canvas_image] if self._canvas_image else [])]:
            self._refresh(inp, 0.0)  # open the inputs now: files start decoding while the encoders open

    # ----- what the pipeline calls
    def video_frame(self, t: float) -> av.VideoFrame:
        """The composed canvas (yuv420p, even size) at media time ``t``. Treat it as read-only: while the
        picture is frozen the same frame comes back again."""
        with self._lock:
            layers = [(inp.layer, self._frame_of(inp, t)) for inp in self._inputs]
            if self._last_composed is not None and any(
                inp.layer.freezes_canvas and inp.ever_live and inp.state not in _PLAYING
                for inp in self._inputs
            ):
                return self._last_composed
            background = self._canvas_frame(t)
            self._last_composed = self._compositor.compose(layers, background)
            return self._last_composed

    def audio_frame(self, t: float, samples: int) -> av.AudioFrame:
        """Mixed audio for [t, t + samples / rate): fltp, the renderer's rate and channels."""
        with self._lock:
            start = round(t * self._fmt.rate)
            reads: dict[Key, np.ndarray | None] = {}  # one read per source, shared by layers showing it twice
            mix: list[tuple[str, np.ndarray | None, int]] = []
            for inp in self._inputs:
                if not inp.layer.audio:
                    continue
                opened = self._refresh(inp, t)
                key = inp.key
                if opened is not None and key is not None and key not in reads:
                    offset = round(opened.t0 * self._fmt.rate)
                    reads[key] = opened.source.audio_at(start - offset, samples, self._wait)
                self._observe(inp)
                heard = reads.get(key) if key is not None and inp.state is SourceState.LIVE else None
                mix.append((inp.layer.id, heard, inp.layer.volume))
            return self._mixer.mix(mix, samples)

    def update(self, job: MixJob) -> None:
        """Use ``job``'s layout from the next frame on."""
        with self._lock:
            self._apply(job)

    def input_status(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            status = {}
            for inp in self._inputs:
                self._observe(inp)  # as the source is now: it may have failed before any frame asked
                opened = self._opened.get(inp.key) if inp.key else None
                source = opened.source.status if opened else None
                status[inp.layer.id] = {
                    "state": inp.state.value,
                    "since": inp.since,
                    "width": source.width if source else None,
                    "height": source.height if source else None,
                    "duration": opened.source.duration if opened else None,  # None: endless or not known
                    "source": inp.layer.source,
                    "resolved": inp.resolved.spec if inp.resolved else None,
                    "error": inp.error,
                    "level": self._mixer.levels.get(inp.layer.id, 0.0),
                }
            return status

    def shown_sizes(self) -> dict[str, list[int] | None]:
        """Layer id -> the size of the source frame it draws now (its size decides the placement), None when
        it draws nothing: a lost input still drawn is frozen on its last frame."""
        with self._lock:
            return {
                inp.layer.id: None if inp.frame is None else [inp.frame.width, inp.frame.height]
                for inp in self._inputs
            }

    def input_sei(self) -> list[SeiMessage]:
        """The SEI the inputs' frames shown since the last call carried (the decoders export it as frame side
        data), each frame's once, in layer order; encoders' own banners left out."""
        with self._lock:
            found: list[SeiMessage] = []
            for inp in self._inputs:
                frame = inp.frame
                if frame is None or frame is inp.sei_seen:
                    continue
                inp.sei_seen = frame
                found.extend(sei_of_frame(frame))
            return found

    def sound_levels(self) -> dict[str, float]:
        """Layer id -> 0..100 sound level of its latest audio chunk (after volume)."""
        with self._lock:
            return {inp.layer.id: self._mixer.levels.get(inp.layer.id, 0.0) for inp in self._inputs}

    @property
    def mix_level(self) -> float:
        return self._mixer.mix_level

    def finished_at(self, t: float) -> bool:
        """Whether the mix is over at media time ``t`` (fast mode stops before rendering ``t`` then): every
        finite input has ended by ``t`` (reached its duration, or played all it had), and there is one."""
        with self._lock:
            keys = {inp.key for inp in self._inputs if inp.key is not None}
            finite = [self._opened[key] for key in keys if self._opened[key].source.finite]
            return bool(finite) and all(_ended_by(opened, t) for opened in finite)

    def close(self) -> None:
        """Close every source; network threads get CLOSE_TIMEOUT_S in all to stop."""
        with self._lock:
            sources = [opened.source for opened in self._opened.values()]
            self._opened.clear()
            for inp in [*self._inputs, *([self._canvas_image] if self._canvas_image else [])]:
                inp.key = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # no task is running: every compose waits for its scaling
        for source in sources:
            source.close(timeout=0)  # signal all first, then wait for each in the time left
        deadline = time.monotonic() + CLOSE_TIMEOUT_S
        for source in sources:
            source.close(timeout=max(0.0, deadline - time.monotonic()))

    # ----- layout
    def _apply(self, job: MixJob) -> None:
        old = list(self._inputs)
        inputs = []
        for layer in job.layers:
            # Same layer (id and media), else a renamed layer showing the same media: keep its open source.
            inp = _take(old, _identity, _identity(layer)) or _take(old, _media, _media(layer))
            if inp is None:
                inp = _Input(layer, since=self._clock.now())
            inp.layer = layer
            inputs.append(inp)
        for gone in old:
            self._release(gone)
        self._inputs = inputs
        if job.canvas != self._compositor.canvas:
            self._compositor = Compositor(job.canvas, pool=self._pool)
        image = self._canvas_image
        if image is not None and image.layer.source != job.canvas.image:
            self._release(image)
            image = None
        if image is None and job.canvas.image:
            image = _Input(Layer(id=CANVAS_IMAGE_ID, source=job.canvas.image, audio=False), self._clock.now())
        self._canvas_image = image
        self._job = job
        self._prescale()

    def _prescale(self) -> None:
        """Have each open source's thread scale its frames for the first layer showing it, as the compositor
        would (then composing only copies them); layers showing a source twice scale the rest here."""
        first: dict[Key, Layer] = {}
        for inp in self._inputs:
            if inp.key is not None and inp.layer.video:
                first.setdefault(inp.key, inp.layer)
        for key, opened in self._opened.items():
            layer = first.get(key)
            if layer is None:
                if opened.prescaler is not None:
                    opened.prescaler = None
                    opened.source.scale_ahead(None)
            elif opened.prescaler is None or opened.prescaler.key != self._compositor.geometry_key(layer):
                opened.prescaler = self._compositor.prescaler(layer)  # one per source: it owns a swscale
                opened.source.scale_ahead(opened.prescaler)

    # ----- inputs
    def _refresh(self, inp: _Input, t: float) -> _Opened | None:
        """Re-resolve the input when due; (re)open its source on a new answer. Returns what is open."""
        if t - inp.checked_at >= RESOLVE_EVERY_S or t < inp.checked_at:
            inp.checked_at = t
            try:
                resolved = self._resolver(inp.layer.source)
            except Exception as exc:
                log.exception("resolving %s", inp.layer.source)
                resolved = ResolvedSource(f"invalid:cannot resolve {inp.layer.source}: {exc}")
            if resolved != inp.resolved or (resolved is not None and inp.key is None):
                self._release(inp)
                inp.resolved = resolved
                if resolved is not None:
                    inp.key = self._acquire(resolved, inp.layer.loop or resolved.loop, t)
                    self._prescale()
        return self._opened.get(inp.key) if inp.key else None

    def _acquire(self, resolved: ResolvedSource, loop: bool, t: float) -> Key:
        key = (resolved.spec, loop, resolved.generation)
        opened = self._opened.get(key)
        if opened is not None:
            opened.refs += 1
            return key
        source = open_source(
            resolved.spec,
            loop=loop,
            hub=self._hub,
            audio=self._fmt,
            now=self._clock.now,
            stall_timeout=self._stall,
            jitter=self._jitter,
            share=self._realtime,  # a live mix shows a published file as a live stream, decoded once
        )
        self._opened[key] = _Opened(key, source, t)
        return key

    def _release(self, inp: _Input) -> None:
        key, inp.key = inp.key, None
        opened = self._opened.get(key) if key else None
        if opened is not None:
            opened.refs -= 1
            if opened.refs <= 0:
                del self._opened[opened.key]
                opened.source.close(timeout=0)  # network threads end by themselves; never wait here

    def _observe(self, inp: _Input) -> None:
        """Derive the input's state from its source (after a read) and track loss times."""
        opened = self._opened.get(inp.key) if inp.key else None
        if opened is None:
            state = SourceState.LOST if inp.ever_live else SourceState.WAITING
            error = f"{inp.layer.source} is not published" if inp.checked_at > -math.inf else None
        else:
            status = opened.source.status
            state, error = status.state, status.error
            if state is SourceState.ENDED and self._realtime:
                state = SourceState.LOST  # a live mix sees a file that ended as an anchor that stopped
        now = self._clock.now()
        if state is not inp.state:
            inp.state, inp.since = state, now
        inp.error = error
        if state is SourceState.LIVE:
            inp.ever_live, inp.lost_at = True, None
        elif inp.ever_live and inp.lost_at is None:
            inp.lost_at = now

    def _frame_of(self, inp: _Input, t: float) -> av.VideoFrame | Scaled | None:
        """What the layer shows at ``t``: its current frame, a frozen one, or nothing."""
        opened = self._refresh(inp, t)
        if opened is not None and inp.layer.video and opened.source.has_video:
            frame = opened.source.video_at(t - opened.t0, self._wait)
            self._observe(inp)
            if frame is not None and inp.state in _PLAYING:
                inp.frame, inp.scaled = frame, opened.source.prescaled(frame)
        else:
            self._observe(inp)
        if inp.state in _PLAYING:
            return inp.scaled or inp.frame
        timeout = self._job.input_loss_timeout
        if timeout is None or inp.lost_at is None or self._clock.now() - inp.lost_at < timeout:
            return inp.scaled or inp.frame  # frozen on the last frame (None if it never had one)
        inp.frame = inp.scaled = None  # past the loss timeout: the background shows through
        return None

    def _canvas_frame(self, t: float) -> av.VideoFrame | None:
        image = self._canvas_image
        if image is None:
            return None
        opened = self._refresh(image, t)
        if opened is not None:
            image.frame = opened.source.video_at(t - opened.t0, self._wait) or image.frame
        return image.frame


def _ended_by(opened: _Opened, t: float) -> bool:
    source, duration = opened.source, opened.source.duration
    return source.finished or (duration is not None and t - opened.t0 >= duration - END_EPSILON_S)


def _media(layer: Layer) -> tuple:
    return (layer.source, layer.loop)


def _identity(layer: Layer) -> tuple:
    return (layer.id, layer.source, layer.loop)


def _take(inputs: list[_Input], key: Callable[[Layer], tuple], value: tuple) -> _Input | None:
    """Remove and return the first input whose layer has ``key(layer) == value``."""
    for i, inp in enumerate(inputs):
        if key(inp.layer) == value:
            return inputs.pop(i)
    return None
