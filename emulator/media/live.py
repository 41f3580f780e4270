"""The LiveHub: named live FLV channels between producers and consumers.

Producers: the RTMP ingest (asyncio) writes channel ``<stream_id>``; a mix pipeline (a thread) writes
``mix:<stream_id>``; a relay of a control-API stream (relay.py, started on demand) ``relay:<stream_id>``.
Consumers: HTTP-FLV and RTMP play (asyncio, :class:`Subscription`) and media decoders (threads, the
blocking file-like :class:`LiveReader` that PyAV opens with ``format="flv"``).

A consumer that joins late gets what a CDN edge gives a new viewer: the FLV header, onMetaData, the AVC/AAC
sequence headers and the tags since the last video keyframe (the GOP cache), then live tags; its timestamps
start at 0. Every consumer has a bounded queue: one that falls behind is dropped (its read ends) and never
slows the producer. A second publisher on a live channel replaces the first (an anchor reconnecting while
its old, half-open connection lingers): the old publisher goes inactive and its writes are ignored, and the
current consumers reach the end of their stream, because the new publisher brings new sequence headers.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from emulator.media.flv import (
    SCRIPT,
    FlvError,
    FlvParser,
    FlvTag,
    flv_header,
    metadata_number,
    parse_metadata,
)
from emulator.media.live_consumers import TAG_OVERHEAD, Consumer, LiveReader, Subscription

__all__ = ["LiveHub", "LiveReader", "Publisher", "Subscription"]

log = logging.getLogger(__name__)

ChangeListener = Callable[[str, bool], None]
OnDemand = Callable[[str], bool]  # start producing a stream id nobody produces yet; False = cannot
ON_DEMAND_WAIT_S = 5.0  # how long a player waits for a stream started on demand


class Publisher:
    """The one producer of a channel. ``write`` takes a raw FLV byte stream in any chunking. One thread
    (or task) writes at a time; ``close`` may come from anywhere."""

    def __init__(self, hub: LiveHub, channel: str) -> None:
        self.channel = channel
        self._hub = hub
        self._parser = FlvParser()
        self._header_sent = False

    @property
    def active(self) -> bool:
        """False once closed or replaced by a newer publisher of the same channel."""
        return self._hub._is_current(self)

    @property
    def has_header(self) -> bool:
        """True once the channel's FLV header is fixed (written, or implied by the first tag)."""
        return self._header_sent

    def write(self, data: bytes) -> None:
        """Feed FLV bytes. Raises FlvError (and closes the channel) if they are not FLV; ignored once
        the publisher is no longer active."""
        if not self.active:
            return
        try:
            tags = self._parser.feed(data)
        except FlvError:
            self.close()
            raise
        if not self._header_sent and self._parser.header is not None:
            self._header_sent = True
            self._hub._start(self, self._parser.header)
        if tags:
            self._hub._publish(self, tags)

    def write_tag(self, tag: FlvTag) -> None:
        """Publish one already-parsed tag (the RTMP ingest). Without a prior FLV header from ``write``
        the channel announces both audio and video."""
        if not self._header_sent:
            self._header_sent = True
            self._hub._start(self, flv_header())
        self._hub._publish(self, [tag])

    def close(self) -> None:
        """End the channel: consumers drain what they have, then reach the end. Idempotent."""
        self._hub._close_publisher(self)


class _Channel:
    """A channel's state: its publisher, caches for late joiners, consumers and what we know of it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.subscribers: list[Consumer] = []
        self.reset(None)

    def reset(self, publisher: Publisher | None) -> None:
        """Start over for a new publisher (or none): consumers still waiting for the channel stay."""
        self.publisher = publisher
        self.since = time.time() if publisher is not None else None
        self.header: bytes | None = None  # known once the publisher wrote its first bytes
        self.bytes = 0
        self.metadata: FlvTag | None = None
        self.video_seq: FlvTag | None = None
        self.audio_seq: FlvTag | None = None
        self.gop: list[FlvTag] = []  # from the last video keyframe on, while gop_bytes stays in bounds
        self.gop_bytes = 0
        self.seen_video = False
        self.last_ts = 0
        self.info: dict[str, Any] = {}

    def take_attached(self) -> list[Consumer]:
        """Remove and return the consumers receiving the current publisher (they are about to end)."""
        attached = [s for s in self.subscribers if s.attached]
        self.subscribers = [s for s in self.subscribers if not s.attached]
        return attached

    def record(self, tag: FlvTag, gop_limit: int) -> None:
        """Update the caches and the stream info with a tag about to go out."""
        self.bytes += len(tag.data) + TAG_OVERHEAD
        self.last_ts = tag.timestamp
        if tag.is_metadata:
            self.metadata = tag
            meta = parse_metadata(tag) or {}
            for key in ("width", "height", "framerate"):
                if (value := metadata_number(meta, key)) is not None:
                    self.info[key] = value if key == "framerate" else int(value)
            return
        if tag.type == SCRIPT:
            return
        self.info[f"{'video' if tag.is_video else 'audio'}_codec"] = tag.codec
        if tag.is_sequence_header:
            if tag.is_video:
                self.video_seq = tag
            else:
                self.audio_seq = tag
            return
        if tag.is_video:
            self.seen_video = True
            if tag.is_keyframe:
                self.gop, self.gop_bytes = [], 0
        if tag.is_keyframe or self.gop:
            self.gop.append(tag)
            self.gop_bytes += len(tag.data) + TAG_OVERHEAD
            if self.gop_bytes > gop_limit:  # a huge GOP: late joiners will wait for the next keyframe
                self.gop, self.gop_bytes = [], 0

    def bootstrap(self) -> tuple[list[FlvTag], bool]:
        """What a late joiner gets before live tags, and whether its video must wait for a keyframe."""
        start = self.gop[0].timestamp if self.gop else self.last_ts
        heads = [t.with_timestamp(start) for t in (self.metadata, self.video_seq, self.audio_seq) if t]
        return heads + self.gop, self.seen_video and not self.gop

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "live": self.publisher is not None,
            "since": self.since,
            "bytes": self.bytes,
            "subscribers": len(self.subscribers),
            "video_codec": self.info.get("video_codec"),
            "audio_codec": self.info.get("audio_codec"),
            "width": self.info.get("width"),
            "height": self.info.get("height"),
            "fps": self.info.get("framerate"),
        }


class LiveHub:
    """Live FLV channels by name. Thread-safe; producers never block on consumers.

    ``gop_cache_bytes`` bounds the GOP kept for late joiners; ``queue_bytes`` bounds each consumer's
    backlog (a consumer further behind is dropped).
    """

    def __init__(self, *, gop_cache_bytes: int = 4 << 20, queue_bytes: int = 8 << 20) -> None:
        self._gop_limit = gop_cache_bytes
        self._queue_bytes = queue_bytes
        self._lock = threading.Lock()
        self._channels: dict[str, _Channel] = {}
        self._listeners: list[ChangeListener] = []
        self._on_demand: OnDemand | None = None

    # -- public API ---------------------------------------------------------------------------------
    def open_publisher(self, channel: str) -> Publisher:
        """Become the producer of ``channel``, replacing a live publisher (see the module docstring)."""
        publisher = Publisher(self, channel)
        with self._lock:
            ch = self._channels.setdefault(channel, _Channel(channel))
            replaced = ch.publisher is not None
            ended = ch.take_attached()
            ch.reset(publisher)
        for sub in ended:
            sub.end(discard=False)
        if replaced:
            log.info("live channel %s: a new publisher replaced the old one", channel)
        self._emit(channel, True)
        return publisher

    def subscribe(self, channel: str) -> Subscription:
        """An asyncio consumer of ``channel``; call it inside the event loop that will read it.
        A channel without a publisher yet is waited for (``read`` returns b"" meanwhile)."""
        sub = Subscription(channel, self._queue_bytes, self._detach, asyncio.get_running_loop())
        self._add(sub)
        return sub

    def open_reader(self, channel: str, timeout: float = 5.0) -> LiveReader:
        """A blocking file-like consumer of ``channel`` for PyAV (see :class:`LiveReader`)."""
        reader = LiveReader(channel, self._queue_bytes, self._detach, timeout)
        self._add(reader)
        return reader

    def exists(self, channel: str) -> bool:
        """True while ``channel`` has a publisher."""
        with self._lock:
            ch = self._channels.get(channel)
            return ch is not None and ch.publisher is not None

    def subscribers(self, channel: str) -> int:
        """How many consumers read (or wait for) ``channel``."""
        with self._lock:
            ch = self._channels.get(channel)
            return 0 if ch is None else len(ch.subscribers)

    def playable(self, stream_id: str) -> str | None:
        """The channel a player of ``stream_id`` gets: the mix output ``mix:<id>`` if live, else the push
        ``<id>``, else the relay ``relay:<id>``."""
        channels = (f"mix:{stream_id}", stream_id, f"relay:{stream_id}")
        return next((c for c in channels if self.exists(c)), None)

    def set_on_demand(self, start: OnDemand | None) -> None:
        """``start(stream_id)`` is asked to produce a stream a player wants and no channel plays yet."""
        self._on_demand = start

    async def find_playable(self, stream_id: str, timeout: float) -> str | None:
        """:meth:`playable`, waiting up to ``timeout`` seconds for the stream to go live (at least
        ON_DEMAND_WAIT_S when the on-demand hook starts it)."""
        if self.playable(stream_id) is None and self._on_demand is not None and self._on_demand(stream_id):
            timeout = max(timeout, ON_DEMAND_WAIT_S)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (channel := self.playable(stream_id)) is None and loop.time() < deadline:
            await asyncio.sleep(0.05)
        return channel

    def channels(self) -> list[dict[str, Any]]:
        """Every channel that is live or awaited by a consumer, with what is known of its media."""
        with self._lock:
            return [ch.describe() for ch in self._channels.values()]

    def on_change(self, callback: ChangeListener) -> Callable[[], None]:
        """Hear ``callback(channel, live)`` when a publisher starts or ends; returns an unsubscribe."""
        with self._lock:
            self._listeners.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._listeners:
                    self._listeners.remove(callback)

        return unsubscribe

    def close_all(self) -> None:
        """End every channel and consumer (server shutdown, control-API reset)."""
        with self._lock:
            channels, self._channels = list(self._channels.values()), {}
        for ch in channels:
            for sub in ch.subscribers:
                sub.end(discard=True)
            if ch.publisher is not None:
                self._emit(ch.name, False)

    # -- internals (publishers and consumers call these) ----------------------------------------------
    def _is_current(self, publisher: Publisher) -> bool:
        with self._lock:
            ch = self._channels.get(publisher.channel)
            return ch is not None and ch.publisher is publisher

    def _add(self, sub: Consumer) -> None:
        with self._lock:
            ch = self._channels.setdefault(sub.channel, _Channel(sub.channel))
            ch.subscribers.append(sub)
            if ch.header is not None and not sub.attach(ch.header, *ch.bootstrap()):
                ch.subscribers.remove(sub)
                sub.end(discard=True, dropped=True)

    def _detach(self, sub: Consumer) -> None:
        with self._lock:
            ch = self._channels.get(sub.channel)
            if ch is None or sub not in ch.subscribers:
                return
            ch.subscribers.remove(sub)
            if ch.publisher is None and not ch.subscribers:
                del self._channels[ch.name]

    def _start(self, publisher: Publisher, header: bytes) -> None:
        """The publisher's FLV header arrived: consumers waiting for the channel attach now."""
        with self._lock:
            ch = self._channels.get(publisher.channel)
            if ch is None or ch.publisher is not publisher:
                return
            ch.header = header
            for sub in ch.subscribers:
                sub.attach(header, [], False)

    def _publish(self, publisher: Publisher, tags: list[FlvTag]) -> None:
        dropped: list[Consumer] = []
        with self._lock:
            ch = self._channels.get(publisher.channel)
            if ch is None or ch.publisher is not publisher:
                return
            for tag in tags:
                ch.record(tag, self._gop_limit)
                full = [sub for sub in ch.subscribers if sub.attached and not sub.push(tag)]
                if full:
                    ch.subscribers = [sub for sub in ch.subscribers if sub not in full]
                    dropped += full
        for sub in dropped:
            sub.end(discard=True, dropped=True)
            log.info("live channel %s: dropped a consumer that fell behind", publisher.channel)

    def _close_publisher(self, publisher: Publisher) -> None:
        with self._lock:
            ch = self._channels.get(publisher.channel)
            if ch is None or ch.publisher is not publisher:
                return
            ended = ch.take_attached()
            ch.reset(None)
            if not ch.subscribers:
                del self._channels[ch.name]
        for sub in ended:
            sub.end(discard=False)
        self._emit(publisher.channel, False)

    def _emit(self, channel: str, live: bool) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(channel, live)
            except Exception:  # a listener's bug must not break the producer that triggered it
                log.exception("live hub listener failed for %s", channel)
