"""The RTMP server: accepts publishers (anchors pushing) and players on one TCP port.

Each connection is an :class:`~emulator.media.rtmp.session.RtmpSession` in its own task; the number of
connections is capped and a connection over the cap is closed at once. ``stop`` closes the listener and
every session, so the server always has a way down.
"""

from __future__ import annotations

import asyncio
import logging

from emulator.core.streams import StreamRegistry
from emulator.media.live import LiveHub
from emulator.media.rtmp.session import RtmpLimits, RtmpSession

log = logging.getLogger(__name__)


class RtmpServer:
    def __init__(
        self,
        hub: LiveHub,
        registry: StreamRegistry,
        host: str = "127.0.0.1",
        port: int = 1935,
        *,
        limits: RtmpLimits | None = None,
    ) -> None:
        self._hub, self._registry = hub, registry
        self._host, self._port = host, port
        self._limits = limits or RtmpLimits()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port listened on (the real one after ``start`` with port 0)."""
        return self._port

    @property
    def connections(self) -> int:
        return len(self._tasks)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)
        self._port = self._server.sockets[0].getsockname()[1]
        log.info("rtmp server listening on rtmp://%s:%d", self._host, self._port)

    async def stop(self) -> None:
        """Stop listening and end every connection (publishers unpublish, players hang up)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5.0)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if len(self._tasks) >= self._limits.max_connections or self._server is None:
            log.warning("rtmp: refusing a connection (%d open)", len(self._tasks))
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await RtmpSession(reader, writer, self._hub, self._registry, self._limits).run()
        except asyncio.CancelledError:
            pass  # stop(): the session's own cleanup already ran
        except Exception:  # a bug must cost one connection, never the server
            log.exception("rtmp: session failed")
            writer.close()
        finally:
            self._tasks.discard(task)
