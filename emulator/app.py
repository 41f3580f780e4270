"""The aiohttp application: provider endpoints, the control API and live playback on one port.

Middlewares make every failure a JSON answer (the provider's own envelope for provider requests) and file
each provider request in the journal. A ticker drives the emulator clock's timers and the task rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web

from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.control.access import control_access, ensure_control_token
from emulator.control.context_key import CTX
from emulator.control.routes import add_control_routes
from emulator.control.validation import FieldError, json_error
from emulator.core.eventlog import log_request, log_task_event
from emulator.core.httpnoise import quiet_client_http_errors
from emulator.core.request_notes import request_notes
from emulator.core.tasks import PipelineFactory
from emulator.providers import identify_provider, load_providers
from emulator.providers.base import ACTION_KEY, PROVIDER_KEY, Provider

log = logging.getLogger(__name__)

TICK_S = 0.1
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def create_app(settings: Settings, pipeline_factory: PipelineFactory | None = None) -> web.Application:
    ctx = EmulatorContext.create(settings, pipeline_factory)
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[_errors_middleware, _journal_middleware, control_access],
    )
    app[CTX] = ctx
    ensure_control_token(settings)
    quiet_client_http_errors()
    ctx.clock.on_advance(ctx.tasks.tick)
    ctx.tasks.subscribe(log_task_event)  # idle rules are re-checked the moment a test moves the clock
    ctx.providers = load_providers(ctx)
    for provider in ctx.providers.values():
        provider.add_routes(app)
    add_control_routes(app)
    from emulator.media.live_http import add_live_routes

    add_live_routes(app, ctx.hub, settings.data_dir / "hls", demand=ctx.hls_demand)
    app.router.add_route("*", "/", _root)
    app.cleanup_ctx.append(_background)
    app.on_shutdown.append(_stop_media)
    return app


async def _root(request: web.Request) -> web.StreamResponse:
    """``/`` is shared by ZEGO's and Volcengine's ``?Action=`` APIs (and Tencent API 3.0)."""
    ctx = request.app[CTX]
    name = await identify_provider(request)
    if name is None:
        return json_error(
            404,
            "UnknownRequest",
            "no emulated provider recognises this request: ZEGO and Volcengine use /?Action=..., "
            "Tencent uses POST /common_access; the control API is under /_emulator",
        )
    provider = ctx.providers.get(name)
    if provider is None:
        mounted = ", ".join(sorted(ctx.providers)) or "none"
        return json_error(
            501,
            "ProviderNotImplemented",
            f"the {name} provider is not implemented in this emulator (implemented: {mounted})",
        )
    return await provider.handle_root(request)


@web.middleware
async def _errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except FieldError as exc:
        return json_error(exc.status, exc.code, exc.message, field=exc.field)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        provider = _provider_of(request)
        if provider is not None:
            return provider.error_response(request, status=exc.status, message=exc.reason)
        return json_error(
            exc.status, exc.reason.replace(" ", ""), f"{exc.reason}: {request.method} {request.path}"
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        provider = _provider_of(request)
        if provider is not None:
            return provider.error_response(request, status=500, message="internal error")
        return json_error(500, "InternalError", "the emulator failed on this request; see its log")


def _provider_of(request: web.Request) -> Provider | None:
    name = request.get(PROVIDER_KEY)
    return None if name is None else request.app[CTX].providers.get(name)


@web.middleware
async def _journal_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(("/_emulator", "/live/")):
        return await handler(request)
    started = time.perf_counter()
    with request_notes() as notes:
        response = await handler(request)
    ctx = request.app[CTX]
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge:
        body = b"(body over the size limit)"
    provider = _provider_of(request)
    entry = ctx.journal.record(
        time=ctx.clock.now(),
        provider=request.get(PROVIDER_KEY),
        action=request.get(ACTION_KEY),
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=dict(request.headers),
        body=body,
        status=response.status,
        response=response.body
        if isinstance(response, web.Response) and isinstance(response.body, bytes)
        else b"",
        duration_ms=(time.perf_counter() - started) * 1000,
        fault=notes.fault,
        task=notes.task,
        answer_code=None if provider is None else provider.answer_code,
    )
    log_request(entry)
    return response


async def _background(app: web.Application) -> AsyncIterator[None]:
    """Start the ticker and the RTMP server with the app; stop everything with it."""
    ctx = app[CTX]
    if ctx.workers is not None:
        ctx.workers.start()  # spawned now, so the first StartMix finds them ready
    ticker = asyncio.create_task(_tick(ctx))
    rtmp = ingest_hls = None
    if ctx.settings.rtmp_port is not None:
        from emulator.media.ingest_hls import IngestHls
        from emulator.media.rtmp.server import RtmpServer

        ingest_hls = IngestHls(ctx.hub, ctx.settings.data_dir)  # pushes play over HLS too
        rtmp = RtmpServer(ctx.hub, ctx.registry, host=ctx.settings.host, port=ctx.settings.rtmp_port)
        await rtmp.start()
        ctx.rtmp_port = rtmp.port
    try:
        yield
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        await _stop_media(app)  # already done on a graceful shutdown (nothing left to stop then)
        if ctx.workers is not None:
            await asyncio.to_thread(ctx.workers.close)
        await ctx.callbacks.close()
        if rtmp is not None:
            await rtmp.stop()
        if ingest_hls is not None:
            await asyncio.to_thread(ingest_hls.stop_all)  # the hub's channels ended: writers finish now


async def _stop_media(app: web.Application) -> None:
    """Stop every task (its recordings finalised) and relay, then end the live channels, so players of
    HTTP-FLV streams finish too: runs before the server waits for its open requests (on shutdown)."""
    ctx = app[CTX]
    await ctx.tasks.stop_all()
    await asyncio.to_thread(ctx.relays.stop_all)
    ctx.hub.close_all()


async def _tick(ctx: EmulatorContext) -> None:
    while True:
        await asyncio.sleep(TICK_S)
        try:
            ctx.clock.fire_due()
            ctx.tasks.tick()
            ctx.relays.tick(time.monotonic())
        except Exception:
            log.exception("ticker")
