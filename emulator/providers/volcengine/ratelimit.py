"""Per-account request rate limiting (Volcengine: 10 requests/s per account for the mixing actions).

Off unless ``[providers.volcengine] rate_limit = true`` or ``POST /_emulator/volcengine/rate-limit``.
A sliding one-second window on the emulator clock; refused requests do not count.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

DEFAULT_LIMIT = 10
WINDOW_S = 1.0


class RateLimiter:
    def __init__(
        self, now: Callable[[], float], *, enabled: bool = False, limit: int = DEFAULT_LIMIT
    ) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self.enabled = enabled
        self.limit = limit

    def configure(self, *, enabled: bool, limit: int) -> None:
        with self._lock:
            self.enabled = enabled
            self.limit = limit
            self._hits.clear()

    def allow(self, account: str) -> bool:
        """Count one request of ``account``; False when it is over the limit (and then it is not counted)."""
        if not self.enabled:
            return True
        now = self._now()
        with self._lock:
            hits = self._hits.setdefault(account, deque())
            while hits and hits[0] <= now - WINDOW_S:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True

    def to_dict(self) -> dict[str, object]:
        return {"enabled": self.enabled, "limit": self.limit, "window_s": WINDOW_S}
