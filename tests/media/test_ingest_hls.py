"""A stream pushed over RTMP (FFmpeg's client) plays over HLS at the URL the
emulator advertises for it, copied without re-encoding; the playlist ends when the push does."""

from __future__ import annotations

import time
from pathlib import Path

import av
import requests

from emulator.media.clips import write_clip
from emulator.testing import EmulatorFixture, push_rtmp


def test_a_push_plays_over_hls(mix_emulator: EmulatorFixture, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "anchor.mp4", size=(160, 90), fps=10, duration=1.0, video="color:#ff0000")
    url = f"{mix_emulator.url}/live/pushed/index.m3u8"
    with push_rtmp(clip, mix_emulator.rtmp_url("pushed")):
        deadline = time.monotonic() + 15
        while True:
            answer = requests.get(url, timeout=5)
            if answer.status_code == 200 and answer.text.count("#EXTINF") >= 2:
                break
            assert time.monotonic() < deadline, (answer.status_code, answer.text)
            time.sleep(0.1)
        stream = next(s for s in mix_emulator.streams() if s["stream_id"] == "pushed")
        assert stream["play"]["hls"] == url
        with av.open(url) as container:
            video = container.streams.video[0]
            assert (video.codec_context.name, video.codec_context.width) == ("h264", 160)
            frames = [f for _, f in zip(range(5), container.decode(video), strict=False)]
        assert len(frames) == 5
    deadline = time.monotonic() + 10
    while "#EXT-X-ENDLIST" not in requests.get(url, timeout=5).text:
        assert time.monotonic() < deadline, "the playlist did not end with the push"
        time.sleep(0.1)
