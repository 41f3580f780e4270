"""The RTMP server: accepts publishers (anchors pushing) and players on one TCP port.

Each connection is an :class:`~emulator.media.rtmp.session.RtmpSession` in its own task. Connections are
capped in all and per peer address. At a cap, a newcomer takes the place of a connection still setting up
(neither publishing nor playing), the one sending at the slowest pace: clients that hold slots without
using them, or trickle a byte at a time, cannot lock a real publisher out, and a session gets only
``setup_timeout`` to start publishing or playing anyway.
With every slot publishing or playing, the newcomer is closed at once. ``stop`` closes the listener and
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
        self._sessions: dict[asyncio.Task[None], tuple[str, RtmpSession]] = {}  # in order of arrival

    @property
    def port(self) -> int:
        """The port listened on (the real one after ``start`` with port 0)."""
        return self._port

    @property
    def connections(self) -> int:
        """Connections holding a slot (one being closed to make room no longer does)."""
        return len(self._sessions)

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

    def _make_room(self, host: str) -> bool:
        """Whether a connection from ``host`` may come in, after closing a connection still setting up if
        a cap is reached."""
        from_peer = [t for t, (h, _) in self._sessions.items() if h == host]
        if len(from_peer) >= self._limits.max_per_peer:
            crowd = from_peer
        elif len(self._sessions) >= self._limits.max_connections:
            crowd = list(self._sessions)
        else:
            return True
        pending = [t for t in crowd if not self._sessions[t][1].established]
        if not pending:
            return False
        slowest = min(pending, key=lambda t: self._sessions[t][1].pace)
        _, session = self._sessions.pop(slowest)  # its slot is free now; its task ends on its own
        session.close_now("a newer connection needs the slot of one still setting up")
        return True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        if self._server is None or not self._make_room(host):
            log.warning("rtmp: refusing a connection from %s (%d open)", host, len(self._tasks))
            writer.close()
            return
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = RtmpSession(reader, writer, self._hub, self._registry, self._limits)
        self._sessions[task] = (host, session)
        try:
            await session.run()
        except asyncio.CancelledError:
            pass  # stop(): the session's own cleanup already ran
        except Exception:  # a bug must cost one connection, never the server
            log.exception("rtmp: session failed")
            writer.close()
        finally:
            self._tasks.discard(task)
            self._sessions.pop(task, None)
