"""Where the app keeps its :class:`EmulatorContext`: the handlers of every control module read it from the
request (module-level handlers, not closures over a context, so each request runs the handler's own code)."""

from __future__ import annotations

from aiohttp import web

from emulator.context import EmulatorContext

CTX = web.AppKey("ctx", EmulatorContext)


def context_of(request: web.Request) -> EmulatorContext:
    return request.app[CTX]
