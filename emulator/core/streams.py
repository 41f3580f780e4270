"""The stream registry: which streams are "live" on the emulator, as if anchors had pushed them.

A stream comes from the control API (a file, URL or pattern standing in for an anchor's push), from the
RTMP ingest (a real push), or from a mix (its output). Providers ask it whether an input exists and since
when (Tencent's -505 five-second rule), which streams are in a room (ZEGO auto-mix), and which output ids
are taken. Thread-safe: the RTMP server and media threads touch it too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from emulator.core.clock import EmulatorClock
from emulator.core.job import ResolvedSource

Origin = Literal["control", "rtmp", "mix"]
EventKind = Literal["published", "unpublished"]


@dataclass
class MediaInfo:
    """What a probe found in a source; None where unknown (a live push before its first frames)."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    has_video: bool = True
    has_audio: bool = True
    duration: float | None = None  # seconds; None = live / endless


@dataclass
class PublishedStream:
    stream_id: str
    source: str  # a media source spec (see core/job.py)
    origin: Origin = "control"
    loop: bool = True
    room_id: str | None = None
    user_id: str | None = None
    published_at: float = 0.0  # emulator clock
    generation: int = 0  # bumps on every (re)publish of the same id
    info: MediaInfo = field(default_factory=MediaInfo)
    extra: dict[str, Any] = field(default_factory=dict)  # provider notes (e.g. the mix task it outputs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Listener = Callable[[EventKind, PublishedStream], None]


class StreamRegistry:
    def __init__(self, clock: EmulatorClock) -> None:
        self._clock = clock
        self._lock = threading.RLock()
        self._streams: dict[str, PublishedStream] = {}
        self._generations: dict[str, int] = {}
        self._listeners: list[Listener] = []
        self._outputs: dict[str, str] = {}  # mix output stream id -> task id

    def publish(
        self,
        stream_id: str,
        source: str,
        *,
        origin: Origin = "control",
        loop: bool = True,
        room_id: str | None = None,
        user_id: str | None = None,
        info: MediaInfo | None = None,
        extra: dict[str, Any] | None = None,
    ) -> PublishedStream:
        """Publish (or re-publish, replacing) a stream; listeners hear "published"."""
        with self._lock:
            generation = self._generations.get(stream_id, 0) + 1
            self._generations[stream_id] = generation
            stream = PublishedStream(
                stream_id=stream_id,
                source=source,
                origin=origin,
                loop=loop,
                room_id=room_id,
                user_id=user_id,
                published_at=self._clock.now(),
                generation=generation,
                info=info or MediaInfo(),
                extra=dict(extra or {}),
            )
            self._streams[stream_id] = stream
        self._notify("published", stream)
        return stream

    def unpublish(self, stream_id: str, *, origin: Origin | None = None) -> PublishedStream | None:
        """Remove a stream (the anchor disconnects). With ``origin``, only a stream of that origin."""
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is None or (origin is not None and stream.origin != origin):
                return None
            del self._streams[stream_id]
        self._notify("unpublished", stream)
        return stream

    def get(self, stream_id: str) -> PublishedStream | None:
        with self._lock:
            return self._streams.get(stream_id)

    def list(self, *, room_id: str | None = None) -> list[PublishedStream]:
        with self._lock:
            streams = list(self._streams.values())
        return [s for s in streams if room_id is None or s.room_id == room_id]

    def set_info(self, stream_id: str, info: MediaInfo) -> None:
        with self._lock:
            stream = self._streams.get(stream_id)
            if stream is not None:
                stream.info = info

    def resolve(self, stream_id: str) -> ResolvedSource | None:
        """The source behind a published stream id, or None while it is not published."""
        with self._lock:
            stream = self._streams.get(stream_id)
            return None if stream is None else ResolvedSource(stream.source, stream.generation, stream.loop)

    # ----- mix outputs: stream ids a running mix produces (kept apart from published inputs, so a mix whose
    # output id equals one of its inputs, as Tencent's output_stream_type 0 allows, still reads the anchor)
    def claim_outputs(self, task_id: str, stream_ids: list[str]) -> None:
        with self._lock:
            for stream_id in [s for s, t in self._outputs.items() if t == task_id]:
                del self._outputs[stream_id]
            for stream_id in stream_ids:
                self._outputs[stream_id] = task_id

    def release_outputs(self, task_id: str) -> None:
        self.claim_outputs(task_id, [])

    def output_owner(self, stream_id: str) -> str | None:
        """The id of the running task that outputs ``stream_id``."""
        with self._lock:
            return self._outputs.get(stream_id)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Hear every publish/unpublish (called on the thread that made the change); returns unsubscribe."""
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def clear(self) -> None:
        """Forget every stream (control-API reset); listeners hear each unpublish."""
        for stream in self.list():
            self.unpublish(stream.stream_id)

    def _notify(self, kind: EventKind, stream: PublishedStream) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(kind, stream)
