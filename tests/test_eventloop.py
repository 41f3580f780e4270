"""The server's event loop frees a closed connection at once: on CPython 3.11 asyncio's socket transport
stays in a reference cycle with its own bound method after it closed, so without emulator/eventloop.py
every request of a client that opens a connection per request (urllib, most SDKs) would wait for the
garbage collector, which the standalone server runs rarely."""

from __future__ import annotations

import gc
from asyncio import selector_events
from pathlib import Path

from emulator.client import ControlClient
from emulator.config import Settings
from emulator.server import EmulatorThread

REQUESTS = 50


def _transports() -> int:
    return sum(isinstance(o, selector_events._SelectorSocketTransport) for o in gc.get_objects())


def test_closed_connections_are_freed_without_the_garbage_collector(tmp_path: Path) -> None:
    emulator = EmulatorThread(Settings(port=0, rtmp_port=None, data_dir=tmp_path, media_workers=0)).start()
    client = ControlClient(emulator.url)
    was_enabled = gc.isenabled()
    try:
        client.health()  # whatever the first request loads
        gc.collect()
        gc.disable()
        before = _transports()
        for _ in range(REQUESTS):  # urllib: a new connection per request, closed after the answer
            client.health()
        client.health()  # answered once the earlier connections ended (this one may be open)
        left = _transports() - before
    finally:
        if was_enabled:
            gc.enable()
        emulator.stop()
    assert left <= 2, f"{left} of {REQUESTS} closed connections' transports still in memory"
