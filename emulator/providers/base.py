"""What every provider adapter shares: its name, its routes, native errors, fault injection, journaling.

An adapter subclasses :class:`Provider`. Requests on the shared root path ``/`` (ZEGO's and Volcengine's
``?Action=``) reach ``handle_root`` after :func:`emulator.providers.detect_provider` picked the provider;
other paths (``/common_access``, ``/cgi/...``) are the adapter's own routes from ``add_routes``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, ClassVar

from aiohttp import web

from emulator.core.faults import FaultRule
from emulator.core.request_notes import note_fault

if TYPE_CHECKING:
    from emulator.context import EmulatorContext

# Keys the journal middleware reads to file a request under its provider and action.
PROVIDER_KEY = web.RequestKey("mixemu.provider", str)
ACTION_KEY = web.RequestKey("mixemu.action", str)


class BodyTooLarge(Exception):
    pass


class Provider:
    name: ClassVar[str]

    def __init__(self, ctx: EmulatorContext) -> None:
        self.ctx = ctx

    # ----- to override
    def add_routes(self, app: web.Application) -> None:
        """Mount the provider's own paths (not ``/``)."""

    async def handle_root(self, request: web.Request) -> web.StreamResponse:
        """Answer a request to ``/`` that detect_provider attributed to this provider."""
        return self.error_response(request, status=404, message="no such action")

    def error_response(self, request: web.Request, *, status: int, message: str) -> web.Response:
        """A native error for failures outside any action's logic (oversized body, internal error)."""
        raise NotImplementedError

    def fault_response(self, request: web.Request, rule: FaultRule, action: str) -> web.Response:
        """An injected fault rendered in the native envelope."""
        raise NotImplementedError

    def answer_code(self, response: Any) -> tuple[int | str | None, bool]:
        """The native result code of an answer this provider sent (parsed JSON) and whether it is an error,
        whatever its HTTP status: providers answer most errors with HTTP 200."""
        return None, False

    def reset(self) -> None:
        """Forget provider state (sessions, tokens, sequences): the control API's reset."""

    # ----- helpers for adapters
    def mark(self, request: web.Request, action: str | None) -> None:
        """File this request under the provider (and action, once known) in the journal."""
        request[PROVIDER_KEY] = self.name
        request[ACTION_KEY] = action

    async def injected_fault(self, request: web.Request, action: str) -> web.Response | None:
        """Apply a matching fault rule: wait its delay, then return its native error (None = go on)."""
        rule = self.ctx.faults.match(self.name, action)
        if rule is None:
            return None
        note_fault(rule.id)
        if rule.delay_ms:
            await asyncio.sleep(rule.delay_ms / 1000)
        return None if rule.code is None else self.fault_response(request, rule, action)

    def signature_time(self, action: str) -> float:
        """The time a signature's timestamp is checked against: the wall clock (clients sign with theirs,
        whatever the emulator clock says), moved by a matching fault's ``clock_skew_s``."""
        rule = self.ctx.faults.match(self.name, action, skew=True)
        if rule is None or rule.clock_skew_s is None:
            return self.ctx.clock.wall()
        note_fault(rule.id)  # the journal names the skew fault that applied
        return self.ctx.clock.wall() + rule.clock_skew_s

    async def read_body(self, request: web.Request) -> bytes:
        """The request body, or BodyTooLarge past the configured cap."""
        try:
            return await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise BodyTooLarge() from None
