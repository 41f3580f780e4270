"""Running the emulator: on the current event loop (the CLI) or in a background thread (tests, the plugin)."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from emulator.app import create_app
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.control.context_key import CTX
from emulator.core.tasks import PipelineFactory
from emulator.eventloop import new_event_loop

START_TIMEOUT_S = 20.0
GC_THRESHOLDS = (20_000, 50, 50)  # Python's default is (700, 10, 10)
REQUEST_GRACE_S = 3.0  # on shutdown, after the tasks stopped: how long open requests may still finish

DEMO_STREAMS: tuple[dict[str, Any], ...] = (
    {"stream_id": "demo_bars", "source": "pattern:bars?size=640x360&fps=25&tone=440", "room_id": "demo_room"},
    {"stream_id": "demo_red", "source": "pattern:color?color=#cc0033&size=320x240", "room_id": "demo_room"},
    {"stream_id": "demo_blue", "source": "pattern:color?color=#3366ff&size=320x240&tone=660"},
)


class RunningEmulator:
    """A started emulator: its runner (to stop it) and its context (to inspect it)."""

    def __init__(self, runner: web.AppRunner, ctx: EmulatorContext) -> None:
        self.runner = runner
        self.ctx = ctx

    @property
    def url(self) -> str:
        return f"http://{self.ctx.settings.host}:{self.ctx.http_port}"

    async def stop(self) -> None:
        await self.runner.cleanup()


async def start_emulator(
    settings: Settings, pipeline_factory: PipelineFactory | None = None
) -> RunningEmulator:
    app = create_app(settings, pipeline_factory)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=REQUEST_GRACE_S)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    try:
        await site.start()
    except BaseException:  # the port is taken: stop what setup started (the ticker, the RTMP server)
        await runner.cleanup()
        raise
    ctx = app[CTX]
    server = site._server  # aiohttp exposes the bound port only through the asyncio server
    assert server is not None and server.sockets
    ctx.http_port = server.sockets[0].getsockname()[1]
    if settings.demo:
        publish_demo_streams(ctx)
    return RunningEmulator(runner, ctx)


def tune_collector() -> None:
    """For the standalone server: nothing of a task waits for the garbage collector (tasks release what
    they hold themselves), so it may run rarely, and never again over what start-up loaded; its full
    passes over a hundred running tasks otherwise stall every thread for tens of milliseconds."""
    import emulator.media.renderer  # noqa: F401 - what the first task would load: frozen with the rest

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def publish_demo_streams(ctx: EmulatorContext) -> None:
    from emulator.media.probe import probe  # synthetic sources probe in milliseconds

    for stream in DEMO_STREAMS:
        ctx.registry.publish(
            stream["stream_id"], stream["source"], room_id=stream.get("room_id"), info=probe(stream["source"])
        )


class EmulatorThread:
    """The emulator on its own event loop in a daemon thread, for synchronous callers (tests, SDKs)."""

    def __init__(self, settings: Settings, pipeline_factory: PipelineFactory | None = None) -> None:
        self.settings = settings
        self._factory = pipeline_factory
        self._loop = new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mix-emulator", daemon=True)
        self.running: RunningEmulator | None = None

    def start(self) -> EmulatorThread:
        self._thread.start()
        self.running = self.call(start_emulator(self.settings, self._factory), timeout=START_TIMEOUT_S)
        return self

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
        """Run a coroutine on the emulator's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    @property
    def ctx(self) -> EmulatorContext:
        assert self.running is not None, "not started"
        return self.running.ctx

    @property
    def url(self) -> str:
        assert self.running is not None, "not started"
        return self.running.url

    def stop(self) -> None:
        if self.running is not None:
            self.call(self.running.stop())
            self.running = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()
