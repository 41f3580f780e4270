"""The LiveHub: late joiners, waiting readers, bounded queues, publisher replacement, events."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from emulator.media.clips import write_clip
from emulator.media.flv import FlvError, FlvParser, FlvTag
from emulator.media.live import LiveHub

FPS, GOP = 25, 10
FAST_PROBE = {"fpsprobesize": "0"}  # skip FFmpeg's ~1 s frame-rate analysis of a live stream


@pytest.fixture(scope="module")
def red_clip_tags(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[FlvTag]]:
    """A 2 s 160x90 red H.264/AAC FLV (keyframes every 10 frames): its header and tags."""
    path = write_clip(
        tmp_path_factory.mktemp("hub") / "red.flv",
        size=(160, 90),
        fps=FPS,
        duration=2.0,
        video="color:#ff0000",
        gop=GOP,
    )
    data = Path(path).read_bytes()
    return data[:13], FlvParser().feed(data)


def _frames(tags: list[FlvTag]) -> list[FlvTag]:
    return [t for t in tags if t.is_video and t.data[1] == 1]


def _publish_later(pub, tags: list[FlvTag], delay: float = 0.05) -> threading.Thread:
    """Write ``tags`` from a thread (as a mix pipeline does), then end the channel."""

    def run() -> None:
        time.sleep(delay)
        for tag in tags:
            pub.write_tag(tag)
        pub.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _decode(reader) -> list[av.VideoFrame]:
    with av.open(reader, format="flv", options=FAST_PROBE) as container:
        return list(container.decode(video=0))


def _is_red(frame: av.VideoFrame) -> bool:
    rgb = frame.to_ndarray(format="rgb24").reshape(-1, 3).mean(axis=0)
    return bool(np.allclose(rgb, (255, 0, 0), atol=12))


def test_late_joiner_starts_at_the_last_keyframe(red_clip_tags: tuple[bytes, list[FlvTag]]) -> None:
    header, tags = red_clip_tags
    hub = LiveHub()
    pub = hub.open_publisher("cam")
    pub.write(header)
    sixteenth = tags.index(_frames(tags)[15])  # frames 10..15 form the cached GOP when we join
    for tag in tags[: sixteenth + 1]:
        pub.write_tag(tag)
    info = hub.channels()[0]
    assert (info["name"], info["live"], info["width"], info["height"]) == ("cam", True, 160, 90)
    assert (info["video_codec"], info["audio_codec"]) == ("h264", "aac")

    reader = hub.open_reader("cam", timeout=2.0)
    thread = _publish_later(pub, tags[sixteenth + 1 :])
    frames = _decode(reader)
    thread.join()
    assert len(frames) == 50 - 10  # the GOP from frame 10 on, then live to the end
    assert frames[0].key_frame and frames[0].time == 0  # each consumer's timestamps start at 0
    assert (frames[0].width, frames[0].height) == (160, 90)
    assert all(_is_red(f) for f in frames[:: len(frames) - 1])
    assert hub.channels() == []  # ended and nobody waits: the channel is gone


def test_reader_waits_for_a_channel_that_appears(red_clip_tags: tuple[bytes, list[FlvTag]]) -> None:
    header, tags = red_clip_tags
    hub = LiveHub()
    reader = hub.open_reader("later", timeout=2.0)
    assert hub.channels()[0]["live"] is False and not hub.exists("later")
    pub = hub.open_publisher("later")
    pub.write(header)
    thread = _publish_later(pub, tags)
    frames = _decode(reader)
    thread.join()
    assert len(frames) == 50 and _is_red(frames[0])


def test_reader_gives_up_after_its_timeout() -> None:
    hub = LiveHub()
    started = time.monotonic()
    reader = hub.open_reader("never", timeout=0.2)
    assert reader.read(4096) == b""
    assert 0.15 < time.monotonic() - started < 1.0
    assert reader.read(4096) == b""  # stays at the end
    assert hub.channels() == []


def test_a_stuck_consumer_is_dropped_and_never_slows_the_publisher() -> None:
    hub = LiveHub(queue_bytes=64 << 10)
    pub = hub.open_publisher("fast")
    stuck = hub.open_reader("fast", timeout=5.0)  # never reads until the end
    tag = FlvTag(9, 0, b"\x27\x01" + bytes(10_000))  # inter frames of 10 kB
    started = time.monotonic()
    for i in range(500):  # 5 MB, 80x the consumer's queue
        pub.write_tag(tag.with_timestamp(i * 40))
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"publishing 5 MB took {elapsed:.2f}s"
    assert stuck.dropped
    assert hub.channels()[0]["subscribers"] == 0
    assert stuck.read(65536) == b""  # the dropped consumer's stream ends at once


def test_second_publisher_replaces_the_first(red_clip_tags: tuple[bytes, list[FlvTag]]) -> None:
    header, tags = red_clip_tags
    hub = LiveHub()
    events: list[tuple[str, bool]] = []
    hub.on_change(lambda channel, live: events.append((channel, live)))
    first = hub.open_publisher("anchor")
    first.write(header + b"".join(t.encode() for t in tags[:5]))
    viewer = hub.open_reader("anchor", timeout=2.0)
    second = hub.open_publisher("anchor")
    assert not first.active and second.active and hub.exists("anchor")
    first.write_tag(tags[5])  # ignored: the old connection lingers but no longer counts
    assert hub.channels()[0]["bytes"] == 0
    first.close()  # closing the replaced publisher does not end the new one
    assert hub.exists("anchor")
    received = b""
    while chunk := viewer.read(65536):
        received += chunk
    got = FlvParser().feed(received)  # what a late joiner gets, then the end of its stream
    assert [t.is_metadata for t in got] == [True, False, False, False]
    assert got[1].is_sequence_header and got[2].is_sequence_header and got[3].is_keyframe
    second.close()
    assert events == [("anchor", True), ("anchor", True), ("anchor", False)]
    assert not hub.exists("anchor")


def test_garbage_from_a_publisher_ends_the_channel() -> None:
    hub = LiveHub()
    pub = hub.open_publisher("junk")
    with pytest.raises(FlvError):
        pub.write(b"<html>not flv</html>")
    assert not pub.active and not hub.exists("junk")


def test_async_subscription(red_clip_tags: tuple[bytes, list[FlvTag]]) -> None:
    header, tags = red_clip_tags
    hub = LiveHub()

    async def main() -> None:
        sub = hub.subscribe("room")
        assert await sub.read(0.05) == b""  # nothing yet: not the end either
        pub = hub.open_publisher("room")
        pub.write(header)
        thread = _publish_later(pub, tags[:20])
        data = b""
        while (chunk := await sub.read(2.0)) is not None:
            data += chunk
        await asyncio.to_thread(thread.join)
        assert data[:13] == header
        assert FlvParser().feed(data) == [
            t.with_timestamp(t.timestamp - tags[0].timestamp) for t in tags[:20]
        ]

        late = hub.subscribe("room")  # the channel ended: a new subscriber waits for the next publisher
        assert await late.read_tags(0.05) == []
        hub.close_all()
        assert await late.read_tags(1.0) is None

    asyncio.run(main())


def test_close_all_ends_publishers_and_readers() -> None:
    hub = LiveHub()
    pub = hub.open_publisher("x")
    reader = hub.open_reader("x", timeout=5.0)
    waiter = threading.Thread(target=reader.read, args=(10,))
    started = time.monotonic()
    waiter.start()
    hub.close_all()
    waiter.join(2.0)
    assert not waiter.is_alive() and time.monotonic() - started < 1.0
    assert not pub.active and hub.channels() == []
