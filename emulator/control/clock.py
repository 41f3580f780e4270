"""The clock routes beyond the contract's advance: back to wall time without stopping anything, and the
check of a fault's ``clock_skew_s``.

``POST /_emulator/clock/reset`` sets the emulator clock back to wall time and keeps every task, stream,
session and timer. A pending timer (idle end, callback retry, max duration) keeps its remaining delay.
Instants recorded while the clock was ahead (a push's publish time, a task's start, a session's cancel, a
token's expiry) keep their values: rules that measure from them see them in the future until the wall clock
reaches them (docs and README: "Clocks").
"""

from __future__ import annotations

import math
from typing import Any

from aiohttp import web

from emulator.control.context_key import context_of

MAX_SKEW_S = 10 * 365 * 86400


def clock_skew_check(value: Any) -> str | None:
    if not math.isfinite(value) or abs(value) > MAX_SKEW_S:
        return f"a finite number of seconds within ±{MAX_SKEW_S}"
    return None


async def clock_reset(request: web.Request) -> web.Response:
    clock = context_of(request).clock
    moved_back = clock.return_to_wall()
    return web.json_response({"now": clock.now(), "offset": clock.offset, "moved_back": moved_back})
