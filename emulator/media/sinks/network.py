"""Sinks that send FLV somewhere live: the emulator's own LiveHub channel and rtmp:// pushes.

Both mux FLV into a file-like target that forwards the bytes: :class:`LiveSink` into a LiveHub publisher
(channel ``mix:<stream id>``, which serves HTTP-FLV, RTMP play and other mixes), :class:`PushSink` into an
:class:`~emulator.media.rtmp.client.RtmpPublisher`, the Python RTMP client. FFmpeg's own ``rtmp://`` output
is not used: PyAV holds the GIL while it connects and handshakes, so a slow or silent server would freeze
every thread of the emulator. The Python client's socket calls release the GIL and time out (connect,
handshake, and every write), so a server that stalls costs that push an error and a retry, nothing else.

Each sink runs on its own thread (sinks/base.py), flushes after every batch of packets (a tick's: one write
to the target for the tick's FLV tags, nothing held past the tick) and after an error reconnects with
backoff, its video starting again at a keyframe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import av
from av.container import OutputContainer

from emulator.media.encoder import Kind
from emulator.media.sinks.base import Sink

LIVE_QUEUE = 300  # packets: a few seconds; a live viewer gains nothing from older media
PUSH_QUEUE = 300
# Why a push URL must not be tried (e.g. the outbound allow-list), or None when it may.
PushCheck = Callable[[str], str | None]
PUSH_TIMEOUT_S = 5.0  # connect, handshake and each write of a push
PUSH_RETRY_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
LIVE_RETRY_S = (0.5, 1.0, 2.0, 5.0)
_FLV_OPTIONS = {"flvflags": "no_duration_filesize", "flush_packets": "1"}


class Target(Protocol):
    """A write-only, unseekable byte sink PyAV can mux into; closed by the sink after the container."""

    def write(self, data: bytes) -> Any: ...
    def close(self) -> None: ...


class Hub(Protocol):
    """The LiveHub (emulator/media/live.py), as far as a mix output needs it."""

    def open_publisher(self, channel: str) -> Target: ...
    def exists(self, channel: str) -> bool: ...


class _Coalesced:
    """A target whose writes wait for :meth:`flush`: the FLV tags of a batch of packets leave in one write
    (one pipe message to the server for a worker's live output, one socket send for a push)."""

    def __init__(self, target: Target) -> None:
        self._target = target
        self._held: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._held.append(data)
        return len(data)

    def flush(self) -> None:
        if self._held:
            held, self._held = self._held, []
            write_chunks = getattr(self._target, "write_chunks", None)  # a worker's pipe: joined once there
            if write_chunks is not None:
                write_chunks(held)
            else:
                self._target.write(b"".join(held))

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self._target.close()


class _FlvSink(Sink):
    """FLV into the target :meth:`_target` opens, one target per container."""

    def __init__(self, templates: dict[Kind, av.stream.Stream], *, queue_size: int) -> None:
        super().__init__(templates, queue_size=queue_size)
        self._out: _Coalesced | None = None

    def _target(self) -> Target:
        raise NotImplementedError

    def _open(self) -> OutputContainer:
        self._out = _Coalesced(self._target())
        return av.open(self._out, "w", format="flv", options=_FLV_OPTIONS)

    def _batch_done(self) -> None:
        if self._out is None:
            return
        try:
            self._out.flush()
        except Exception as exc:  # the target failed: as a failed mux, reconnect (or fail) as policy says
            self._discard()
            self._failed(exc)

    def _closed(self, container: OutputContainer) -> None:
        if self._out is not None:
            out, self._out = self._out, None
            try:
                out.close()  # PyAV never closes a file object it was given
            except Exception as exc:
                self.error = self.error or f"{type(exc).__name__}: {exc}"


class LiveSink(_FlvSink):
    """FLV into a LiveHub channel."""

    kind = "live"
    retry_delays = LIVE_RETRY_S

    def __init__(
        self, templates: dict[Kind, av.stream.Stream], hub: Hub, channel: str, *, queue_size: int = LIVE_QUEUE
    ) -> None:
        super().__init__(templates, queue_size=queue_size)
        self._hub = hub
        self.channel = channel

    def describe(self) -> dict[str, Any]:
        return {"channel": self.channel}

    def _target(self) -> Target:
        return self._hub.open_publisher(self.channel)


class PushSink(_FlvSink):
    """FLV over RTMP to a URL the request named (``Output.push_urls``)."""

    kind = "push"
    retry_delays = PUSH_RETRY_S

    def __init__(self, templates: dict[Kind, av.stream.Stream], url: str, refusal: str | None = None) -> None:
        super().__init__(templates, queue_size=PUSH_QUEUE)
        self.url = url
        if not url.lower().startswith("rtmp://"):  # reported, never tried: it cannot work
            self.state, self.error = "failed", "push urls must start with rtmp:// (rtmps is not supported)"
        elif refusal is not None:  # reported, never tried: the emulator may not reach that host
            self.state, self.error = "failed", refusal

    def describe(self) -> dict[str, Any]:
        return {"url": self.url, "attempts": self.attempts}

    def _target(self) -> Target:
        from emulator.media.rtmp.client import RtmpPublisher  # only pushes need it: faster start-up

        return RtmpPublisher(self.url, timeout=PUSH_TIMEOUT_S)
