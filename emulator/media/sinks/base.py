"""The part every sink shares: a bounded packet queue, a muxing thread and the drop/reconnect policy.

A :class:`Sink` receives the encoded packets of one output (:meth:`Sink.put`, or :meth:`Sink.put_batch` for
a tick's packets in one hand-over: one wake-up of the sink's thread instead of one per packet; called by the
pipeline thread, never blocks unless asked to) and muxes copies of them into its own container on its own
thread, so a slow disk or a stalled network peer only ever costs that sink packets:

- Queue full: the packet is dropped, and so is everything after it until the next keyframe, so what does get
  muxed decodes cleanly (a gap, never a smear).
- A new container (the first one, or one reopened after an error) takes video from a keyframe on.
- Container errors: the container is closed and, for sinks with a ``retry_delays`` schedule (network pushes),
  reopened after the next delay; other sinks go to state "failed" and drop what follows.
- Rest (:meth:`Sink.rest`, sinks written on demand): the container is closed as at a stop and the sink waits,
  idle, for the next packet, which opens a new one.
- Stop: the queue is drained (within a budget), the container is closed (trailer, ENDLIST ...), the thread
  joins with a timeout. A thread stuck in a blocking network call is abandoned, and the status says so.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any, cast

import av
from av.container import OutputContainer

from emulator.media.encoder import EncodedPacket, Kind

log = logging.getLogger(__name__)

# An idle worker waits this long at most for a packet; request_stop wakes it at once (a None in the
# queue), so this only bounds the wait: short polls would wake hundreds of idle sink threads for nothing.
IDLE_WAIT_S = 5.0
_REST = object()  # queued by rest(): close the container, stay ready for more


class Sink:
    """Base class: subclasses say how to open their container (:meth:`_open`) and may tidy up after."""

    kind = "sink"  # what the status calls this sink: recording, hls, live, push
    retry_delays: Sequence[float] = ()  # seconds between reopen attempts; empty = a failure is final

    def __init__(
        self, templates: dict[Kind, av.stream.Stream], *, queue_size: int, wait_s: float = 0.0
    ) -> None:
        """``wait_s`` > 0 makes :meth:`put` wait that long for room before dropping: for files written in
        fast mode, where the producer may outrun the disk and losing media would be a bug."""
        if not templates:
            raise ValueError("a sink needs at least one stream")
        self._templates = templates
        self._gate_kind: Kind = "video" if "video" in templates else "audio"
        # Packets or lists of packets (a batch); None: wake up; _REST: close the container for now.
        self._queue: queue.Queue[EncodedPacket | list[EncodedPacket] | object | None] = queue.Queue(
            maxsize=queue_size
        )
        self._wait_s = wait_s
        self._stop = threading.Event()
        self._drain_until = float("inf")
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._put_gated = False  # producer side: waiting for a keyframe after a drop
        # Worker side only.
        self._container: OutputContainer | None = None
        self._streams: dict[Kind, av.stream.Stream] = {}
        self._retry_at = 0.0
        self._failures = 0
        self._video_started = False  # the current container has had its first video keyframe
        # Status, written by the worker (and the producer's drop counter), read by any thread.
        self.state = "starting"
        self.error: str | None = None
        self.packets = 0
        self.dropped = 0
        self.attempts = 0

    # ----- producer side (the encoding thread)
    def put(self, packet: EncodedPacket) -> None:
        """Queue a packet for muxing; a full queue drops (up to the next keyframe) after ``wait_s``."""
        self.put_batch([packet])

    def put_batch(self, packets: list[EncodedPacket]) -> None:
        """Queue packets as one item (one wake-up of the muxing thread); a full queue drops them all, and
        what follows up to the next keyframe, after ``wait_s``."""
        if not packets or not self._admit():
            return
        if self._put_gated:
            start = next((i for i, p in enumerate(packets) if self._starts_gop(p)), len(packets))
            for _ in range(start):
                self._count_drop()
            packets = packets[start:]
            if not packets:
                return
        item: EncodedPacket | list[EncodedPacket] = packets[0] if len(packets) == 1 else packets
        try:
            self._queue.put(item, block=self._wait_s > 0, timeout=self._wait_s or None)
            self._put_gated = False
        except queue.Full:
            self._put_gated = True
            for _ in packets:
                self._count_drop()

    def _admit(self) -> bool:
        """Whether this sink takes packets now (sinks written on demand say no while unwanted)."""
        return True

    def rest(self) -> bool:
        """Close the container once what is queued is muxed (the next packet opens a new one); False if the
        queue is full (ask again later: this never blocks the producer)."""
        try:
            self._queue.put_nowait(_REST)
        except queue.Full:
            return False
        return True

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def request_stop(self, drain_s: float) -> None:
        """Ask the worker to finish: mux what is queued for at most ``drain_s``, then close."""
        self._drain_until = time.monotonic() + drain_s
        self._stop.set()
        try:
            self._queue.put_nowait(None)  # wake an idle worker now (a busy one sees the flag anyway)
        except queue.Full:
            pass

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(max(0.0, timeout))
            if self._thread.is_alive():
                stuck = f"the sink did not stop in time (it was {self.state})"
                self.state, self.error = "abandoned", self.error or stuck
                log.warning("%s sink abandoned: its thread is blocked", self.kind)

    @property
    def busy(self) -> bool:
        """Its thread is still running (not started, or finished: False)."""
        return self._thread is not None and self._thread.is_alive()

    def status(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "state": self.state,
            "error": self.error,
            "packets": self.packets,
            "dropped": self.dropped,
            **self.describe(),
        }

    # ----- what subclasses provide
    def describe(self) -> dict[str, Any]:
        """Where this sink writes (path, url, channel) for the status."""
        return {}

    def _open(self) -> OutputContainer:
        raise NotImplementedError

    def _closed(self, container: OutputContainer) -> None:
        """Called after a container was closed (cleanly or not)."""

    def _batch_done(self) -> None:
        """Called after each queued item is muxed (a packet or a batch of them)."""

    # ----- worker side
    def _run(self) -> None:
        try:
            while (item := self._next_packet()) is not None:
                if item is _REST:
                    self._rest()
                    continue
                for packet in item if isinstance(item, list) else [cast(EncodedPacket, item)]:
                    self._mux(packet)
                self._batch_done()
        finally:
            if self._container is not None:
                try:
                    self._container.close()
                    self.state = "closed"
                except Exception as exc:
                    self.state, self.error = "failed", f"closing: {exc}"
                self._closed(self._container)
            elif self.state != "failed":
                self.state = "closed"
            self._release()

    def _mux(self, packet: EncodedPacket) -> None:
        if not self._accepts(packet):
            self._count_drop()
            return
        try:
            container = self._container or self._open_container()
            container.mux_one(_copy(packet, self._streams[packet.kind]))
        except Exception as exc:
            self._discard()
            self._failed(exc)
            self._count_drop()
            return
        self._video_started |= packet.kind == "video"
        self.packets += 1
        self._failures = 0
        self.state, self.error = "open", None

    def _rest(self) -> None:
        container, self._container = self._container, None
        if container is None:
            return
        try:
            container.close()
            self.state = "idle"
        except Exception as exc:
            self.state, self.error = "idle", f"closing: {exc}"
        self._closed(container)

    def _release(self) -> None:
        """Drop the container, the encoder's stream templates and what is still queued, so the encoders and
        packets go as soon as their owner lets go (never left to the garbage collector)."""
        self._container, self._streams, self._templates = None, {}, {}
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _accepts(self, packet: EncodedPacket) -> bool:
        """Whether to mux this packet: not while failed or backing off, and video only from a keyframe."""
        if self._container is None and (self.state == "failed" or time.monotonic() < self._retry_at):
            return False
        return packet.kind != "video" or self._video_started or packet.keyframe

    def _open_container(self) -> OutputContainer:
        self.attempts += 1
        self._video_started = False
        self.state = "opening"  # a push connects now: the status shows it while that lasts
        self._container = self._open()
        self._streams = {k: self._container.add_stream_from_template(t) for k, t in self._templates.items()}
        return self._container

    def _next_packet(self) -> EncodedPacket | list[EncodedPacket] | object | None:
        """The next queued packet; None once stopping and the queue is empty (or the budget is spent)."""
        while True:
            stopping = self._stop.is_set()
            if stopping and time.monotonic() > self._drain_until:
                return None
            try:
                packet = self._queue.get_nowait() if stopping else self._queue.get(timeout=IDLE_WAIT_S)
            except queue.Empty:
                if stopping:
                    return None
                continue
            if packet is not None:
                return packet

    def _failed(self, exc: Exception) -> None:
        """Record a failure and when to try again (never, without a retry schedule)."""
        self.error = f"{type(exc).__name__}: {exc}"
        log.warning("%s sink: %s", self.kind, self.error)
        if not self.retry_delays:
            self.state, self._retry_at = "failed", float("inf")
            return
        self.state = "retrying"
        delay = self.retry_delays[min(self._failures, len(self.retry_delays) - 1)]
        self._retry_at = time.monotonic() + delay
        self._failures += 1

    def _discard(self) -> None:
        """Close the container after an error (its trailer may fail too: that is expected)."""
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except Exception:
                pass
            self._closed(container)

    def _starts_gop(self, packet: EncodedPacket) -> bool:
        return packet.kind == self._gate_kind and packet.keyframe

    def _count_drop(self) -> None:
        with self._lock:
            self.dropped += 1


def _copy(packet: EncodedPacket, stream: av.stream.Stream) -> av.Packet:
    """A fresh av.Packet for one container (muxing rescales a packet's timestamps in place)."""
    copy = av.Packet(packet.data)
    copy.stream = stream
    copy.time_base = packet.time_base
    copy.pts, copy.dts, copy.duration = packet.pts, packet.dts, packet.duration
    copy.is_keyframe = packet.keyframe
    return copy
