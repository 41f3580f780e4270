"""The RTMP handshake, server side: C0/C1 in, S0/S1/S2 out, C2 in.

We answer with the simple (non-digest) handshake: S1 carries a zero version field, and clients then skip
digest verification (FFmpeg checks the server digest only when S1 announces version 3 or later) and echo S1
back as C2. S2 echoes C1 as the spec says. Encrypted RTMPE (C0 = 6) is refused.
"""

from __future__ import annotations

import asyncio
import os
import struct
import time
from collections.abc import Callable

RTMP_VERSION = 3
PACKET_SIZE = 1536


class HandshakeError(ValueError):
    """The peer is not speaking plain RTMP."""


async def server_handshake(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    timeout: float,
    on_bytes: Callable[[int], None] | None = None,
) -> None:
    """Complete the handshake within ``timeout`` seconds; raises HandshakeError, TimeoutError or
    asyncio.IncompleteReadError (the caller closes the connection). ``on_bytes`` hears of each part read."""
    async with asyncio.timeout(timeout):
        c0 = await reader.readexactly(1)
        if c0[0] != RTMP_VERSION:
            raise HandshakeError(f"unsupported RTMP version byte {c0[0]}")
        c1 = await reader.readexactly(PACKET_SIZE)
        if on_bytes is not None:
            on_bytes(1 + PACKET_SIZE)
        uptime = int(time.monotonic() * 1000) & 0xFFFFFFFF
        s1 = struct.pack(">II", uptime, 0) + os.urandom(PACKET_SIZE - 8)
        writer.write(bytes((RTMP_VERSION,)) + s1 + c1)
        await writer.drain()
        await reader.readexactly(PACKET_SIZE)  # C2: an echo of S1 (or a digest); nothing depends on it
        if on_bytes is not None:
            on_bytes(PACKET_SIZE)
