"""Sinks: every destination decodes, and a slow or failing one never holds the others up."""

from __future__ import annotations

import io
import socket
import subprocess
import threading
import time
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest

from emulator.core.job import AudioSpec, Output, VideoSpec
from emulator.media.encoder import EncodedPacket, OutputEncoder
from emulator.media.live import LiveHub
from emulator.media.sinks import (
    HlsSink,
    LiveSink,
    Mp4Sink,
    PushSink,
    Sink,
    hls_dir,
    recording_path,
    safe_name,
)

FPS = 10
SIZE = (160, 90)


def encode_clip(seconds: float, *, gop: float = 1.0) -> tuple[OutputEncoder, list[EncodedPacket]]:
    """A small output encoded from frames whose red level counts up, with a continuous tone."""
    video = VideoSpec(fps=FPS, gop_seconds=gop, bitrate=200_000, preset="ultrafast")
    output = Output("clip", video, AudioSpec(sample_rate=22050, channels=1, bitrate=32_000))
    encoder = OutputEncoder(output, SIZE, realtime=True)
    packets: list[EncodedPacket] = []
    chunk = 22050 // FPS
    for i in range(round(seconds * FPS)):
        image = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
        image[..., 0] = i * 5 % 256
        packets += encoder.encode_video(av.VideoFrame.from_ndarray(image, format="rgb24"))
        wave = 0.3 * np.sin(2 * np.pi * 440 * np.arange(i * chunk, (i + 1) * chunk) / 22050)
        audio = av.AudioFrame.from_ndarray(wave.astype(np.float32)[None], format="fltp", layout="mono")
        audio.sample_rate = 22050
        packets += encoder.encode_audio(audio)
    return encoder, packets + encoder.flush()


def run_sink(sink: Sink, packets: list[EncodedPacket], timeout: float = 5.0) -> None:
    sink.start("test sink")
    for packet in packets:
        sink.put(packet)
    sink.request_stop(timeout)
    sink.join(timeout)


def video_frames(source: object, **options: object) -> list[av.VideoFrame]:
    with av.open(source, **options) as container:  # type: ignore[call-overload]
        return list(container.decode(video=0))


@pytest.fixture(scope="module")
def clip() -> tuple[OutputEncoder, list[EncodedPacket]]:
    return encode_clip(3.0)


def test_paths_are_safe_and_unique(tmp_path: Path) -> None:
    assert safe_name("tencent:a/../b c") == "tencent_a_.._b_c"
    assert hls_dir(tmp_path, "../x") == tmp_path / "hls" / "_x"
    first = recording_path(tmp_path, "zego:t1", "out")
    assert first == tmp_path / "recordings" / "zego_t1" / "out.mp4"
    first.parent.mkdir(parents=True)
    first.write_bytes(b"")
    assert recording_path(tmp_path, "zego:t1", "out").name == "out-2.mp4"


def test_recording_is_fragmented_and_decodes(tmp_path: Path, clip: tuple) -> None:
    encoder, packets = clip
    sink = Mp4Sink(encoder.templates, tmp_path / "rec" / "out.mp4")
    run_sink(sink, packets)
    assert sink.state == "closed" and sink.dropped == 0
    data = (tmp_path / "rec" / "out.mp4").read_bytes()
    assert data.count(b"moof") >= 3  # a fragment per second at least
    frames = video_frames(str(tmp_path / "rec" / "out.mp4"))
    assert len(frames) == 30 and (frames[0].width, frames[0].height) == SIZE
    assert frames[20].to_ndarray(format="rgb24")[45, 80, 0] == pytest.approx(100, abs=6)
    with av.open(str(tmp_path / "rec" / "out.mp4")) as container:
        assert container.streams.audio[0].rate == 22050


def test_hls_keeps_a_bounded_playlist_of_decodable_segments(tmp_path: Path) -> None:
    encoder, packets = encode_clip(9.0)
    folder = tmp_path / "hls" / "out"
    sink = HlsSink(encoder.templates, folder, queue_size=1000)
    run_sink(sink, packets)
    playlist = (folder / "index.m3u8").read_text()
    assert playlist.rstrip().endswith("#EXT-X-ENDLIST")
    listed = [line for line in playlist.splitlines() if line.endswith(".ts")]
    assert len(listed) == 6  # nine one-second segments made, the playlist keeps six
    on_disk = sorted(p.name for p in folder.glob("*.ts"))
    # Older segments are deleted; FFmpeg keeps one past the playlist for players still fetching it.
    assert set(listed) <= set(on_disk) and len(on_disk) == len(listed) + 1
    for name in listed:
        frames = video_frames(str(folder / name))
        assert len(frames) == FPS  # each segment decodes on its own (starts at a keyframe)


def test_live_sink_publishes_flv_into_the_hub(clip: tuple) -> None:
    encoder, packets = clip
    hub = LiveHub()
    reader = hub.open_reader("mix:clip", timeout=2.0)
    sink = LiveSink(encoder.templates, hub, "mix:clip")
    run_sink(sink, packets)
    assert sink.state == "closed" and sink.packets == len(packets)
    frames = video_frames(reader, format="flv")
    assert len(frames) == 30
    assert frames[-1].to_ndarray(format="rgb24")[45, 80, 0] == pytest.approx(145, abs=6)


class _StalledHub:
    """A LiveHub stand-in whose publisher blocks in write() until released: a consumer that stalls."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.data = bytearray()

    def open_publisher(self, channel: str) -> _StalledHub:
        return self

    def write(self, data: bytes) -> None:
        self.release.wait(10)
        self.data += data

    def close(self) -> None:
        pass


def test_a_stalled_sink_drops_up_to_a_keyframe_and_never_blocks(clip: tuple) -> None:
    encoder, packets = clip
    hub = _StalledHub()
    sink = LiveSink(encoder.templates, hub, "mix:clip", queue_size=20)
    sink.start("stalled")
    half = next(i for i, p in enumerate(packets) if p.kind == "video" and p.pts == 15)
    started = time.monotonic()
    for packet in packets[:half]:
        sink.put(packet)
    assert time.monotonic() - started < 0.5  # put() never waits for the stalled consumer
    assert sink.dropped > 0
    hub.release.set()
    time.sleep(0.3)  # the consumer catches up
    for packet in packets[half:]:
        sink.put(packet)
    sink.request_stop(5.0)
    sink.join(5.0)
    with av.open(io.BytesIO(bytes(hub.data)), format="flv") as container:
        video = [p for p in container.demux(video=0) if p.size]
    assert video[0].is_keyframe
    keyframes = [i for i, p in enumerate(video) if p.is_keyframe]
    assert len(video) < 30 and len(keyframes) >= 2
    gap = next(i for i in range(1, len(video)) if video[i].pts - video[i - 1].pts > 100)
    assert video[gap].is_keyframe  # after the dropped stretch the stream resumes at a keyframe


def test_stop_gives_up_on_a_blocked_sink_in_time(clip: tuple) -> None:
    encoder, packets = clip
    hub = _StalledHub()
    sink = LiveSink(encoder.templates, hub, "mix:clip")
    sink.start("blocked")
    for packet in packets[:20]:
        sink.put(packet)
    started = time.monotonic()
    sink.request_stop(0.1)
    sink.join(0.3)
    assert time.monotonic() - started < 0.8
    assert sink.status()["state"] == "abandoned"
    hub.release.set()  # let the thread finish


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failing_push_retries_and_leaves_the_recording_alone(tmp_path: Path, clip: tuple) -> None:
    encoder, packets = clip
    push = PushSink(encoder.templates, f"rtmp://127.0.0.1:{_closed_port()}/live/x")
    push.retry_delays = (0.05,)
    recording = Mp4Sink(encoder.templates, tmp_path / "out.mp4")
    for sink in (push, recording):
        sink.start(sink.kind)
    for packet in packets:
        push.put(packet)
        recording.put(packet)
        time.sleep(0.002)
    for sink in (push, recording):
        sink.request_stop(2.0)
        sink.join(2.0)
    status = push.status()
    assert status["attempts"] >= 2 and "refused" in status["error"].lower() and status["packets"] == 0
    assert len(video_frames(str(tmp_path / "out.mp4"))) == 30


def test_a_silent_rtmp_server_never_freezes_the_process(clip: tuple) -> None:
    encoder, packets = clip
    with socket.socket() as silent:  # accepts connections (the kernel does) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        push = PushSink(encoder.templates, f"rtmp://127.0.0.1:{silent.getsockname()[1]}/live/x")
        push.start("push")
        for packet in packets[:20]:
            push.put(packet)
        started = time.monotonic()
        time.sleep(0.3)  # meanwhile the push thread waits for the handshake: it must not hold the GIL
        assert time.monotonic() - started < 0.6
        assert push.status()["state"] == "opening"
        push.request_stop(0.1)
        push.join(0.2)
        assert push.status()["state"] == "abandoned"
    # Closing the listener resets the half-open connection: the push thread ends with an error.


def test_a_push_url_that_is_not_rtmp_is_reported() -> None:
    encoder, _ = encode_clip(0.1)
    assert PushSink(encoder.templates, "http://example.org/x").status()["state"] == "failed"


def test_push_reaches_an_rtmp_server(tmp_path: Path, clip: tuple) -> None:
    encoder, packets = clip
    port = _closed_port()
    received = tmp_path / "received.flv"
    server = subprocess.Popen(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-listen", "1", "-timeout", "5",
         "-i", f"rtmp://127.0.0.1:{port}/live/x", "-c", "copy", str(received)],
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        push = PushSink(encoder.templates, f"rtmp://127.0.0.1:{port}/live/x")
        push.retry_delays = (0.1,)  # the server may need a moment to listen
        push.start("push")
        for packet in packets:
            push.put(packet)
            time.sleep(0.005)
        push.request_stop(3.0)
        push.join(3.0)
        server.wait(5)
    finally:
        server.kill()
    assert push.status()["packets"] > 0
    frames = video_frames(str(received))
    assert len(frames) >= 20 and (frames[0].width, frames[0].height) == SIZE
