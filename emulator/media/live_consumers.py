"""Consumers of a LiveHub channel: a bounded queue of FLV tags each, filled by the hub, drained by one reader.

:class:`Subscription` serves asyncio readers (HTTP-FLV, RTMP play); :class:`LiveReader` is a blocking,
non-seekable file-like object for PyAV in a thread. The hub pushes under its own lock and never waits: a
consumer whose queue would overflow is dropped (its stream ends). Timestamps are rebased so every consumer's
stream starts at 0, like a fresh file.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable

from emulator.media.flv import FlvTag

TAG_OVERHEAD = 15  # tag header + PreviousTagSize: counted so tiny tags cannot grow a queue unbounded


class Consumer:
    """One consumer's bounded queue. The hub pushes under its own lock; the consumer drains it."""

    def __init__(self, channel: str, max_bytes: int, detach: Callable[[Consumer], None]) -> None:
        self.channel = channel
        self._detach = detach  # tells the hub to stop feeding us
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._tags: deque[FlvTag] = deque()
        self._queued = 0
        self._header: bytes | None = None  # set on attach, handed out once before the first tag
        self._ended = False
        self._dropped = False
        self._armed = False  # the consumer is (about to be) waiting: the next push must wake it
        self._base_ts: int | None = None  # timestamps are rebased so each consumer starts at 0
        self._skip_video = False  # joined without a usable GOP: video waits for the next keyframe

    @property
    def dropped(self) -> bool:
        """True when the hub cut this consumer off for falling behind."""
        return self._dropped

    @property
    def attached(self) -> bool:
        """True once the channel has a publisher and this consumer is receiving it."""
        return self._header is not None

    def close(self) -> None:
        """Stop receiving; safe to call twice, from any thread."""
        self._detach(self)
        self.end(discard=True)

    # -- the hub's side: called with the hub's lock held ----------------------------------------------
    def attach(self, header: bytes, bootstrap: list[FlvTag], need_keyframe: bool) -> bool:
        """Start receiving a publisher: its FLV header, then ``bootstrap`` (cached tags for a late joiner);
        False if they overflow the queue."""
        with self._lock:
            self._header = header
            self._skip_video = need_keyframe
            if self._armed:
                self._armed = False
                self._notify()
        return all(self.push(tag) for tag in bootstrap)

    def push(self, tag: FlvTag) -> bool:
        """Queue a tag; False when the queue is full (the hub then drops this consumer)."""
        with self._lock:
            if self._ended:
                return True
            if self._skip_video and tag.is_video and not tag.is_sequence_header:
                if not tag.is_keyframe:
                    return True
                self._skip_video = False
            if self._base_ts is None:
                self._base_ts = tag.timestamp
            size = len(tag.data) + TAG_OVERHEAD
            if self._queued + size > self._max_bytes:
                return False
            self._tags.append(tag.with_timestamp(max(0, tag.timestamp - self._base_ts)))
            self._queued += size
            if self._armed:
                self._armed = False
                self._notify()
        return True

    def end(self, *, discard: bool, dropped: bool = False) -> None:
        """No more tags. ``discard`` throws away what is queued; otherwise the consumer drains it first."""
        with self._lock:
            if discard:
                self._tags.clear()
                self._queued = 0
                if self._header:
                    self._header = b""
            self._dropped = self._dropped or dropped
            self._ended = True
            self._armed = False
            self._notify()

    # -- consumer side ------------------------------------------------------------------------------
    def _take_locked(self) -> tuple[bytes, list[FlvTag]] | None:
        """(header, tags) now queued, possibly both empty; None at the end. Caller holds the lock."""
        head = b""
        if self._header:
            head, self._header = self._header, b""  # b"" = attached, the header already handed out
        tags = list(self._tags)
        self._tags.clear()
        self._queued = 0
        if not head and not tags:
            if self._ended:
                return None
            self._armed = True
        return head, tags

    def _notify(self) -> None:
        """Wake the waiting consumer; called with ``self._lock`` held, from any thread."""
        raise NotImplementedError


class Subscription(Consumer):
    """An asyncio consumer (HTTP-FLV, RTMP play); ``LiveHub.subscribe`` makes one inside the loop."""

    def __init__(
        self,
        channel: str,
        max_bytes: int,
        detach: Callable[[Consumer], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(channel, max_bytes, detach)
        self._loop = loop
        self._event = asyncio.Event()

    def _notify(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._event.set)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            pass

    async def _next(self, timeout: float, *, tags_only: bool) -> tuple[bytes, list[FlvTag]] | None:
        """What is queued (waiting up to ``timeout`` for something); ``tags_only``: the FLV header alone
        does not count (RTMP play has no use for it)."""
        deadline = self._loop.time() + timeout
        while True:
            self._event.clear()
            with self._lock:
                got = self._take_locked()
            if got is None or got[1] or (got[0] and not tags_only):
                return got
            remaining = deadline - self._loop.time()
            if remaining <= 0:
                return got
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                return b"", []

    async def read_parts(self, timeout: float) -> tuple[bytes, list[FlvTag]] | None:
        """The FLV header (b"" after the first time) and the tags queued, waiting up to ``timeout`` for
        something; None at the end (live_follow.py switches channels with it)."""
        return await self._next(timeout, tags_only=False)

    async def read(self, timeout: float) -> bytes | None:
        """The next FLV bytes (the FLV header first); b"" if nothing came within ``timeout``; None at end."""
        got = await self._next(timeout, tags_only=False)
        if got is None:
            return None
        head, tags = got
        return head + b"".join(tag.encode() for tag in tags)

    async def read_tags(self, timeout: float) -> list[FlvTag] | None:
        """The next tags; [] if none came within ``timeout``; None at the end of the stream."""
        got = await self._next(timeout, tags_only=True)
        return None if got is None else got[1]


class LiveReader(Consumer):
    """A blocking, non-seekable file-like view of a channel for PyAV: ``av.open(reader, format="flv")``.

    ``read(n)`` waits up to ``timeout`` seconds for data and returns b"" (end of file) when the channel
    ends, when it never appears within ``timeout`` or when it stalls that long; after that it stays ended.
    ``close()`` from another thread wakes a blocked ``read``.
    """

    def __init__(
        self, channel: str, max_bytes: int, detach: Callable[[Consumer], None], timeout: float
    ) -> None:
        super().__init__(channel, max_bytes, detach)
        self._timeout = timeout
        self._cond = threading.Condition(self._lock)
        self._pending = b""
        self._offset = 0

    def _notify(self) -> None:
        self._cond.notify_all()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        if self._offset >= len(self._pending):
            data = self._wait_for_data()
            if not data:
                self.close()
                return b""
            self._pending, self._offset = data, 0
        end = len(self._pending) if n is None or n < 0 else self._offset + n
        chunk = self._pending[self._offset : end]
        self._offset += len(chunk)
        return chunk

    def _wait_for_data(self) -> bytes:
        deadline = time.monotonic() + self._timeout
        with self._cond:
            while True:
                got = self._take_locked()
                if got is None:
                    return b""
                head, tags = got
                if head or tags:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return b""
                self._cond.wait(remaining)
        return head + b"".join(tag.encode() for tag in tags)

    def __enter__(self) -> LiveReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
