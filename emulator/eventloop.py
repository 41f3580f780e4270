"""The event loop the emulator runs on: asyncio's selector loop, without a reference cycle per connection.

On CPython 3.11 a socket transport keeps a bound method of itself (``_read_ready_cb``) after it has closed,
so each closed connection (every request of a client that does not keep connections alive) stays in
memory with its socket object until the garbage collector runs, which the standalone server does rarely
(``server.tune_collector``). CPython 3.12 clears it in ``close()``; this transport clears it once it has
told its protocol the connection is lost, so a closed connection is freed at once.
"""

from __future__ import annotations

import asyncio
from asyncio import selector_events
from typing import Any


class _SocketTransport(selector_events._SelectorSocketTransport):
    def _call_connection_lost(self, exc: BaseException | None) -> None:
        try:
            super()._call_connection_lost(exc)
        finally:
            self._read_ready_cb = None  # the bound method that kept this transport in a cycle


class EmulatorEventLoop(asyncio.SelectorEventLoop):
    """A selector loop whose plain TCP transports let go of themselves when closed."""

    def _make_socket_transport(  # type: ignore[override]
        self, sock: Any, protocol: Any, waiter: Any = None, *, extra: Any = None, server: Any = None
    ) -> _SocketTransport:
        return _SocketTransport(self, sock, protocol, waiter, extra, server)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The loop for the server (``serve``) and for an emulator in a thread (``EmulatorThread``)."""
    return EmulatorEventLoop()
