"""The emulator clock: wall time plus an offset that tests move forward.

Every time rule of the providers (5 s after a push, 30 s session reuse, 15 min idle, token lifetimes,
callback retries) reads this clock, so ``POST /_emulator/clock/advance`` makes them happen at once.
What a client computes from its own clock (signature timestamps and windows) and the ``timestamp`` of
outgoing callbacks read :meth:`EmulatorClock.wall` instead: moving the emulator clock never locks a client
out. Media timestamps never read it: they follow the wall clock (realtime) or the frame count (fast mode).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class EmulatorClock:
    """Thread-safe: the media threads read it, the event loop advances it."""

    def __init__(self, wall: Callable[[], float] = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._lock = threading.Lock()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees it."""
        return self._wall() + self._offset

    def wall(self) -> float:
        """Seconds since the epoch on the wall clock: what clients sign with and receivers check."""
        return self._wall()

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move the clock forward and run every timer now due; returns the new time."""
        if seconds < 0:
            raise ValueError("seconds: the clock only moves forward")
        with self._lock:
            self._offset += seconds
        self.fire_due()
        for listener in list(self._listeners):
            listener()
        return self.now()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._timers.clear()

    def return_to_wall(self) -> float:
        """Move the clock back to wall time, keeping every timer; returns how far it moved back.

        Each pending timer keeps its remaining delay (it moves back with the clock), so none fires early and
        none waits the advanced distance a second time.
        """
        with self._lock:
            back = self._offset
            self._offset = 0.0
            self._timers = [(when - back, seq, callback) for when, seq, callback in self._timers]
            heapq.heapify(self._timers)
        return back

    def call_at(self, when: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` (on whichever thread calls fire_due) once the emulator time reaches ``when``."""
        with self._lock:
            heapq.heappush(self._timers, (when, next(self._seq), callback))

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        self.call_at(self.now() + delay, callback)

    def on_advance(self, listener: Callable[[], None]) -> None:
        """Be told after each advance (rules that poll state, like idle timeouts, re-check then)."""
        self._listeners.append(listener)

    def fire_due(self) -> int:
        """Run the timers whose time has come; the server's ticker calls this a few times a second."""
        due: list[Callable[[], None]] = []
        now = self.now()
        with self._lock:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers)[2])
        for callback in due:
            callback()
        return len(due)
