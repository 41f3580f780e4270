"""Inputs decoded and scaled once for every live mix of a process: a looping file (shared_file.py) and a
shared network feed (network.py), each scaling once per layer geometry."""

from __future__ import annotations

import time
from pathlib import Path

import av

from emulator.core.job import Layer, Rect
from emulator.media.clips import write_clip
from emulator.media.placement import Prescaler
from emulator.media.sources import AudioFormat, open_source
from emulator.media.sources.file import files_opened
from emulator.media.sources.network import StreamSource, url_opener

FMT = AudioFormat(22050, 1)


class CountingPrescaler(Prescaler):
    def __init__(self, layer: Layer, canvas: tuple[int, int]) -> None:
        super().__init__(layer, canvas, "BILINEAR")
        self.calls = 0

    def __call__(self, frame: av.VideoFrame):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().__call__(frame)


def _layer() -> Layer:
    return Layer(id="l", source="x", rect=Rect(0, 0, 32, 18))


def _until(check, what: str, timeout: float = 10.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
    return result


def test_a_looping_file_is_decoded_and_scaled_once_for_every_live_mix(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "loop.mp4", size=(64, 36), fps=10, duration=1.0)
    first = open_source(str(clip), loop=True, audio=FMT, share=True)
    second = open_source(str(clip), loop=True, audio=FMT, share=True)
    alone = open_source(str(clip), loop=True, audio=FMT)  # share=False (a fast render): its own decoder
    try:
        a, b = CountingPrescaler(_layer(), (64, 36)), CountingPrescaler(_layer(), (64, 36))
        first.scale_ahead(a)
        second.scale_ahead(b)  # the same geometry: one scaling for both
        for step in range(15):
            frames = [_until(lambda s=s, t=step / 10: s.video_at(t), "a frame") for s in (first, second)]
            time.sleep(0.02)
        assert frames[0] is frames[1]  # the same decoded frame, at the same position
        scaled = [s.prescaled(f) for s, f in zip((first, second), frames, strict=True)]
        assert scaled[0] is not None and scaled[0] is scaled[1]
        assert scaled[0].frame.width == 32 and b.calls == 0 and a.calls > 0
        assert second.audio_at(0, 2205).shape == (1, 2205)
        assert files_opened()[str(clip)] == 2  # the shared decoder and the unshared one
        assert first.state.value == "live"
    finally:
        for source in (first, second, alone):
            source.close()


def test_a_shared_network_feed_scales_once_per_layer_geometry(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "feed.flv", size=(64, 36), fps=10, duration=2.0)
    key = ("test", str(clip))
    sources = [
        StreamSource(str(clip), url_opener(str(clip)), live=True, audio=FMT, share_key=key) for _ in range(2)
    ]
    try:
        prescalers = [CountingPrescaler(_layer(), (64, 36)) for _ in sources]
        for source, prescaler in zip(sources, prescalers, strict=True):
            source.scale_ahead(prescaler)
        t = 0.0
        while True:
            frames = [source.video_at(t) for source in sources]
            if frames[0] is not None and frames[0] is frames[1]:
                break
            assert t < 20, "the two sources never showed the same frame"
            t += 0.05
            time.sleep(0.05)
        scaled = [s.prescaled(f) for s, f in zip(sources, frames, strict=True)]
        assert scaled[0] is not None and scaled[0] is scaled[1]
        assert sum(p.calls for p in prescalers) == 1
    finally:
        for source in sources:
            source.close()
