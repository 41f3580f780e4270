"""Players of a control-API stream: an on-demand relay that plays its source into the LiveHub.

A stream published through the control API stands in for an anchor's push, and a real CDN serves an
anchor's stream to players. So the first ``GET /live/<id>.flv`` of such a stream starts a relay: a
one-layer realtime mix of the stream at its own size (H.264 + AAC, 1 s GOP so players start fast)
published as channel ``relay:<id>`` (which :meth:`LiveHub.playable` offers after the mix output and the
RTMP push of that id). A relay runs while it has players and stops IDLE_S after the last one left, when
its stream is unpublished or re-published, at reset and at shutdown. At most MAX_RELAYS run at once: each
one encodes in real time.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.core.clock import EmulatorClock
from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, SourceResolver, VideoSpec
from emulator.core.streams import MediaInfo, StreamRegistry
from emulator.core.tasks import Pipeline, PipelineFactory
from emulator.media.live import LiveHub

log = logging.getLogger(__name__)

IDLE_S = 10.0  # wall seconds a relay runs on without players (a player reconnecting finds it warm)
MAX_RELAYS = 8
STOP_TIMEOUT_S = 3.0
DEFAULT_SIZE = (640, 360)  # for a stream whose picture size is not known (yet)
DEFAULT_FPS = 25.0
RELAY_CRF = 23
RELAY_PRESET = "superfast"
_FINAL = ("ended", "failed", "stopped")  # the pipeline's last event


def relay_channel(stream_id: str) -> str:
    return f"relay:{stream_id}"


@dataclass
class _Relay:
    generation: int
    pipeline: Pipeline
    idle_since: float | None = None  # wall clock (monotonic) when it last had no player


class StreamRelays:
    """The running relays of one emulator. ``start`` and ``tick`` run on the event loop; pipelines stop
    on threads of their own (stopping joins their threads)."""

    def __init__(
        self,
        registry: StreamRegistry,
        resolver: SourceResolver,
        clock: EmulatorClock,
        hub: LiveHub,
        data_dir: Path,
        pipeline_factory: PipelineFactory,
    ) -> None:
        self._registry = registry
        self._resolver = resolver
        self._clock = clock
        self._hub = hub
        self._data_dir = data_dir
        self._factory = pipeline_factory
        self._lock = threading.Lock()
        self._relays: dict[str, _Relay] = {}

    def start(self, stream_id: str) -> bool:
        """Make sure a control-API stream ``stream_id`` is being relayed; False when it is no such stream
        or MAX_RELAYS already run."""
        stream = self._registry.get(stream_id)
        if stream is None or stream.origin != "control":
            return False
        with self._lock:
            running = self._relays.get(stream_id)
            if running is not None and running.generation == stream.generation:
                running.idle_since = None
                return True
            if running is None and len(self._relays) >= MAX_RELAYS:
                log.warning("relay of %s refused: %d relays run already", stream_id, MAX_RELAYS)
                return False
        if running is not None:
            self._stop(stream_id, running)  # re-published since: relay the new source
        job = _relay_job(stream_id, stream.info)
        from emulator.media.sinks import LiveSink  # with the media engine, imported on first use

        channel = relay_channel(stream_id)
        try:
            pipeline = self._factory(
                job,
                task_id=f"relay-{stream_id}",
                resolver=self._resolver,
                clock=self._clock,
                data_dir=self._data_dir,
                mode="realtime",
                sink_factory=lambda encoder: [LiveSink(encoder.templates, self._hub, channel)],
                on_event=lambda kind, _: self._ended(stream_id, pipeline) if kind in _FINAL else None,
            )
        except Exception:  # a player asked: it gets "not live", the server goes on
            log.exception("relay of %s could not start", stream_id)
            return False
        with self._lock:
            self._relays[stream_id] = _Relay(stream.generation, pipeline)
        pipeline.start()
        log.info("relaying control stream %s to its players", stream_id)
        return True

    def tick(self, now: float) -> None:
        """Stop relays idle for IDLE_S (``now``: monotonic seconds) or whose stream is gone or replaced."""
        with self._lock:
            relays = list(self._relays.items())
        for stream_id, relay in relays:
            stream = self._registry.get(stream_id)
            if stream is None or stream.origin != "control" or stream.generation != relay.generation:
                self._stop(stream_id, relay)
            elif self._hub.subscribers(relay_channel(stream_id)):
                relay.idle_since = None
            elif relay.idle_since is None:
                relay.idle_since = now
            elif now - relay.idle_since >= IDLE_S:
                self._stop(stream_id, relay)

    def status(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {stream_id: {"generation": r.generation} for stream_id, r in self._relays.items()}

    def stop_all(self) -> None:
        """Stop every relay and wait (at most about STOP_TIMEOUT_S) for them: blocking, call off the loop."""
        with self._lock:
            relays = list(self._relays.items())
        threads = [thread for stream_id, relay in relays if (thread := self._stop(stream_id, relay))]
        for thread in threads:
            thread.join(STOP_TIMEOUT_S + 1.0)

    def _stop(self, stream_id: str, relay: _Relay) -> threading.Thread | None:
        with self._lock:
            if self._relays.get(stream_id) is not relay:
                return None
            del self._relays[stream_id]
        thread = threading.Thread(
            target=relay.pipeline.stop, args=(STOP_TIMEOUT_S,), name=f"stop relay {stream_id}", daemon=True
        )
        thread.start()
        return thread

    def _ended(self, stream_id: str, pipeline: Pipeline) -> None:
        """The pipeline ended by itself (its source failed): forget it, so the next player retries."""
        with self._lock:
            relay = self._relays.get(stream_id)
            if relay is not None and relay.pipeline is pipeline:
                del self._relays[stream_id]


def _relay_job(stream_id: str, info: MediaInfo) -> MixJob:
    """The stream alone, at its own size and rate (defaults where the probe did not tell)."""
    width, height = (info.width, info.height) if info.width and info.height else DEFAULT_SIZE
    video = None
    if info.has_video:
        video = VideoSpec(
            fps=info.fps or DEFAULT_FPS, bitrate=None, crf=RELAY_CRF, gop_seconds=1.0, preset=RELAY_PRESET
        )
    audio = AudioSpec() if info.has_audio or video is None else None
    output = Output(stream_id, video, audio, record=False)
    return MixJob(Canvas(width, height), [Layer("relay", f"stream:{stream_id}")], [output])
