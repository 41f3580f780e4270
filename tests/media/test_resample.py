"""The audio resampler runs its filter graph on the caller's thread, and converts exactly as PyAV's does."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

from bench.soak import Usage
from emulator.config import usable_cores
from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, Rect, VideoSpec
from emulator.media.clips import write_clip
from emulator.media.resample import AudioResampler
from tests.media.test_pipeline import Events, make_pipeline


def decoded_audio(path: Path) -> list[av.AudioFrame]:
    with av.open(str(path)) as container:
        return list(container.decode(container.streams.audio[0]))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("resample")
    return write_clip(folder / "tone.mp4", size=(64, 36), fps=10, duration=1.0, audio_rate=22050, channels=2)


def test_it_converts_rate_layout_and_frame_size_as_pyav_does(clip: Path) -> None:
    ours, theirs = (
        AudioResampler("fltp", "mono", 44100, frame_size=1024),
        av.AudioResampler(format="fltp", layout="mono", rate=44100, frame_size=1024),
    )
    mine: list[av.AudioFrame] = []
    reference: list[av.AudioFrame] = []
    for frame in decoded_audio(clip):
        mine += ours.resample(frame)
        reference += theirs.resample(frame)
    mine += ours.resample(None)
    reference += theirs.resample(None)
    assert [f.samples for f in mine[:-1]] == [1024] * (len(mine) - 1)
    assert {(f.format.name, f.layout.name, f.sample_rate) for f in mine} == {("fltp", "mono", 44100)}
    samples = np.concatenate([f.to_ndarray() for f in mine], axis=1)
    expected = np.concatenate([f.to_ndarray() for f in reference], axis=1)
    assert samples.shape == expected.shape and samples.shape[1] > 40_000  # 1 s at 44.1 kHz
    assert np.array_equal(samples, expected)


def test_it_starts_no_thread(clip: Path) -> None:
    before = Usage.now().threads
    resampler = AudioResampler("fltp", "mono", 48000)
    for frame in decoded_audio(clip):
        resampler.resample(frame)
    assert Usage.now().threads == before  # PyAV's own starts a pool of one thread per core


def test_a_frame_already_in_the_target_format_passes_through(clip: Path) -> None:
    frame = decoded_audio(clip)[0]
    resampler = AudioResampler(frame.format.name, frame.layout.name, frame.sample_rate)
    assert resampler.resample(frame) == [frame]
    assert resampler.resample(None) == []


def test_a_frame_of_another_set_up_is_refused(clip: Path) -> None:
    frames = decoded_audio(clip)
    resampler = AudioResampler("fltp", "mono", 44100)
    resampler.resample(frames[0])
    other = av.AudioFrame.from_ndarray(np.zeros((1, 256), np.float32), "fltp", "mono")
    other.sample_rate = 8000
    with pytest.raises(ValueError, match="does not match"):
        resampler.resample(other)


def test_a_live_task_of_two_files_runs_our_threads_and_one_ffmpeg_pool_at_most(
    clip: Path, tmp_path: Path
) -> None:
    """docs/internals.md ("Threads and processes"): 7 threads of ours per task; FFmpeg's only pool left is
    the AAC encoder's (PyAV re-frames encoder input through a filter graph of its own, a thread per core)."""
    other = write_clip(tmp_path / "other.mp4", size=(64, 36), fps=10, duration=1.0, audio_rate=48000)
    layers = [
        Layer("left", str(clip), rect=Rect(0, 0, 80, 90)),
        Layer("right", str(other), rect=Rect(80, 0, 80, 90)),
    ]
    output = Output("threads", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(44100, 1, 32_000))
    before, ours_before = Usage.now().threads, threading.active_count()
    pipeline = make_pipeline(MixJob(Canvas(160, 90), layers, [output]), tmp_path, Events(), mode="realtime")
    pipeline.start()
    try:
        deadline = time.monotonic() + 10
        while pipeline.status()["outputs"].get("threads", {}).get("frames", 0) < 5:
            assert time.monotonic() < deadline, pipeline.status()
            time.sleep(0.02)
        ours = threading.active_count() - ours_before
        names = sorted(thread.name for thread in threading.enumerate())
        native = Usage.now().threads - before - ours
        assert ours == 6, names  # tick, encoding, recording, HLS, one per file (no live hub here: no FLV)
        assert native <= usable_cores(), f"{native} FFmpeg threads for one task"
    finally:
        pipeline.stop()
