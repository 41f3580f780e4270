"""HLS of a mix output written only while someone plays it.

Every request for an output's playlist or segments (``/live/<id>/...`` and ``/_emulator/hls/<id>/...``)
calls :meth:`HlsDemand.request`. A mix's HLS sink (sinks/files.py) writes while :meth:`HlsDemand.wanted`
says so: from the first request until IDLE_S seconds of the emulator clock pass without one. Then it ends
its playlist and removes the folder, and the next request starts a fresh playlist (the first playlist
request waits up to FIRST_WAIT_S for its first segment: live_http.py).

HLS the contract needs whoever plays it is not asked: the HLS of RTMP pushes and of the type-0 hand-over
(ingest_hls.py), and an in-process MixPipeline built without a demand (tests, the offline render). With
media workers, the server's HlsDemand forwards each request (at most once per FORWARD_EVERY_S per stream) to
every worker's own HlsDemand, with the server's timestamp.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from emulator.core.clock import EmulatorClock

IDLE_S = 30.0  # emulator-clock seconds without a request after which an output's HLS stops being written
FIRST_WAIT_S = 8.0  # a playlist request for an output not written yet waits this long for its first segment
POLL_S = 0.1  # how often a waiting playlist request looks for the file
FORWARD_EVERY_S = 1.0  # requests of one stream are passed on to the listeners (workers) at most this often

Listener = Callable[[str, float], None]


class HlsDemand:
    """When each stream id's HLS was last requested (emulator clock); thread-safe."""

    def __init__(self, clock: EmulatorClock) -> None:
        self._clock = clock
        self._last: dict[str, float] = {}
        self._forwarded: dict[str, float] = {}
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def on_request(self, listener: Listener) -> None:
        """Be told ``(stream_id, when)`` of requests (at most once per FORWARD_EVERY_S per stream)."""
        self._listeners.append(listener)

    def request(self, stream_id: str, when: float | None = None) -> None:
        """A player asked for ``stream_id``'s HLS at ``when`` (None: now; a worker gets the server's)."""
        now = self._clock.now() if when is None else when
        with self._lock:
            self._last[stream_id] = now
            # abs(): the emulator clock may have been set back to wall time since (/clock/reset)
            forward = abs(now - self._forwarded.get(stream_id, -FORWARD_EVERY_S)) >= FORWARD_EVERY_S
            if forward:
                self._forwarded[stream_id] = now
            # Stamps long past are of no use: drop them so the maps stay as small as the streams played.
            for old in [s for s, t in self._last.items() if abs(now - t) > 2 * IDLE_S]:
                del self._last[old]
                self._forwarded.pop(old, None)
        if forward:
            for listener in list(self._listeners):
                listener(stream_id, now)

    def wanted(self, stream_id: str) -> bool:
        """Whether a request came within the last IDLE_S seconds (a read without a lock: the sinks ask this
        for every packet)."""
        last = self._last.get(stream_id)
        return last is not None and abs(self._clock.now() - last) < IDLE_S

    def watcher(self, stream_id: str) -> Callable[[], bool]:
        """What one output's HLS sink calls to know whether to write."""
        return lambda: self.wanted(stream_id)

    async def serve(self, stream_id: str, path: Path, live: bool) -> None:
        """Note a request for ``path`` of ``stream_id``'s HLS (a route calls this before serving it) if it
        is a ``live`` mix output (other ids are not remembered: a flood of made-up ids costs nothing). When
        its playlist is not written yet (nobody played it until now), wait up to FIRST_WAIT_S for the first
        segment, so the player's first request gets a playlist, not a 404."""
        if not live:
            return
        self.request(stream_id)
        if path.suffix != ".m3u8":
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_WAIT_S
        while not path.is_file() and loop.time() < deadline:
            await asyncio.sleep(POLL_S)
