"""Sources on real media: files of each container, loops, patterns, pictures, HTTP, live hub channels,
and every kind of bad input (which must become an "error" state, never an exception or a hang)."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from emulator.media.clips import write_picture
from emulator.media.live import LiveHub
from emulator.media.sources import AudioFormat, SourceState, open_source
from emulator.media.sources.frames import solid_frame
from emulator.media.sources.samples import SampleBuffer
from emulator.media.sources.spec import parse_color, parse_spec
from tests.media.conftest import GREEN, RED, assert_rgb, rms

FMT = AudioFormat(48000, 2)
TONE_RMS = 0.5 / np.sqrt(2)  # the clips' sine: -6 dBFS peak
FAST = 2.0  # a wait as in fast mode: files then deliver exactly what is due at t


def play(source, seconds: float, fps: float = 25, chunk: int = 960) -> tuple[list, np.ndarray]:
    """Pull video and audio like the renderer does in fast mode for ``seconds`` of media time."""
    frames, audio = [], []
    for i in range(round(seconds * fps)):
        frames.append(source.video_at(i / fps, FAST))
        samples = source.audio_at(round(i / fps * FMT.rate), round(FMT.rate / fps), FAST)
        if samples is not None:
            audio.append(samples)
    return frames, np.concatenate(audio, axis=1) if audio else np.zeros((2, 0), np.float32)


@pytest.mark.parametrize("ext", ["mp4", "flv", "mkv", "ts"])
def test_files_of_each_container_play_video_and_audio(clip, ext: str) -> None:
    source = open_source(str(clip(f"bars.{ext}")), audio=FMT)
    assert source.state is SourceState.LIVE and source.has_video and source.has_audio
    frames, audio = play(source, 0.8)
    assert all(f is not None for f in frames)
    assert len({id(f) for f in frames}) >= 18  # a new frame (nearly) every tick at 25 fps
    assert not np.array_equal(frames[0].to_ndarray(), frames[10].to_ndarray())  # the bars move
    assert abs(rms(audio[:, 4800:]) - TONE_RMS) < 0.02
    assert source.status.width == 160 and source.status.height == 90
    source.close()


def test_a_file_ends_or_loops(clip) -> None:
    path = str(clip("red.mp4", video="color:#ff0000"))
    once = open_source(path, audio=FMT)
    play(once, 1.3)
    assert once.state is SourceState.ENDED and once.finished
    assert_rgb(once.video_at(5.0), 80, 45, RED)  # the last frame stays
    assert np.abs(once.audio_at(5 * 48000, 960)).max() == 0  # silence after the end
    looped = open_source(path, loop=True, audio=FMT)
    frames, audio = play(looped, 2.6)
    assert looped.state is SourceState.LIVE and not looped.finished
    assert all(f is not None for f in frames[-10:])
    assert abs(rms(audio[:, -24000:]) - TONE_RMS) < 0.03  # the tone goes on into the third round
    once.close(), looped.close()


def test_a_file_decodes_ahead_on_its_thread_exactly_in_fast_mode_never_blocking_realtime(clip) -> None:
    path = str(clip("ahead.mp4", fps=10, duration=1.0))

    def slow(frame):  # a worker far slower than the caller: scaling ahead takes 50 ms a frame
        time.sleep(0.05)
        return ("scaled", frame.pts)

    fast = open_source(path, audio=FMT)
    fast.scale_ahead(slow)
    for i in range(10):  # fast mode waits for the worker: exactly the frame due at t, every time
        frame = fast.video_at(i / 10 + 0.01, FAST)
        assert frame.time == pytest.approx(i / 10) and fast.prescaled(frame) == ("scaled", frame.pts)
    realtime = open_source(path, audio=FMT)
    realtime.scale_ahead(slow)
    started = time.monotonic()
    for i in range(10):  # realtime never waits for it: it shows what it has
        realtime.video_at(i / 10, 0.0)
        realtime.audio_at(i * 4800, 4800, 0.0)
    assert time.monotonic() - started < 0.1
    fast.close(), realtime.close()


def test_audio_only_and_video_only_files(clip) -> None:
    audio_only = open_source(str(clip("tone.m4a", video=None)), audio=FMT)
    assert audio_only.video_at(0.5, FAST) is None and not audio_only.has_video  # known once it is open
    assert abs(rms(audio_only.audio_at(4800, 4800, FAST)) - TONE_RMS) < 0.02
    silent = open_source(str(clip("mute.mp4", tone_hz=None)), audio=FMT)
    assert silent.video_at(0.5, FAST) is not None and silent.audio_at(0, 960, FAST) is None


def test_audio_is_resampled_to_the_output_format(clip) -> None:
    mono = open_source(str(clip("mono.mkv", audio_rate=22050, channels=1, tone_hz=1000)), audio=FMT)
    samples = mono.audio_at(9600, 4800, FAST)
    assert samples.shape == (2, 4800) and samples.dtype == np.float32
    spectrum = np.abs(np.fft.rfft(samples[0]))
    assert abs(np.argmax(spectrum) * FMT.rate / 4800 - 1000) <= 10  # still 1 kHz at 48 kHz


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "file not found"), (b"", "empty file"), (b"\x00garbage" * 500, "corrupt")],
)
def test_missing_empty_and_corrupt_files_become_errors(tmp_path: Path, content, message: str) -> None:
    path = tmp_path / "bad.mp4"
    if content is not None:
        path.write_bytes(content)
    source = open_source(str(path), audio=FMT)
    assert source.video_at(0.0, FAST) is None  # a file that exists is opened on its thread: wait for it
    assert source.state is SourceState.ERROR and message in (source.status.error or "")
    assert source.finished
    assert source.video_at(0.0) is None and source.audio_at(0, 960) is None


def test_truncated_files_play_what_is_there(tmp_path: Path, clip) -> None:
    whole = clip("trunc-src.ts", duration=2.0).read_bytes()
    cut = tmp_path / "cut.ts"
    cut.write_bytes(whole[: len(whole) // 2])
    source = open_source(str(cut), audio=FMT)
    frames, _ = play(source, 2.0)
    assert frames[5] is not None and source.state is SourceState.ENDED
    mp4 = clip("trunc-src.mp4", duration=2.0).read_bytes()  # the index is at the end: nothing is usable
    (tmp_path / "cut.mp4").write_bytes(mp4[: len(mp4) // 2])
    cut_mp4 = open_source(str(tmp_path / "cut.mp4"))
    assert cut_mp4.video_at(0.0, FAST) is None and cut_mp4.state is SourceState.ERROR


def write_resolution_switch(path: Path) -> Path:
    """0.6 s of red 160x90, then 0.6 s of green 96x64, in one H.264 stream of an MPEG-TS file."""
    with av.open(str(path), "w", format="mpegts") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 90, "yuv420p"
        stream.options = {"preset": "ultrafast"}
        second = av.CodecContext.create("libx264", "w")
        second.width, second.height, second.pix_fmt = 96, 64, "yuv420p"
        second.time_base, second.framerate = Fraction(1, 25), Fraction(25)
        second.options = {"preset": "ultrafast"}
        for i in range(30):
            encoder = stream.codec_context if i < 15 else second
            frame = solid_frame(160, 90, RED) if i < 15 else solid_frame(96, 64, GREEN)
            frame.pts, frame.time_base = i, Fraction(1, 25)
            if i == 15:
                out.mux(stream.encode(None))
            for packet in encoder.encode(frame):
                packet.stream = stream
                out.mux(packet)
        for packet in second.encode(None):
            packet.stream = stream
            out.mux(packet)
    return path


def test_resolution_change_mid_stream(tmp_path: Path) -> None:
    source = open_source(str(write_resolution_switch(tmp_path / "switch.ts")))
    first, later = source.video_at(0.2, FAST), source.video_at(1.0, FAST)
    assert (first.width, first.height) == (160, 90) and (later.width, later.height) == (96, 64)
    assert_rgb(later, 40, 30, GREEN)
    assert (source.status.width, source.status.height) == (96, 64)


def test_patterns() -> None:
    bars = open_source("pattern:bars?size=64x36&fps=10&tone=1000", audio=FMT)
    assert bars.video_at(0.0) is bars.video_at(0.05)  # same frame until the next tick at 10 fps
    assert not np.array_equal(bars.video_at(0.0).to_ndarray(), bars.video_at(0.5).to_ndarray())
    assert abs(rms(bars.audio_at(1000, 4800)) - TONE_RMS) < 0.01
    assert np.abs(open_source("pattern:bars", audio=FMT).audio_at(0, 960)).max() == 0  # silent bars
    color = open_source("pattern:color?color=%2300ff00&size=33x17&duration=0.5", audio=FMT)
    frame = color.video_at(0.1)
    assert (frame.width, frame.height) == (33, 17) and not color.has_audio
    assert_rgb(frame, 16, 8, GREEN)
    color.video_at(0.6)
    assert color.state is SourceState.ENDED and color.finite
    for bad in (
        "pattern:plaid",
        "pattern:bars?size=0x10",
        "pattern:bars?fps=abc",
        "pattern:color?color=nope",
    ):
        assert open_source(bad).state is SourceState.ERROR, bad


def test_pictures(tmp_path: Path) -> None:
    pixels = np.zeros((20, 40, 4), np.uint8)
    pixels[:, :20] = (255, 0, 0, 255)
    png = open_source(str(write_picture(tmp_path / "logo.png", (40, 20), pixels)))
    frame = png.video_at(3.0)
    assert frame.format.name == "rgba" and frame.to_ndarray()[10, 30, 3] == 0 and not png.has_audio
    jpeg = open_source(str(write_picture(tmp_path / "photo.jpg", (40, 20), (0, 255, 0, 255))))
    assert jpeg.video_at(0).format.name == "yuv420p"
    assert_rgb(jpeg.video_at(0), 20, 10, GREEN)
    (tmp_path / "fake.png").write_text("not a picture")
    assert open_source(str(tmp_path / "fake.png")).state is SourceState.ERROR
    assert "not found" in (open_source(str(tmp_path / "none.png")).status.error or "")


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_http_file_plays_paced_and_ends(http_root, clip) -> None:
    folder, base = http_root
    (folder / "cam.mp4").write_bytes(clip("http.mp4", video="color:#00ff00").read_bytes())
    write_picture(folder / "logo.png", (8, 8), (255, 0, 0, 255))
    source = open_source(f"{base}/cam.mp4", audio=FMT)
    assert source.video_at(0.0, wait=5.0) is not None  # fast mode: wait for the data at t
    frame = source.video_at(0.2, wait=5.0)
    assert frame is not None and source.state is SourceState.LIVE
    assert_rgb(frame, 80, 45, GREEN)
    assert abs(rms(source.audio_at(4800, 4800, wait=5.0)) - TONE_RMS) < 0.03
    for i in range(6, 40):
        source.video_at(i / 25, wait=5.0)
    assert wait_for(lambda: source.state is SourceState.ENDED)
    source.close()
    picture = open_source(f"{base}/logo.png?sig=1")
    assert_rgb(picture.video_at(0, wait=5.0), 4, 4, RED)


def test_hls_over_http(http_root, clip) -> None:
    folder, base = http_root
    source_path = clip("hls-src.ts", video="color:#ff0000", duration=2.0)
    playlist = folder / "index.m3u8"
    with (
        av.open(str(source_path)) as src,
        av.open(str(playlist), "w", format="hls", options={"hls_time": "1"}) as out,
    ):
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
    source = open_source(f"{base}/index.m3u8", audio=FMT)
    frame = source.video_at(0.5, wait=5.0)
    assert frame is not None and source.state is SourceState.LIVE
    assert_rgb(frame, 80, 45, RED)
    source.close(timeout=5)


def test_unreachable_url_is_an_error_without_blocking() -> None:
    started = time.monotonic()
    source = open_source("http://127.0.0.1:9/none.flv", audio=FMT)
    assert source.video_at(0.0) is None and time.monotonic() - started < 0.5  # never blocks the caller
    assert wait_for(lambda: source.state is SourceState.ERROR)
    assert "127.0.0.1:9" in (source.status.error or "")
    source.close(timeout=3)


def test_live_channel_late_start_stall_and_return(clip) -> None:
    hub = LiveHub()
    data = clip("live.flv", video="color:#ff0000", duration=0.6).read_bytes()
    source = open_source("live:cam", hub=hub, audio=FMT, stall_timeout=0.3)
    time.sleep(0.2)
    assert source.state is SourceState.WAITING and source.video_at(0.2) is None  # nobody publishes yet
    publisher = hub.open_publisher("cam")
    publisher.write(data)
    assert source.video_at(0.3, wait=3.0) is not None
    assert source.state is SourceState.LIVE
    t = 0.3
    while source.state is SourceState.LIVE and t < 3:  # play what arrived; then it stalls
        time.sleep(0.04)
        t += 0.04
        assert_rgb(source.video_at(t), 80, 45, RED)
    assert source.state is SourceState.LOST and t > 0.5
    publisher.close()  # the anchor reconnects: the source reconnects too and is live again
    publisher = hub.open_publisher("cam")
    publisher.write(data)
    assert wait_for(lambda: source.video_at(t) is not None and source.state is SourceState.LIVE, 2.0)
    publisher.close()
    source.close(timeout=3)
    assert not source._feed._thread.is_alive()  # its feed (the decoding thread) ended


def test_live_without_a_hub_and_invalid_specs_are_errors() -> None:
    assert "live hub" in (open_source("live:x").status.error or "")
    for spec in ("", "stream:cam", "invalid:file not found inside the media roots", "ftp://x/y.mp4"):
        source = open_source(spec)
        assert source.state is SourceState.ERROR and source.status.error, spec


def test_spec_parsing_and_colours() -> None:
    assert parse_spec("/m/a.MP4").kind == "file"
    assert parse_spec("file:///m/a%20b.png") == parse_spec("/m/a b.png")
    assert parse_spec("https://x.org/a.jpg?sig=1").kind == "picture"
    assert parse_spec("https://x.org/live.flv").kind == "network"
    assert parse_spec("pattern:bars?size=8x8&tone=0").params == {"size": "8x8", "tone": "0"}
    assert parse_spec("live:mix:out").target == "mix:out"
    assert parse_color("#ff000080") == (255, 0, 0, 128)
    assert parse_color("0x00FF00") == (0, 255, 0, 255)


def test_sample_buffer_positions() -> None:
    buffer = SampleBuffer(1, 100)
    buffer.write(10, np.ones((1, 20), np.float32))
    out = buffer.read(0, 40)
    assert out[0, :10].sum() == 0 and out[0, 10:30].sum() == 20 and out[0, 30:].sum() == 0
    buffer.write(50, np.full((1, 10), 2, np.float32))  # a gap reads as silence
    assert buffer.read(25, 40)[0].tolist() == [1] * 5 + [0] * 20 + [2] * 10 + [0] * 5
    buffer.write(200, np.full((1, 150), 3, np.float32))  # more than fits: the newest 100 stay
    assert buffer.start == 250 and buffer.read(240, 20)[0].tolist() == [0] * 10 + [3] * 10


@pytest.mark.parametrize("name", ["trunc-err.flv", "trunc-err.mkv"])
def test_a_truncated_file_plays_what_is_there_then_says_truncated(tmp_path: Path, clip, name: str) -> None:
    whole = clip(name, duration=2.0).read_bytes()  # these containers declare their duration up front
    cut = tmp_path / name
    cut.write_bytes(whole[: len(whole) // 2])
    source = open_source(str(cut), audio=FMT)
    frames, _ = play(source, 2.0)
    assert frames[5] is not None  # what is there plays
    assert source.state is SourceState.ERROR and source.finished
    assert (source.status.error or "").startswith(f"truncated: {cut} ends at ")
    assert "of its 2.0 s" in (source.status.error or "")
    intact = open_source(str(clip(name, duration=2.0)), audio=FMT)
    play(intact, 2.2)
    assert intact.state is SourceState.ENDED and intact.status.error is None  # the whole file just ends


def test_corrupt_data_mid_way_is_an_error_with_its_time(tmp_path: Path, clip) -> None:
    data = bytearray(clip("corrupt-mid.mkv", duration=2.0).read_bytes())
    start, end = int(len(data) * 0.45), int(len(data) * 0.6)
    data[start:end] = bytes((i * 31 + 7) % 256 for i in range(end - start))  # garbage mid-way, intact tail
    path = tmp_path / "corrupt-mid.mkv"
    path.write_bytes(bytes(data))
    source = open_source(str(path), audio=FMT)
    frames, _ = play(source, 2.0)
    assert frames[2] is not None
    assert source.state is SourceState.ERROR
    error = source.status.error or ""
    assert error.startswith(f"corrupt: {path} cannot be read past ") and "of its 2.0 s" in error, error


def test_a_live_input_joining_a_gop_cache_starts_at_its_newest_frame(clip) -> None:
    """A late joiner receives the GOP cache in one burst: the mix shows its newest frame, not its oldest
    (which would put the whole GOP's age on the delay)."""
    hub = LiveHub()
    data = clip("gop.flv", video="bars", duration=1.6, fps=10, gop=40).read_bytes()  # one 1.6 s GOP
    publisher = hub.open_publisher("gop")
    publisher.write(data)  # all cached, as if pushed live over the last 1.6 s
    source = open_source("live:gop", hub=hub, audio=FMT, jitter=0.1)
    try:
        assert source.video_at(0.0, wait=3.0) is not None
        t, frame = 0.0, None
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # the burst is decoded; the timeline follows its newest frame
            t += 0.05
            frame = source.video_at(t)
            if frame is not None and frame.time >= 1.4:
                break
            time.sleep(0.05)
        assert frame is not None and frame.time >= 1.4, (t, frame and frame.time)
        assert t < 1.0  # reached well before the GOP's length of media time had been played
    finally:
        source.close(timeout=3)
        publisher.close()
