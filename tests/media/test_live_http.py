"""HTTP playback routes on a real aiohttp server: HTTP-FLV from the hub, HLS files, 404s, slow players."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import av
import numpy as np
import pytest
from aiohttp import web

from emulator.media.clips import write_clip
from emulator.media.flv import FlvParser, FlvTag
from emulator.media.live import LiveHub, Publisher
from emulator.media.live_http import add_live_routes

FAST_PROBE = {"fpsprobesize": "0"}  # skip FFmpeg's ~1 s frame-rate analysis of a live stream


def _clip_tags(path: Path, color: str) -> tuple[bytes, list[FlvTag]]:
    write_clip(path, size=(160, 90), fps=25, duration=1.0, video=color, gop=10)
    data = path.read_bytes()
    return data[:13], FlvParser().feed(data)


@pytest.fixture(scope="module")
def red(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[FlvTag]]:
    return _clip_tags(tmp_path_factory.mktemp("http") / "red.flv", "color:#ff0000")


@asynccontextmanager
async def serve(hub: LiveHub, hls_root: Path, **options: float) -> AsyncIterator[tuple[str, web.AppRunner]]:
    app = web.Application()
    add_live_routes(app, hub, hls_root, **options)
    runner = web.AppRunner(app, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", runner
    finally:
        await runner.cleanup()


def _feed(pub: Publisher, tags: list[FlvTag], pace: float) -> threading.Thread:
    def run() -> None:
        for tag in tags:
            time.sleep(pace)
            pub.write_tag(tag)
        pub.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _decode_url(url: str) -> list[np.ndarray]:
    with av.open(url, options={**FAST_PROBE, "rw_timeout": "3000000"}) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def test_http_flv_plays_the_mix_output_in_preference(red: tuple[bytes, list[FlvTag]], tmp_path: Path) -> None:
    header, tags = red
    _, blue_tags = _clip_tags(tmp_path / "blue.flv", "color:#0000ff")
    hub = LiveHub()
    anchor = hub.open_publisher("show")  # an RTMP push under the same id: the mix output wins
    anchor.write(header + b"".join(t.encode() for t in blue_tags))
    mix = hub.open_publisher("mix:show")
    mix.write(header + b"".join(t.encode() for t in tags[:20]))

    async def main() -> None:
        async with serve(hub, tmp_path) as (base, _):
            player = asyncio.create_task(asyncio.to_thread(_decode_url, f"{base}/live/show.flv"))
            while not hub.channels()[1]["subscribers"]:
                await asyncio.sleep(0.01)
            # The push ends first: else the player, handed back to it when the mix ends, would play on.
            anchor.close()
            feeder = _feed(mix, tags[20:], pace=0.002)
            frames = await asyncio.wait_for(player, 10)
            await asyncio.to_thread(feeder.join)
        assert len(frames) > 10 and frames[0].shape == (90, 160, 3)
        assert all(np.allclose(f.reshape(-1, 3).mean(axis=0), (255, 0, 0), atol=12) for f in frames)

    asyncio.run(main())


def test_unknown_stream_is_a_json_404_after_a_short_wait(tmp_path: Path) -> None:
    async def main() -> None:
        async with serve(LiveHub(), tmp_path, wait=0.3) as (base, _), aiohttp.ClientSession() as http:
            started = time.monotonic()
            async with http.get(f"{base}/live/nobody.flv") as response:
                assert response.status == 404
                body = await response.json()
            assert 0.25 < time.monotonic() - started < 2.0
            assert body["error"]["code"] == "StreamNotFound" and "nobody" in body["error"]["message"]

    asyncio.run(main())


def test_hls_files_are_served_with_their_types_and_nothing_else(tmp_path: Path) -> None:
    hls_dir = tmp_path / "hls" / "s1"
    hls_dir.mkdir(parents=True)
    clip = write_clip(tmp_path / "clip.mp4", size=(160, 90), duration=1.0, video="color:#00ff00", gop=10)
    with av.open(str(clip)) as src, av.open(str(hls_dir / "index.m3u8"), "w", format="hls") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    (tmp_path / "secret.ts").write_bytes(b"secret")
    (hls_dir / "link.ts").symlink_to(tmp_path / "secret.ts")

    async def main() -> None:
        async with serve(LiveHub(), tmp_path / "hls") as (base, _), aiohttp.ClientSession() as http:
            async with http.get(f"{base}/live/s1/index.m3u8") as response:
                assert response.status == 200
                assert response.content_type == "application/vnd.apple.mpegurl"
                playlist = await response.text()
            segment = next(line for line in playlist.splitlines() if line.endswith(".ts"))
            async with http.get(f"{base}/live/s1/{segment}") as response:
                assert response.status == 200 and response.content_type == "video/mp2t"
            frames = await asyncio.to_thread(_decode_url, f"{base}/live/s1/index.m3u8")
            assert len(frames) == 25
            assert np.allclose(frames[0].reshape(-1, 3).mean(axis=0), (0, 255, 0), atol=12)
            for path in (
                "s1/..%2F..%2Fsecret.ts",
                "..%2Fsecret.ts/x.ts",
                "s1/link.ts",
                "s1/.hidden.ts",
                "s1/a.py",
            ):
                async with http.get(f"{base}/live/{path}") as response:
                    assert response.status == 404, path
                    assert (await response.json())["error"]["code"] == "StreamNotFound"

    asyncio.run(main())


def test_a_player_that_stops_reading_is_dropped_without_slowing_the_publisher(
    red: tuple[bytes, list[FlvTag]], tmp_path: Path
) -> None:
    header, _ = red
    hub = LiveHub(queue_bytes=256 << 10)
    pub = hub.open_publisher("busy")
    pub.write(header)
    frame = FlvTag(9, 0, b"\x27\x01" + bytes(20_000))

    async def main() -> None:
        async with serve(hub, tmp_path, write_timeout=0.3) as (base, runner):
            port = int(base.rsplit(":", 1)[1])
            stalled = socket.create_connection(("127.0.0.1", port))
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.sendall(b"GET /live/busy.flv HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
            while not hub.channels()[0]["subscribers"]:
                await asyncio.sleep(0.01)
            started = time.monotonic()
            for i in range(500):  # 10 MB, far beyond the player's socket and queue
                pub.write_tag(frame.with_timestamp(i * 40))
                if i % 50 == 0:
                    await asyncio.sleep(0)  # let the server try to send
            elapsed = time.monotonic() - started
            assert elapsed < 2.0, f"publishing took {elapsed:.2f}s"
            assert hub.channels()[0]["subscribers"] == 0
            deadline = time.monotonic() + 3.0
            while runner.server is not None and runner.server.connections and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert runner.server is not None and not runner.server.connections  # the server hung up
            stalled.close()
        pub.close()

    asyncio.run(main())
