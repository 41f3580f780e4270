"""MixPipeline end to end: real sources, compositor, encoders and sinks; outputs decoded with PyAV."""

from __future__ import annotations

import io
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from emulator.core.clock import EmulatorClock
from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, Rect, ResolvedSource, VideoSpec
from emulator.media.clips import write_picture
from emulator.media.errors import MediaError
from emulator.media.live import LiveHub
from emulator.media.pipeline import MixPipeline
from tests.media.conftest import BLACK, BLUE, RED, assert_rgb, near

FINAL = ("ended", "stopped", "failed")
TOLERANCE = 24  # solid colours through x264 at a low bitrate, and chroma at layer edges


def color(rgb: tuple[int, int, int], size: str = "64x36") -> str:
    return f"pattern:color?color=#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}&size={size}"


def two_layer_job(*outputs: Output, blue_at: tuple[int, int] = (80, 44)) -> MixJob:
    layers = [
        Layer("red", color(RED), rect=Rect(0, 0, 80, 44)),
        Layer("blue", color(BLUE), rect=Rect(*blue_at, 80, 46), z=1),
    ]
    return MixJob(Canvas(160, 90), layers, list(outputs))


class Events:
    """Collects a pipeline's events (called on its thread) and waits for the final one."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict]] = []
        self.final = threading.Event()

    def __call__(self, kind: str, data: dict) -> None:
        self.seen.append((kind, data))
        if kind in FINAL:
            self.final.set()

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.seen]


def make_pipeline(job: MixJob, data_dir: Path, events: Events, **kwargs: object) -> MixPipeline:
    return MixPipeline(
        job,
        task_id="test:1",
        resolver=ResolvedSource,
        clock=EmulatorClock(),
        data_dir=data_dir,
        on_event=events,
        **kwargs,  # type: ignore[arg-type]
    )


def run_to_end(pipeline: MixPipeline, events: Events, timeout: float = 10.0) -> None:
    pipeline.start()
    assert events.final.wait(timeout), f"pipeline did not finish: {pipeline.status()}"
    pipeline.stop()


def decode_video(path: Path | str) -> list[av.VideoFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(video=0))


def test_layers_land_where_the_job_puts_them_in_every_output(tmp_path: Path) -> None:
    main = Output("main", VideoSpec(fps=10, gop_seconds=0.5, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    small = Output("small", VideoSpec(width=80, height=46, fps=5, preset="ultrafast"), None, record=True)
    events = Events()
    pipeline = make_pipeline(two_layer_job(main, small), tmp_path, events, mode="fast", duration=1.5)
    run_to_end(pipeline, events)
    assert pipeline.state == "ended" and events.kinds()[-1] == "ended" and "running" in events.kinds()

    status = pipeline.status()
    recording = Path(status["outputs"]["main"]["recording"])
    assert recording == tmp_path / "recordings" / "test_1" / "main.mp4"
    with av.open(str(recording)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.width, video.codec_context.height) == (160, 90)
        assert video.base_rate == 10
        assert (audio.codec_context.name, audio.rate, audio.channels) == ("aac", 22050, 1)
        packets = sorted((p for p in container.demux(video) if p.size), key=lambda p: p.pts)
    assert [i for i, p in enumerate(packets) if p.is_keyframe] == [0, 5, 10]  # gop_seconds 0.5 at 10 fps

    frames = decode_video(recording)
    assert len(frames) == 15
    for frame in (frames[0], frames[-1]):
        assert_rgb(frame, 20, 20, RED, TOLERANCE)
        assert_rgb(frame, 120, 70, BLUE, TOLERANCE)
        assert_rgb(frame, 120, 20, BLACK, TOLERANCE)

    small_frames = decode_video(status["outputs"]["small"]["recording"])
    assert len(small_frames) == 8 and (small_frames[0].width, small_frames[0].height) == (80, 46)
    assert_rgb(small_frames[3], 10, 10, RED, TOLERANCE)  # the same canvas, scaled by half
    assert_rgb(small_frames[3], 60, 35, BLUE, TOLERANCE)

    playlist = Path(status["outputs"]["main"]["hls"])
    assert "#EXT-X-ENDLIST" in playlist.read_text()
    assert len(decode_video(playlist)) == 15


def test_a_layout_update_moves_a_layer_in_the_same_file(tmp_path: Path) -> None:
    output = Output("moving", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    events = Events()
    pipeline = make_pipeline(two_layer_job(output), tmp_path, events, mode="realtime", duration=1.2)
    pipeline.start()
    deadline = time.monotonic() + 5
    while pipeline.status()["frames"] < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    pipeline.update(two_layer_job(output, blue_at=(0, 44)))
    assert events.final.wait(5)
    pipeline.stop()

    with av.open(pipeline.status()["outputs"]["moving"]["recording"]) as container:
        stamps = [p.pts for p in container.demux(video=0) if p.size]
        container.seek(0)
        frames = list(container.decode(video=0))
    assert len(stamps) == len(frames) == 12
    # One frame apart throughout: no jump at the update. (The first frame lasts longer: the muxer shifts
    # video by the AAC priming delay and the fragmented MP4 starts its first sample at 0.)
    assert len(set(np.diff(sorted(stamps))[1:])) == 1
    assert_rgb(frames[0], 120, 70, BLUE, TOLERANCE)  # before the update
    assert_rgb(frames[0], 20, 70, BLACK, TOLERANCE)
    assert_rgb(frames[-1], 20, 70, BLUE, TOLERANCE)  # after it
    assert_rgb(frames[-1], 120, 70, BLACK, TOLERANCE)


def test_fast_mode_ends_when_finite_inputs_end(tmp_path: Path, clip: Callable[..., Path]) -> None:
    red = clip("red_10fps.mp4", fps=10, video="color:#ff0000")
    logo = write_picture(tmp_path / "logo.png", (16, 16), (255, 255, 255, 255))
    layers = [Layer("clip", str(red)), Layer("logo", str(logo), rect=Rect(0, 0, 16, 16), z=1)]
    output = Output("o", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    events = Events()
    pipeline = make_pipeline(MixJob(Canvas(160, 90), layers, [output]), tmp_path, events, mode="fast")
    run_to_end(pipeline, events)  # the logo never ends: the clip alone decides
    assert pipeline.state == "ended"
    assert pipeline.status()["media_time"] == pytest.approx(1.0)
    frames = decode_video(pipeline.status()["outputs"]["o"]["recording"])
    assert len(frames) == 10  # the clip's 10 frames, not one more
    assert_rgb(frames[3], 80, 45, RED, TOLERANCE)


def test_fast_mode_renders_file_inputs_the_same_every_time(tmp_path: Path, clip: Callable[..., Path]) -> None:
    """Files decode ahead on threads of their own; fast mode still takes exactly the frame due each tick."""
    layers = [
        Layer("a", str(clip("bars-a.mp4", fps=25, duration=1.0)), rect=Rect(0, 0, 80, 90)),
        Layer("b", str(clip("bars-b.mp4", fps=30, duration=1.0)), rect=Rect(80, 0, 80, 90)),
    ]
    output = Output("o", VideoSpec(fps=25, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    renders = []
    for run in range(2):
        events = Events()
        pipeline = make_pipeline(
            MixJob(Canvas(160, 90), layers, [output]), tmp_path / str(run), events, mode="fast"
        )
        run_to_end(pipeline, events)
        renders.append([f.to_ndarray() for f in decode_video(pipeline.status()["outputs"]["o"]["recording"])])
    assert len(renders[0]) == len(renders[1]) == 25
    assert all(np.array_equal(a, b) for a, b in zip(*renders, strict=True))
    assert not np.array_equal(renders[0][0], renders[0][12])  # the bars move


def test_an_audio_only_output_carries_the_mixed_tone(tmp_path: Path) -> None:
    job = MixJob(
        Canvas(160, 90),
        [Layer("tone", "pattern:bars?size=64x36&tone=440", volume=50)],
        [Output("radio", video=None, audio=AudioSpec(48000, 2, 64_000))],
    )
    events = Events()
    pipeline = make_pipeline(job, tmp_path, events, mode="fast", duration=1.0)
    run_to_end(pipeline, events)
    with av.open(pipeline.status()["outputs"]["radio"]["recording"]) as container:
        assert not container.streams.video
        frames = list(container.decode(audio=0))
    assert {(f.sample_rate, f.layout.nb_channels) for f in frames} == {(48000, 2)}
    left = np.concatenate([f.to_ndarray()[0] for f in frames])
    assert abs(len(left) - 48000) < 2048
    spectrum = np.abs(np.fft.rfft(left[4800:43200]))
    assert np.argmax(spectrum) * 48000 / len(left[4800:43200]) == pytest.approx(440, abs=3)
    assert 0.05 < np.sqrt(np.mean(left[4800:43200] ** 2)) < 0.5


def test_snapshot_status_live_channel_and_stop(tmp_path: Path) -> None:
    output = Output("live", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    events = Events()
    hub = LiveHub()
    reader = hub.open_reader("mix:live", timeout=3.0)
    pipeline = make_pipeline(two_layer_job(output), tmp_path, events, mode="realtime", hub=hub)
    assert pipeline.snapshot_png() is None
    pipeline.start()
    deadline = time.monotonic() + 5
    while pipeline.state != "running" and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    png = pipeline.snapshot_png()
    assert png is not None
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    assert image.shape == (90, 160, 3)
    assert near(tuple(image[20, 20]), RED, TOLERANCE)
    assert near(tuple(image[70, 120]), BLUE, TOLERANCE)
    status = pipeline.status()
    assert status["state"] == "running" and status["frames"] >= 2
    assert set(status["inputs"]) == {"red", "blue"}
    assert {"layer_id": "red", "state": status["inputs"]["red"]["state"]} in [d for k, d in events.seen]
    assert status["outputs"]["live"]["live"] == "mix:live"

    started = time.monotonic()
    pipeline.stop(timeout=3)
    pipeline.stop(timeout=3)  # idempotent
    assert time.monotonic() - started < 3
    assert pipeline.state == "stopped" and events.kinds().count("stopped") == 1
    assert len(decode_video(pipeline.status()["outputs"]["live"]["recording"])) >= 3
    with av.open(reader, format="flv") as container:  # what HTTP-FLV viewers got from the hub
        live = list(container.decode(video=0))
    assert len(live) >= 3
    assert_rgb(live[-1], 20, 20, RED, TOLERANCE)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failing_push_does_not_stop_the_recording(tmp_path: Path) -> None:
    url = f"rtmp://127.0.0.1:{_closed_port()}/live/x"
    output = Output(
        "pushed", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(22050, 1, 32_000), push_urls=[url]
    )
    events = Events()
    pipeline = make_pipeline(two_layer_job(output), tmp_path, events, mode="fast", duration=1.0)
    run_to_end(pipeline, events)
    assert pipeline.state == "ended"
    out = pipeline.status()["outputs"]["pushed"]
    assert out["push"][0]["url"] == url and "refused" in out["push"][0]["error"].lower()
    assert len(decode_video(out["recording"])) == 10


def test_an_encoder_that_cannot_open_fails_the_task_with_its_reason(tmp_path: Path) -> None:
    output = Output("bad", VideoSpec(preset="no-such-preset"))
    events = Events()
    pipeline = make_pipeline(two_layer_job(output), tmp_path, events, mode="fast", duration=1.0)
    run_to_end(pipeline, events)
    assert pipeline.state == "failed" and "encoder" in (pipeline.error or "")
    assert events.seen[-1] == ("failed", {"error": pipeline.error})


def test_a_job_without_outputs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="no outputs"):
        make_pipeline(two_layer_job(), tmp_path, Events())


_KILLED_CHILD = """
import sys, time
from pathlib import Path
from emulator.core.clock import EmulatorClock
from emulator.core.job import Canvas, Layer, MixJob, Output, ResolvedSource, VideoSpec
from emulator.media.pipeline import MixPipeline
job = MixJob(Canvas(160, 90), [Layer("bars", "pattern:bars?size=160x90")],
             [Output("killed", VideoSpec(fps=10, gop_seconds=0.5, preset="ultrafast"))])
pipeline = MixPipeline(
    job, task_id="kill", resolver=ResolvedSource, clock=EmulatorClock(), data_dir=Path(sys.argv[1])
)
pipeline.start()
time.sleep(30)
"""


def test_a_recording_survives_kill_9(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", _KILLED_CHILD, str(tmp_path)])
    recording = tmp_path / "recordings" / "kill" / "killed.mp4"
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait for a few fragments on disk
            if recording.exists() and recording.read_bytes().count(b"moof") >= 2:
                break
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(5)
    frames = decode_video(recording)
    assert len(frames) >= 5 and (frames[0].width, frames[0].height) == (160, 90)
