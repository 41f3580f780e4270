"""What a stopped pipeline lets go of (threads, FFmpeg contexts, its HLS folder) without the garbage
collector, and the realtime factor it reports when it cannot keep up."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

from bench.soak import Usage
from emulator.core.job import AudioSpec, Output, VideoSpec
from emulator.media.encoder import EncodedPacket, OutputEncoder
from emulator.media.sinks import HlsSink, Sink, standard_sinks
from tests.media.test_pipeline import Events, make_pipeline, two_layer_job
from tests.media.test_sinks import encode_clip


def os_threads() -> int:
    return Usage.now().threads  # every thread, x264's and swscale's included


def test_a_stopped_pipeline_releases_its_threads_and_hls_folder_without_the_gc(tmp_path: Path) -> None:
    output = Output("rel", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    baseline = Usage.now()
    gc.disable()
    try:
        for run in range(3):
            events = Events()
            pipeline = make_pipeline(two_layer_job(output), tmp_path, events, mode="realtime", keep_hls=False)
            pipeline.start()
            deadline = time.monotonic() + 10
            while pipeline.status()["frames"] < 12 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert (tmp_path / "hls" / "rel").is_dir()
            assert os_threads() > baseline.threads  # the tick, encoding and sink threads, x264's own
            pipeline.stop()
            assert events.kinds()[-1] == "stopped"
            left = Usage.settled(baseline).threads_since(baseline)
            assert left == 0, f"run {run}: {left} threads left after stop"
            assert not (tmp_path / "hls" / "rel").exists()
            status = pipeline.status()  # still answers, from what it kept
            assert status["state"] == "stopped" and status["outputs"]["rel"]["frames"] >= 12
    finally:
        gc.enable()
    recordings = list((tmp_path / "recordings").glob("*/*.mp4"))
    assert len(recordings) == 3  # recordings stay


class SlowSink(Sink):
    """A sink that takes 0.2 s per tick (one packet: the output has no audio), with room for one: the
    encoding thread, then the tick thread, wait for it (a starved machine, made on purpose)."""

    kind = "slow"

    def __init__(self, templates: dict) -> None:
        super().__init__(templates, queue_size=1, wait_s=5.0)

    def put_batch(self, packets: list[EncodedPacket]) -> None:  # a tick's packets: one video frame here
        time.sleep(0.2)
        super().put_batch(packets)

    def _open(self):  # type: ignore[no-untyped-def]
        import av

        return av.open(os.devnull, "w", format="null")


def test_a_pipeline_that_cannot_keep_up_says_it_is_behind(tmp_path: Path) -> None:
    output = Output("slow", VideoSpec(fps=10, preset="ultrafast"), None)

    def sinks(encoder: OutputEncoder) -> list[Sink]:
        kept = standard_sinks(encoder, data_dir=tmp_path, task_id="test:1", hub=None)
        return [*kept, SlowSink(encoder.templates)]

    events = Events()
    pipeline = make_pipeline(two_layer_job(output), tmp_path, events, mode="realtime", sink_factory=sinks)
    pipeline.start()
    try:
        deadline = time.monotonic() + 10
        while (status := pipeline.status())["realtime_factor"] is None or status["media_time"] < 0.8:
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        time.sleep(1.0)
        status = pipeline.status()
        # About 5 frames a second of the 10 asked for.
        assert status["realtime_factor"] < 0.7 and status["behind"] is True, status
    finally:
        pipeline.stop()
    assert pipeline.status()["behind"] is True  # the last measure stays


def test_a_stopping_hls_sink_leaves_the_folder_a_newer_output_took_over(tmp_path: Path) -> None:
    encoder, packets = encode_clip(2.0)
    folder = tmp_path / "hls" / "same_id"
    old = HlsSink(encoder.templates, folder, queue_size=1000, remove_on_close=True)
    old.start("old")
    for packet in packets[:10]:
        old.put(packet)
    deadline = time.monotonic() + 5
    while not folder.is_dir():  # the old output writes there now
        assert time.monotonic() < deadline
        time.sleep(0.01)
    new = HlsSink(encoder.templates, folder, queue_size=1000, remove_on_close=True)
    new.start("new")  # the same stream id started again while the old task still stops
    for packet in packets:
        new.put(packet)
    while not (folder / "index.m3u8").exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    old.request_stop(1.0)
    old.join(5.0)
    assert (folder / "index.m3u8").exists()  # the old one's stop left the new one's folder alone
    new.request_stop(5.0)
    new.join(5.0)
    assert not folder.exists()  # and the new one's own stop removes it
