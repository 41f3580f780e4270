"""The RTMP server: chunk stream unit tests, then real FFmpeg clients (through PyAV) publishing and playing.

The publisher runs in a child process, as an anchor's app would: PyAV 18 holds the GIL while FFmpeg's RTMP
client opens its connection, so an in-process publisher would wait forever on a server that cannot run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import socket
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import av
import numpy as np
import pytest
from aiohttp import web

from emulator.core.clock import EmulatorClock
from emulator.core.streams import StreamRegistry
from emulator.media.clips import write_clip
from emulator.media.flv import FlvTag, flv_header
from emulator.media.live import LiveHub
from emulator.media.live_http import add_live_routes
from emulator.media.rtmp import amf0, chunks
from emulator.media.rtmp.client import RtmpPublisher, RtmpPushError
from emulator.media.rtmp.server import RtmpServer
from emulator.media.rtmp.session import RtmpLimits

FAST_PROBE = {"fpsprobesize": "0", "rw_timeout": "3000000"}
FLV_HEADER = flv_header()

# Pushes a clip to an rtmp:// URL in real time, looping, until its stdin closes (then unpublishes cleanly).


# -- chunk stream ---------------------------------------------------------------------------------------
def _feed_bytewise(parser: chunks.ChunkParser, data: bytes) -> list[chunks.Message]:
    return [m for i in range(len(data)) for m in parser.feed(data[i : i + 1])]


def test_chunk_writer_and_parser_round_trip() -> None:
    writer, parser = chunks.ChunkWriter(), chunks.ChunkParser(1 << 20)
    messages = [
        chunks.Message(chunks.COMMAND_AMF0, 0, 0, b"c" * 10),
        chunks.Message(chunks.VIDEO, 1, 40, bytes(range(256)) * 3),  # several 128-byte chunks
        chunks.Message(chunks.AUDIO, 1, 0x1234567, b"a" * 300),  # extended timestamp on every chunk
        chunks.Message(chunks.AUDIO, 1, 50, b""),
    ]
    wire = b"".join(writer.encode(6 if m.type_id == chunks.VIDEO else 4, m) for m in messages)
    assert _feed_bytewise(parser, wire) == messages
    writer.chunk_size = 4096  # after we announce it, and the peer applies the same
    big = chunks.Message(chunks.VIDEO, 1, 80, b"v" * 10_000)
    set_size = chunks.Message(chunks.SET_CHUNK_SIZE, 0, 0, struct.pack(">I", 4096))
    wire = chunks.ChunkWriter().encode(2, set_size) + writer.encode(6, big)
    assert parser.feed(wire) == [big] and parser.chunk_size == 4096


def test_parser_applies_compressed_headers_like_ffmpeg_writes_them() -> None:
    def header(fmt: int, csid: int) -> bytes:
        if csid < 64:
            return bytes((fmt << 6 | csid,))
        if csid < 320:
            return bytes((fmt << 6, csid - 64))
        return bytes((fmt << 6 | 1,)) + struct.pack("<H", csid - 64)

    for csid in (4, 100, 1000):  # 1-, 2- and 3-byte chunk stream ids
        wire = (
            header(0, csid) + (1000).to_bytes(3, "big") + (3).to_bytes(3, "big") + b"\x08" + b"\x01\0\0\0abc"
            + header(2, csid) + (20).to_bytes(3, "big") + b"def"  # same length/type, delta 20
            + header(3, csid) + b"ghi"  # everything repeats, the delta too
            + header(1, csid) + (5).to_bytes(3, "big") + (2).to_bytes(3, "big") + b"\x09" + b"jk"
        )  # fmt: skip
        got = chunks.ChunkParser(1024).feed(wire)
        assert [(m.timestamp, m.type_id, m.stream_id, m.payload) for m in got] == [
            (1000, 8, 1, b"abc"),
            (1020, 8, 1, b"def"),
            (1040, 8, 1, b"ghi"),
            (1045, 9, 1, b"jk"),
        ]


def test_extended_timestamp_on_continuations_is_optional() -> None:
    ts = (0x2000000).to_bytes(4, "big")
    start = b"\x04\xff\xff\xff" + (200).to_bytes(3, "big") + b"\x08\x01\0\0\0" + ts + b"x" * 128
    for continuation in (b"\xc4" + ts, b"\xc4"):  # FFmpeg repeats it; other clients do not
        [message] = chunks.ChunkParser(1024).feed(start + continuation + b"y" * 72)
        assert message.timestamp == 0x2000000 and message.payload == b"x" * 128 + b"y" * 72


@pytest.mark.parametrize(
    ("wire", "error"),
    [
        (b"\x03\0\0\0\xff\xff\xff\x14\0\0\0\0", "exceeds"),  # a 16 MiB command
        (b"\xc3", "starts with"),  # a chunk stream cannot begin with a type-3 header
        (b"\x02\0\0\0\0\0\x04\x01\0\0\0\0\0\0\0\0", "invalid chunk size"),  # Set Chunk Size 0
        (b"".join(bytes((0, i)) + bytes(11) for i in range(70)), "too many"),  # 70 chunk streams
    ],
)
def test_parser_limits(wire: bytes, error: str) -> None:
    with pytest.raises(chunks.ChunkError, match=error):
        chunks.ChunkParser(1 << 20).feed(wire)


# -- a real server ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def red_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("rtmp") / "red.flv"
    return write_clip(path, size=(160, 90), fps=25, duration=1.0, video="color:#ff0000", gop=10)


@asynccontextmanager
async def rtmp_server(
    hub: LiveHub | None = None, **limits: float
) -> AsyncIterator[tuple[RtmpServer, LiveHub, StreamRegistry]]:
    hub, registry = hub or LiveHub(), StreamRegistry(EmulatorClock())
    server = RtmpServer(hub, registry, port=0, limits=RtmpLimits(**limits))
    await server.start()
    try:
        yield server, hub, registry
    finally:
        await server.stop()
        hub.close_all()


async def start_publisher(url: str, clip: Path) -> asyncio.subprocess.Process:
    # `mix-emulator push`: FFmpeg's RTMP client in a child process, paced in real time, looping.
    command = [sys.executable, "-m", "emulator", "push", str(clip), url, "--until-stdin-closes"]
    return await asyncio.create_subprocess_exec(*command, stdin=subprocess.PIPE)


async def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


def _first_frames(target, count: int = 5, **kwargs) -> list[np.ndarray]:
    with av.open(target, options=FAST_PROBE, **kwargs) as container:
        frames = []
        for frame in container.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                return frames
    return frames


def _assert_red_160x90(frames: list[np.ndarray]) -> None:
    assert len(frames) == 5
    for frame in frames:
        assert frame.shape == (90, 160, 3)
        assert np.allclose(frame.reshape(-1, 3).mean(axis=0), (255, 0, 0), atol=12)


def test_publish_then_read_play_and_unpublish(red_clip: Path, tmp_path: Path) -> None:
    async def main() -> None:
        async with rtmp_server() as (server, hub, registry):
            url = f"rtmp://127.0.0.1:{server.port}/live/anchor1?room_id=r1&user_id=u1"
            publisher = await start_publisher(url, red_clip)
            await wait_for(lambda: registry.get("anchor1") is not None and hub.exists("anchor1"))
            stream = registry.get("anchor1")
            assert stream is not None
            assert (stream.origin, stream.room_id, stream.user_id) == ("rtmp", "r1", "u1")
            assert stream.source == "live:anchor1"
            await wait_for(lambda: stream.info.width is not None)
            assert (stream.info.width, stream.info.height, stream.info.fps) == (160, 90, 25.0)

            reader = hub.open_reader("anchor1", timeout=3.0)
            _assert_red_160x90(await asyncio.to_thread(_first_frames, reader, format="flv"))
            reader.close()

            app = web.Application()
            add_live_routes(app, hub, tmp_path)
            runner = web.AppRunner(app, shutdown_timeout=1.0)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            http_url = f"http://127.0.0.1:{runner.addresses[0][1]}/live/anchor1.flv"
            _assert_red_160x90(await asyncio.to_thread(_first_frames, http_url))
            await runner.cleanup()

            play_url = f"rtmp://127.0.0.1:{server.port}/live/anchor1"
            _assert_red_160x90(await asyncio.to_thread(_first_frames, play_url))

            assert publisher.stdin is not None
            publisher.stdin.close()  # the anchor stops pushing: FCUnpublish, deleteStream, hang up
            assert await asyncio.wait_for(publisher.wait(), 10) == 0
            await wait_for(lambda: registry.get("anchor1") is None and not hub.exists("anchor1"), 3.0)

    asyncio.run(main())


def test_play_of_a_stream_that_is_not_live_fails_fast() -> None:
    async def main() -> None:
        async with rtmp_server(play_wait=0.2) as (server, _, _):
            started = time.monotonic()
            with pytest.raises(av.error.FFmpegError):
                await asyncio.to_thread(
                    av.open, f"rtmp://127.0.0.1:{server.port}/live/ghost", options=FAST_PROBE
                )
            assert time.monotonic() - started < 3.0

    asyncio.run(main())


def _raw_client(port: int) -> socket.socket:
    """A TCP connection that completed the RTMP handshake and may now send anything."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=3.0)
    sock.sendall(b"\x03" + bytes(1536))
    reply = b""
    while len(reply) < 1 + 2 * 1536:
        reply += sock.recv(65536)
    sock.sendall(reply[1:1537])  # C2 echoes S1
    return sock


def _closed_by_server(sock: socket.socket, within: float = 2.0) -> bool:
    """True when the server hangs up within ``within`` seconds (what it sent before is skipped)."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    finally:
        sock.close()
    return True


def test_bad_clients_lose_only_their_own_connection(red_clip: Path) -> None:
    async def main() -> None:
        async with rtmp_server(handshake_timeout=0.3, max_message_size=64 << 10) as (server, hub, registry):
            port = server.port
            garbage = socket.create_connection(("127.0.0.1", port))
            garbage.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            silent = socket.create_connection(("127.0.0.1", port))
            oversized = await asyncio.to_thread(_raw_client, port)
            oversized.sendall(b"\x03\0\0\0\x01\0\x01\x14\0\0\0\0")  # a 64 KiB + 1 byte command
            huge_chunks = await asyncio.to_thread(_raw_client, port)
            set_size = chunks.Message(chunks.SET_CHUNK_SIZE, 0, 0, struct.pack(">I", 0x7FFFFFFF))
            huge_chunks.sendall(chunks.ChunkWriter().encode(2, set_size) + b"\x03\0\0\0\x10\0\0\x09\0\0\0\0")
            started = time.monotonic()
            for sock in (garbage, silent, oversized, huge_chunks):
                assert await asyncio.to_thread(_closed_by_server, sock)
            assert time.monotonic() - started < 2.0
            await wait_for(lambda: server.connections == 0, 2.0)

            publisher = await start_publisher(f"rtmp://127.0.0.1:{port}/live/after?room_id=r2", red_clip)
            await wait_for(lambda: registry.get("after") is not None and hub.exists("after"))
            publisher.kill()  # an anchor whose app dies: no unpublish command, just a closed socket
            await publisher.wait()
            await wait_for(lambda: registry.get("after") is None and not hub.exists("after"), 3.0)

    asyncio.run(main())


def test_connections_over_the_cap_are_refused() -> None:
    """At the cap with every slot publishing, a newcomer is closed at once (slots still setting up are
    given to newcomers instead: see the trickle test)."""

    async def main() -> None:
        async with rtmp_server(max_connections=2) as (server, _, registry):
            held = []
            for name in ("held1", "held2"):
                anchor = await asyncio.to_thread(_raw_client, server.port)
                anchor.sendall(_command("connect", 1, {"app": "live"}) + _command("createStream", 2))
                anchor.sendall(_command("publish", 3, name, "live", stream_id=1))
                held.append(anchor)
            await wait_for(lambda: registry.get("held1") is not None and registry.get("held2") is not None)
            extra = socket.create_connection(("127.0.0.1", server.port))
            assert await asyncio.to_thread(_closed_by_server, extra, 1.0)
            assert server.connections == 2
            for sock in held:
                sock.close()
            await wait_for(lambda: server.connections == 0, 2.0)

    asyncio.run(main())


def _trickle(port: int, *, handshake_first: bool, period: float) -> tuple[float, float]:
    """A client that sends one byte every ``period`` s until the server hangs up: (connected, closed) times
    on the monotonic clock."""
    connected = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=3.0)
    if handshake_first:  # as _raw_client, but the server may close it halfway (a newer client's room)
        try:
            sock.sendall(b"\x03" + bytes(1536))
            reply = b""
            while len(reply) < 1 + 2 * 1536:
                data = sock.recv(65536)
                if not data:
                    raise ConnectionResetError
                reply += data
            sock.sendall(reply[1:1537])
        except OSError:
            sock.close()
            return connected, time.monotonic()
    sock.settimeout(period)
    payload = _command("connect", 1, {"app": "live"}) if handshake_first else b"\x03" + bytes(1536)
    with sock:
        for byte in itertools.cycle(payload):
            try:
                sock.sendall(bytes((byte,)))
                if sock.recv(65536) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
    return connected, time.monotonic()


@pytest.mark.e2e
def test_tricklers_are_cut_off_and_a_real_publisher_gets_in(red_clip: Path) -> None:
    """Clients sending one byte at a time, before or after the handshake, hold every slot a peer may have;
    FFmpeg's RTMP client still publishes while they are connected (it takes the slot of the slowest), a
    peer never holds more than its share, and each trickler is closed within the setup deadline."""
    limits = {"setup_timeout": 5.0, "max_connections": 6, "max_per_peer": 4}

    async def main(pool: concurrent.futures.Executor) -> None:
        async with rtmp_server(**limits) as (server, hub, registry):
            loop = asyncio.get_running_loop()
            tricklers = [
                loop.run_in_executor(
                    pool, lambda odd=i % 2: _trickle(server.port, handshake_first=odd, period=0.2)
                )
                for i in range(8)
            ]
            await wait_for(lambda: server.connections >= 4, 5.0)
            publisher = await start_publisher(f"rtmp://127.0.0.1:{server.port}/live/real", red_clip)
            try:
                peak = server.connections
                while not (registry.get("real") is not None and hub.exists("real")):
                    peak = max(peak, server.connections)
                    assert publisher.returncode is None, "the publisher was refused"
                    await asyncio.sleep(0.02)
                live_at = time.monotonic()
                assert peak <= limits["max_per_peer"]  # every client here is 127.0.0.1
                spans = await asyncio.wait_for(asyncio.gather(*tricklers), 20)
                assert all(closed - connected < limits["setup_timeout"] + 1.0 for connected, closed in spans)
                assert live_at < max(closed for _, closed in spans)  # it got in while tricklers held slots
                assert registry.get("real") is not None  # publishing: past the setup deadline's reach
            finally:
                publisher.stdin.close()
                await asyncio.wait_for(publisher.wait(), 15)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        asyncio.run(main(pool))


@pytest.mark.e2e
def test_the_push_helper_tries_again_when_refused(red_clip: Path) -> None:
    """Every slot held by a publishing client: FFmpeg's client is refused, and `mix-emulator push` tries
    again (backing off) until the slot is free, as an anchor's app does."""

    async def main() -> None:
        async with rtmp_server(max_connections=1, max_per_peer=1) as (server, hub, registry):
            squatter = await asyncio.to_thread(_raw_client, server.port)
            squatter.sendall(_command("connect", 1, {"app": "live"}) + _command("createStream", 2))
            squatter.sendall(_command("publish", 3, "squat", "live", stream_id=1))
            await wait_for(lambda: registry.get("squat") is not None, 3.0)  # established: never evicted
            command = [sys.executable, "-m", "emulator", "push", str(red_clip)]
            publisher = await asyncio.create_subprocess_exec(
                *command,
                f"rtmp://127.0.0.1:{server.port}/live/real",
                "--until-stdin-closes",
                stdin=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            try:
                line = await asyncio.wait_for(publisher.stderr.readline(), 15)
                assert b"trying again" in line, line  # refused at first
                squatter.close()  # the slot frees
                await wait_for(lambda: registry.get("real") is not None and hub.exists("real"), 15.0)
            finally:
                publisher.stdin.close()
                await asyncio.wait_for(publisher.wait(), 15)

    asyncio.run(main())


def _command(name: str, txn: float, *args: object, stream_id: int = 0) -> bytes:
    message = chunks.Message(chunks.COMMAND_AMF0, stream_id, 0, amf0.encode(name, txn, None, *args))
    return chunks.ChunkWriter().encode(3, message)


def test_dropping_the_stream_in_the_registry_disconnects_the_anchor() -> None:
    async def main() -> None:
        async with rtmp_server() as (server, hub, registry):
            anchor = await asyncio.to_thread(_raw_client, server.port)
            anchor.sendall(_command("connect", 1, {"app": "live"}) + _command("createStream", 2))
            anchor.sendall(_command("publish", 3, "raw?room_id=r9", "live", stream_id=1))
            await wait_for(lambda: registry.get("raw") is not None and hub.exists("raw"), 3.0)
            assert registry.list(room_id="r9")[0].stream_id == "raw"
            registry.unpublish("raw")  # DELETE /_emulator/streams/raw, or a reset
            assert await asyncio.to_thread(_closed_by_server, anchor)
            await wait_for(lambda: not hub.exists("raw") and server.connections == 0, 2.0)

    asyncio.run(main())


def test_a_player_that_stops_reading_is_cut_off(red_clip: Path) -> None:
    async def main() -> None:
        # a small queue per player, so that one overflows quickly
        async with rtmp_server(LiveHub(queue_bytes=256 << 10), write_timeout=0.5) as (server, hub, _):
            pub = hub.open_publisher("busy")
            pub.write(FLV_HEADER)
            player = await asyncio.to_thread(_raw_client, server.port)
            player.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            player.sendall(_command("connect", 1, {"app": "live"}) + _command("createStream", 2))
            player.sendall(_command("play", 3, "busy", stream_id=1))  # and never reads again
            await wait_for(lambda: hub.channels()[0]["subscribers"] == 1, 3.0)
            frame = FlvTag(9, 0, b"\x27\x01" + bytes(20_000))
            started = time.monotonic()
            for i in range(500):  # 10 MB
                pub.write_tag(frame.with_timestamp(i * 40))
                if i % 50 == 0:
                    await asyncio.sleep(0)
            assert time.monotonic() - started < 2.0
            await wait_for(lambda: server.connections == 0, 3.0)  # the server hung up on it
            assert hub.channels()[0]["subscribers"] == 0
            player.close()
            pub.close()

    asyncio.run(main())


# -- the Python publisher (what the mix pipeline's rtmp:// pushes can use in-process) -------------------
def _push_clip(url: str, clip: Path) -> None:
    publisher = RtmpPublisher(url, timeout=3.0)
    with av.open(str(clip)) as src, av.open(publisher, "w", format="flv") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    publisher.close()  # PyAV never closes a file object it was given


def test_python_publisher_pushes_to_our_own_server_in_process(red_clip: Path) -> None:
    async def main() -> None:
        async with rtmp_server() as (server, hub, registry):
            events: list[tuple[str, str, str | None]] = []
            registry.subscribe(lambda kind, s: events.append((kind, s.origin, s.room_id)))
            reader = hub.open_reader("inproc", timeout=3.0)  # attached before the push: gets all of it
            decoding = asyncio.create_task(asyncio.to_thread(_first_frames, reader, 25, format="flv"))
            url = f"rtmp://127.0.0.1:{server.port}/live/inproc?room_id=r5"
            await asyncio.wait_for(asyncio.to_thread(_push_clip, url, red_clip), 10)
            frames = await asyncio.wait_for(decoding, 10)
            assert len(frames) == 25
            _assert_red_160x90(frames[:5])
            await wait_for(lambda: registry.get("inproc") is None, 2.0)
            assert events == [("published", "rtmp", "r5"), ("unpublished", "rtmp", "r5")]

    asyncio.run(main())


def test_python_publisher_fails_cleanly() -> None:
    async def main() -> None:
        with socket.create_server(("127.0.0.1", 0)) as mute:  # accepts connections, never answers
            started = time.monotonic()
            url = f"rtmp://127.0.0.1:{mute.getsockname()[1]}/live/x"
            with pytest.raises(RtmpPushError):
                await asyncio.to_thread(RtmpPublisher, url, timeout=0.3)
            assert time.monotonic() - started < 2.0
        async with rtmp_server() as (server, _, _):
            with pytest.raises(RtmpPushError, match="BadName"):
                await asyncio.to_thread(RtmpPublisher, f"rtmp://127.0.0.1:{server.port}/live/bad:name")
        with pytest.raises(ValueError):
            RtmpPublisher("http://127.0.0.1/live/x")

    asyncio.run(main())
