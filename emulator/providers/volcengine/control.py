"""Volcengine's own control routes, under ``/_emulator/volcengine/``.

- ``GET /_emulator/volcengine/rate-limit`` -> ``{"enabled", "limit", "window_s"}``
- ``POST /_emulator/volcengine/rate-limit`` ``{"enabled": bool, "limit"?: 1..1000}`` switches the
  per-account FlowLimitExceeded rule (10 requests/s by default) on or off until the next reset, which goes
  back to ``[providers.volcengine] rate_limit`` / ``rate_limit_per_s`` of the config.
"""

from __future__ import annotations

from aiohttp import web

from emulator.control.validation import Field, in_range, read_json_object, validate
from emulator.providers.volcengine.ratelimit import RateLimiter

RATE_LIMIT_PATH = "/_emulator/volcengine/rate-limit"


def add_control_routes(app: web.Application, limiter: RateLimiter) -> None:
    async def get_rate_limit(request: web.Request) -> web.Response:
        return web.json_response(limiter.to_dict())

    async def set_rate_limit(request: web.Request) -> web.Response:
        body = validate(
            await read_json_object(request),
            {"enabled": Field(bool, required=True), "limit": Field(int, check=in_range(1, 1000))},
        )
        limiter.configure(enabled=body["enabled"], limit=body["limit"] or limiter.limit)
        return web.json_response(limiter.to_dict())

    app.router.add_get(RATE_LIMIT_PATH, get_rate_limit)
    app.router.add_post(RATE_LIMIT_PATH, set_rate_limit)
