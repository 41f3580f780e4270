"""A player of a stream id rather than of a channel: hand-over between an anchor and the mix that replaces it.

When a mix output takes an input's id (Tencent output_stream_type 0), a CDN switches the players already
watching the anchor to the mix, and back to the anchor when the mix is cancelled or ends: one connection,
no end of stream, timestamps that carry on. :class:`FollowedStream` does that over the LiveHub for HTTP-FLV
and RTMP play. It reads the channel :meth:`LiveHub.playable` names (``mix:<id>``, else the push ``<id>``,
else the relay ``relay:<id>``), and when another one becomes the playable one it subscribes to it too and
switches at that channel's next video keyframe (its GOP cache gives one at once when it has been running):
the new channel's metadata and sequence headers go out first, then its tags, their timestamps shifted to
continue from the last one sent. When the channel being read ends (a mix cancelled) while the id is still
playable elsewhere, it switches there straight away; only when nothing plays the id any more does the
stream end.

The interface is :class:`~emulator.media.live_consumers.Subscription`'s: ``read`` (FLV bytes, the header
first), ``read_tags``, ``dropped`` and ``close``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from emulator.media.flv import FlvTag
from emulator.media.live_consumers import Subscription

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often a waiting read looks at the channel it switches to
IDLE_POLL_S = 0.2  # how often it looks whether another channel plays the id
DEFAULT_STEP_MS = 40  # the gap put between the last tag of one channel and the first of the next
REJOIN_WAIT_S = 0.5  # after the channel read ends: how long to wait for the id to play elsewhere


class Hub(Protocol):
    """The LiveHub, as far as a follower needs it."""

    def playable(self, stream_id: str) -> str | None: ...
    def subscribe(self, channel: str) -> Subscription: ...
    async def find_playable(self, stream_id: str, timeout: float) -> str | None: ...


class FollowedStream:
    """Created inside the event loop that reads it, on the channel ``hub.playable(stream_id)`` named."""

    def __init__(self, hub: Hub, stream_id: str, channel: str) -> None:
        self.stream_id = stream_id
        self._hub = hub
        self._current = hub.subscribe(channel)
        self._next: Subscription | None = None  # the channel being switched to
        self._next_heads: dict[str, FlvTag] = {}  # its metadata and sequence headers seen so far
        self._header: bytes | None = None  # the FLV header, handed out once
        self._offset = 0  # added to the current channel's timestamps
        self._last_ts = 0
        self._step = DEFAULT_STEP_MS
        self._last_video_ts: int | None = None
        self._started = False
        self._rebase = False  # the next tags read start a new channel: continue the timestamps
        self.switches = 0

    @property
    def channel(self) -> str:
        return self._current.channel

    @property
    def dropped(self) -> bool:
        return self._current.dropped

    def close(self) -> None:
        self._current.close()
        if self._next is not None:
            self._next.close()
            self._next = None

    async def read(self, timeout: float) -> bytes | None:
        """The next FLV bytes (the FLV header first); b"" if nothing came within ``timeout``; None at end."""
        got = await self._read(timeout)
        if got is None:
            return None
        head, tags = got
        return head + b"".join(tag.encode() for tag in tags)

    async def read_tags(self, timeout: float) -> list[FlvTag] | None:
        """The next tags; [] if none came within ``timeout``; None at the end of the stream."""
        while True:
            got = await self._read(timeout)
            if got is None or got[1] or not got[0]:
                return None if got is None else got[1]

    # ----- internals
    async def _read(self, timeout: float) -> tuple[bytes, list[FlvTag]] | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._watch()
            if self._next is not None:
                switched = await self._try_switch()
                if switched:
                    return b"", switched
            # While a switch is pending, look at the other channel often; else at least every IDLE_POLL_S.
            poll = POLL_S if self._next is not None else IDLE_POLL_S
            got = await self._current.read_parts(min(poll, max(0.0, deadline - loop.time())))
            if got is None:
                if not await self._rejoin():
                    return None
                continue
            head, tags = got
            if head and self._header is None:
                self._header = head
            else:
                head = b""
            if head or tags:
                return head, self._shifted(tags)
            if loop.time() >= deadline:
                return b"", []

    def _watch(self) -> None:
        """Subscribe to the channel that now plays the id, when it is not the one being read."""
        target = self._hub.playable(self.stream_id)
        if target is None or target == self._current.channel:
            if self._next is not None and target != self._next.channel:
                self._next.close()
                self._next = None
            return
        if self._next is None or self._next.channel != target:
            if self._next is not None:
                self._next.close()
            self._next = self._hub.subscribe(target)
            self._next_heads = {}

    async def _try_switch(self) -> list[FlvTag] | None:
        """Read what the next channel has; at its first video keyframe switch to it and return what goes
        out (its headers, then its tags from the keyframe on, timestamps continued)."""
        assert self._next is not None
        got = await self._next.read_parts(0)
        if got is None:  # it ended before we could switch
            self._next.close()
            self._next = None
            return None
        tags = got[1]
        start = next((i for i, t in enumerate(tags) if t.is_video and t.is_keyframe), None)
        for tag in tags[: len(tags) if start is None else start]:
            if tag.is_metadata or tag.is_sequence_header:
                self._next_heads["meta" if tag.is_metadata else "video" if tag.is_video else "audio"] = tag
        if start is None:
            return None
        return self._switch(tags[start:])

    def _switch(self, tags: list[FlvTag]) -> list[FlvTag]:
        assert self._next is not None
        old, self._current, self._next = self._current, self._next, None
        old.close()
        base = tags[0].timestamp
        self._offset = self._last_ts + (self._step if self._started else 0) - base
        heads = [h.with_timestamp(base) for h in self._next_heads.values()]
        self._next_heads = {}
        self._last_video_ts = None
        self.switches += 1
        log.info("player of %s switched to channel %s", self.stream_id, self._current.channel)
        return self._shifted(heads + tags)

    async def _rejoin(self) -> bool:
        """The channel being read ended: carry on with whatever plays the id now (a pending switch first)."""
        ended = self._current.channel
        self._current.close()
        nxt, self._next = self._next, None
        if nxt is None:
            channel = await self._hub.find_playable(self.stream_id, REJOIN_WAIT_S)
            if channel is None or channel == ended:
                return False
            nxt = self._hub.subscribe(channel)
        # Its bootstrap starts at a keyframe (or its video waits for one), with the headers first, so what
        # goes out decodes; its timestamps continue from ours.
        self._current, self._rebase = nxt, True
        self._last_video_ts = None
        self.switches += 1
        log.info("player of %s continues on channel %s", self.stream_id, nxt.channel)
        return True

    def _shifted(self, tags: list[FlvTag]) -> list[FlvTag]:
        """Timestamps continued across switches and never going back."""
        if self._rebase and tags:
            self._rebase = False
            self._offset = self._last_ts + (self._step if self._started else 0) - tags[0].timestamp
        out = []
        for tag in tags:
            ts = max(self._last_ts, tag.timestamp + self._offset)
            if tag.is_video and not tag.is_sequence_header:
                if self._last_video_ts is not None and 0 < ts - self._last_video_ts < 1000:
                    self._step = ts - self._last_video_ts
                self._last_video_ts = ts
            self._last_ts = ts
            self._started = True
            out.append(tag.with_timestamp(ts) if ts != tag.timestamp else tag)
        return out
