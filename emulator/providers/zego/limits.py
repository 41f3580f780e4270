"""Request limits of ZEGO's mixing service: one request at a time per UserId (its "distributed lock",
110200005/006) and a per-AppId rate (110200194, 100 requests/s documented)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

from emulator.providers.zego.errors import REQUEST_OVERLOAD, ZegoError


class UserLocks:
    """A UserId whose previous start/stop is still being processed is refused, not queued."""

    def __init__(self) -> None:
        self._busy: set[tuple[int, str]] = set()

    @contextmanager
    def hold(self, app_id: int, user: str, busy_code: int) -> Iterator[None]:
        key = (app_id, user)
        if key in self._busy:
            raise ZegoError(busy_code, f"UserId {user!r} has a request in progress")
        self._busy.add(key)
        try:
            yield
        finally:
            self._busy.discard(key)


class RateLimiter:
    """At most ``limit`` requests per second (emulator clock) per AppId."""

    def __init__(self) -> None:
        self._hits: dict[int, deque[float]] = {}

    def check(self, app_id: int, limit: int, now: float) -> None:
        hits = self._hits.setdefault(app_id, deque())
        while hits and hits[0] <= now - 1.0:
            hits.popleft()
        if len(hits) >= limit:
            raise ZegoError(REQUEST_OVERLOAD, f"more than {limit} requests in a second for AppId {app_id}")
        hits.append(now)

    def clear(self) -> None:
        self._hits.clear()
