"""The media pipeline of one mix task: renderer -> encoders -> sinks, driven by one tick thread.

Each tick renders one canvas frame at media time ``t = k / F`` (F = the highest output fps) and pulls mixed
audio up to the end of the tick in one chunk, then hands both to the encoding thread (outputs.py),
which encodes for every output whose frame is due (outputs may differ in size and fps: the canvas is
composed once and scaled per output). Encoded packets go to each output's sinks (sinks/), which mux on
their own threads and never hold the pipeline up.

Modes: "realtime" paces ticks to the monotonic wall clock (a live stream); "fast" runs as fast as the CPU
allows and ends by itself once its finite inputs have ended (``MixRenderer.finished_at``). Both end at
``duration`` (media seconds) when one is given.

Events (called on the tick thread; the TaskManager marshals them): "running" after the first frame,
"input_state" {layer_id, state} on every input state change, and exactly one final event after the files are
finalised: "ended" (ended by itself), "stopped" (``stop()``), or "failed" {error}.
"""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av

from emulator.core.clock import EmulatorClock
from emulator.core.job import MixJob, SourceResolver
from emulator.media.encoder import OutputEncoder, even_size
from emulator.media.errors import MediaError
from emulator.media.hls_demand import HlsDemand
from emulator.media.outputs import Outputs, Tick
from emulator.media.sei_feed import frame_messages
from emulator.media.sinks import Hub, PushCheck, Sink, standard_sinks

log = logging.getLogger(__name__)

Mode = Literal["realtime", "fast"]
EventCallback = Callable[[str, dict[str, Any]], None]
SinkFactory = Callable[[OutputEncoder], list[Sink]]

AUDIO_ONLY_TICK_HZ = 25  # tick rate when no output has video
DEFAULT_AUDIO = (48000, 2)  # the mixer's format when no output has audio
MAX_LAG_S = 1.0  # realtime: further behind than this, stop trying to catch up (resync the pace)
POLL_HZ = 10  # how often input states and sound levels are read
STOP_SHARE_DRAIN = 0.5  # of the stop timeout: sinks may mux what is queued for this long
RATE_WINDOW_S = 2.0  # the realtime factor compares media and wall time over about this long
RATE_MIN_S = 0.5  # ... once at least this much wall time was measured (None before)
STALL_S = 0.25  # a tick this much later than two tick intervals counts as a stall up to now
RATE_SPACING_S = 0.05
BEHIND_BELOW = 0.95  # a realtime factor below this marks the pipeline "behind"


class MixPipeline:
    """Renders one MixJob to its outputs until stopped (or, in fast mode, until its inputs end)."""

    def __init__(
        self,
        job: MixJob,
        *,
        task_id: str,
        resolver: SourceResolver,
        clock: EmulatorClock,
        hub: Hub | None = None,
        data_dir: Path,
        mode: Mode = "realtime",
        on_event: EventCallback | None = None,
        duration: float | None = None,
        sink_factory: SinkFactory | None = None,
        keep_hls: bool = True,
        push_check: PushCheck | None = None,
        jitter: float | None = None,
        hls_demand: HlsDemand | None = None,
    ) -> None:
        """``keep_hls`` False: each output's HLS folder is removed when the pipeline stops (a task's).
        ``jitter``: the jitter buffer of live inputs in seconds (None: the sources' default, 0.1 s).
        ``hls_demand``: each output's HLS is written only while it is played (None: always)."""
        if mode not in ("realtime", "fast"):
            raise ValueError(f"mode must be realtime or fast, got {mode!r}")
        if not job.outputs:
            raise MediaError("the job has no outputs")
        self.task_id = task_id
        self.mode: Mode = mode
        self.duration = duration
        self._jitter = jitter
        self._job = job
        self._output_specs = list(job.outputs)  # fixed at start: updates change the layout only
        self._resolver = resolver
        self._clock = clock
        self._hub = hub
        self._on_event = on_event
        self._sink_factory = sink_factory or (
            lambda encoder: standard_sinks(
                encoder,
                data_dir=data_dir,
                task_id=task_id,
                hub=hub,
                lossless=mode == "fast",
                keep_hls=keep_hls,
                push_check=push_check,
                hls_demand=hls_demand,
            )
        )
        self._lock = threading.Lock()
        self._pending: MixJob | None = None
        self._stop = threading.Event()
        self._stop_timeout = 5.0
        self._thread: threading.Thread | None = None
        self._state = "starting"
        self._error: str | None = None
        self._outputs = Outputs(task_id)
        self._frames = 0
        self._media_time = 0.0
        self._resyncs = 0
        # (monotonic, media time) after each tick, over about RATE_WINDOW_S (sized when the rate is known).
        self._rate_samples: deque[tuple[float, float]] = deque(maxlen=2)
        self._rate_frozen: dict[str, Any] | None = None  # the last measure, kept once the ticks end
        self._stall_s = math.inf
        self._origin = 0.0  # realtime: the monotonic time of media time 0
        self._samples = 0  # audio samples pulled from the renderer so far
        self._latest: av.VideoFrame | None = None
        self._final_status: dict[str, Any] | None = None  # set once stopped: the outputs are released
        self._final_png: bytes | None = None  # the last composed frame, kept as PNG once stopped
        self._inputs: dict[str, dict[str, Any]] = {}
        self._shown: dict[str, list[int] | None] = {}  # layer id -> size of the frame it draws (layout)
        self._levels: dict[str, float] = {}
        audio = next((o.audio for o in job.outputs if o.audio is not None), None)
        # The mixer's format: the first audio output's; other outputs resample from it.
        self._audio_rate, self._audio_channels = (
            (audio.sample_rate, audio.channels) if audio else DEFAULT_AUDIO
        )

    # ----- control (any thread)
    def start(self) -> None:
        """Start the tick thread; returns at once (sources open on that thread)."""
        with self._lock:
            if self._thread is not None or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name=f"mix {self.task_id}", daemon=True)
        self._thread.start()

    def update(self, job: MixJob) -> None:
        """Swap the layout; the next tick renders it. Outputs (files, encoders, timestamps) stay as is."""
        with self._lock:
            self._job = self._pending = job

    def stop(self, timeout: float = 5.0) -> None:
        """Stop, finalise every file and join the threads (idempotent; waits at most about ``timeout``)."""
        with self._lock:
            self._stop_timeout = timeout
            self._stop.set()
            thread = self._thread
        if thread is None:
            if self._state == "starting":
                self._state = "stopped"
            return
        if thread is not threading.current_thread():
            thread.join(timeout + 1.0)
            if thread.is_alive():
                log.warning("pipeline %s did not stop within %.1f s", self.task_id, timeout)

    # ----- state (any thread)
    @property
    def state(self) -> str:
        return self._state

    @property
    def error(self) -> str | None:
        return self._error

    @property
    def job(self) -> MixJob:
        return self._job

    def status(self) -> dict[str, Any]:
        if self._final_status is not None:
            return self._final_status
        return {
            "state": self._state,
            "error": self._error,
            "mode": self.mode,
            "frames": self._frames,
            "media_time": round(self._media_time, 3),
            "resyncs": self._resyncs,
            **self._rate(),
            "inputs": self._inputs,
            "shown": self._shown,
            "outputs": self._outputs.status(),
        }

    def _rate(self) -> dict[str, Any]:
        """Media time made per wall second over the last few seconds (``realtime_factor``, 1.0 = keeping
        up; fast mode far above) and ``behind`` when below BEHIND_BELOW. Measured up to now, so a tick
        thread that is stuck shows as falling behind at once."""
        if self._rate_frozen is not None:
            return self._rate_frozen
        factor = None
        samples = self._rate_samples
        try:  # indexing a deque is atomic (the tick thread appends meanwhile); iterating it is not
            (first_wall, first_media), (last_wall, last_media) = samples[0], samples[-1]
        except IndexError:
            first_wall = last_wall = math.inf
            first_media = last_media = 0.0
        # Between ticks the media time stands still: only a tick overdue by more than STALL_S counts,
        # measured up to now (a stuck tick thread shows as falling behind while it is stuck).
        now = time.monotonic()
        end = now if now - last_wall > self._stall_s else last_wall
        if end - first_wall >= RATE_MIN_S:
            factor = (last_media - first_media) / (end - first_wall)
        return {
            "realtime_factor": None if factor is None else round(factor, 3),
            "behind": factor is not None and factor < BEHIND_BELOW,
        }

    def input_states(self) -> dict[str, dict[str, Any]]:
        """Each input's state as last polled (the ``inputs`` of :meth:`status`)."""
        return self._inputs

    def snapshot_png(self) -> bytes | None:
        """The latest composed frame as PNG (converted only now, on request), None before the first frame;
        once stopped, the last one (converted when the frames were let go)."""
        return self._final_png if self._final_status is not None else _png(self._latest)

    def sound_levels(self) -> dict[str, float]:
        return self._levels

    # ----- the tick thread
    def _run(self) -> None:
        renderer = None
        final = "stopped"
        try:
            renderer = self._open_renderer()
            self._open_outputs()
            final = self._loop(renderer)
            self._poll(renderer)  # the inputs' final states (a render reports an input that failed)
        except Exception as exc:
            log.exception("pipeline %s failed", self.task_id)
            self._error = str(exc) if isinstance(exc, MediaError) else f"{type(exc).__name__}: {exc}"
            self._state = final = "failed"
        finally:
            self._rate_frozen = self._rate()  # closing the files is not rendering: it does not count
            self._close(renderer)
            renderer = None
        if final != "failed":
            self._state = final
        self._release()
        self._emit(final, {"error": self._error} if final == "failed" else {})
        self._on_event = None  # the last event: the owner's callback (and what it holds) is let go

    def _open_renderer(self) -> Any:
        from emulator.media.renderer import MixRenderer  # imported here: the compositor pulls in numpy etc.

        return MixRenderer(
            self._job,
            self._resolver,
            self._clock,
            hub=self._hub,
            audio_rate=self._audio_rate,
            audio_channels=self._audio_channels,
            realtime=self.mode == "realtime",
            **({} if self._jitter is None else {"jitter": self._jitter}),
        )

    def _open_outputs(self) -> None:
        canvas = even_size(self._job.canvas.width, self._job.canvas.height)
        for output in self._output_specs:
            encoder = OutputEncoder(output, canvas, realtime=self.mode == "realtime")
            try:
                sinks = self._sink_factory(encoder)
            except Exception:
                encoder.close()
                raise
            self._outputs.add(encoder, sinks)
        self._outputs.start()

    def _loop(self, renderer: Any) -> str:
        """Tick until stopped or ended; returns the final state."""
        rates = [c.encoder.fps for c in self._outputs.chains if c.encoder.fps is not None]
        tick_rate = max(rates) if rates else Fraction(AUDIO_ONLY_TICK_HZ)
        poll_every = max(1, round(float(tick_rate) / POLL_HZ))
        # At most one sample per RATE_SPACING_S of wall time (fast mode ticks far faster than the fps).
        spaced = round(RATE_WINDOW_S / RATE_SPACING_S)
        self._rate_samples = deque(maxlen=max(2, min(spaced, round(RATE_WINDOW_S * tick_rate)) + 1))
        self._stall_s = STALL_S + 2 / float(tick_rate)
        self._origin = time.monotonic()
        tick = 0
        while not self._stop.is_set():
            t = float(tick / tick_rate)
            if t >= (self.duration or math.inf) or (self.mode == "fast" and renderer.finished_at(t)):
                return "ended"
            if self.mode == "realtime" and not self._wait_until(t):
                break
            with self._lock:
                pending, self._pending = self._pending, None
            if pending is not None:
                renderer.update(pending)
            self._render(renderer, t, float((tick + 1) / tick_rate))
            self._frames += 1
            self._sample_rate()
            if tick % poll_every == 0:
                self._poll(renderer)
            if tick == 0:
                self._state = "running"
                self._emit("running", {})
            tick += 1
        return "stopped"

    def _sample_rate(self) -> None:
        now, samples = time.monotonic(), self._rate_samples
        if not samples or now - samples[-1][0] >= RATE_SPACING_S:
            samples.append((now, self._media_time))

    def _wait_until(self, t: float) -> bool:
        """Realtime pacing: sleep until media time ``t`` is due; False when stopped meanwhile."""
        delay = self._origin + t - time.monotonic()
        if delay > 0:
            return not self._stop.wait(delay)
        if -delay > MAX_LAG_S:  # far behind (an overloaded host): carry on from now rather than burst
            self._origin -= delay
            self._resyncs += 1
        return True

    def _render(self, renderer: Any, t: float, tick_end: float) -> None:
        """One tick: the canvas at ``t`` and the audio up to ``tick_end``, handed to the encoding thread."""
        frame = None
        sei = None
        if self._outputs.video:
            frame = self._latest = renderer.video_frame(t)
            spec = self._job.sei
            if spec is not None:
                sei = frame_messages(spec, self._levels, renderer.input_sei() if spec.pass_input else ())
        tick = Tick(t, frame, sei=sei or [])
        count = round(tick_end * self._audio_rate) - self._samples
        if self._outputs.audio and count > 0:  # the encoders cut it into AAC-sized frames
            tick.audio.append(renderer.audio_frame(self._samples / self._audio_rate, count))
            self._samples += count
        self._outputs.submit(tick, self._stop)
        self._media_time = tick_end

    def _poll(self, renderer: Any) -> None:
        """Read input states and sound levels here, so other threads never call into the renderer."""
        inputs = renderer.input_status()
        for layer_id, info in inputs.items():
            state = info.get("state")
            if state != self._inputs.get(layer_id, {}).get("state"):
                change = {"layer_id": layer_id, "state": state}
                self._emit("input_state", {**change, "error": info["error"]} if info.get("error") else change)
        self._inputs = inputs
        self._shown = renderer.shown_sizes()
        self._levels = renderer.sound_levels()

    def _close(self, renderer: Any) -> None:
        """Finish encoding, let the sinks finalise their files, release the sources."""
        self._outputs.close(self._stop_timeout, STOP_SHARE_DRAIN)
        if renderer is not None:
            try:
                renderer.close()
            except Exception:
                log.exception("pipeline %s: closing the renderer", self.task_id)

    def _release(self) -> None:
        """Keep the final status, then let go of the encoders, sinks and frames at once (explicitly: a
        stopped pipeline must not wait for the garbage collector to free its FFmpeg objects and threads)."""
        self._final_png = _png(self._latest)
        self._final_status = self.status()
        self._outputs.release()
        self._latest = None

    def _emit(self, kind: str, data: dict[str, Any]) -> None:
        if self._on_event is None:
            return
        try:
            self._on_event(kind, data)
        except Exception:
            log.exception("pipeline %s: event handler failed on %s", self.task_id, kind)


def _png(frame: av.VideoFrame | None) -> bytes | None:
    if frame is None:
        return None
    buffer = io.BytesIO()
    frame.to_image().save(buffer, format="PNG")
    return buffer.getvalue()
