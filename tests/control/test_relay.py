"""A control-API stream is relayed to its players (HTTP-FLV, RTMP play) while someone watches it."""

from __future__ import annotations

import io
import time
import urllib.request
from collections.abc import Callable

import av
import numpy as np

from emulator.media.relay import IDLE_S, relay_channel
from emulator.testing import EmulatorFixture

RED = "pattern:color?color=%23ff0000&size=160x90&fps=10&tone=440"


def first_frames(url: str, count: int) -> list[np.ndarray]:
    """Decode ``count`` video frames of a live URL with FFmpeg's own HTTP-FLV or RTMP client (slow to
    start: a live FLV may add streams at any time, so FFmpeg analyses a few seconds of it first)."""
    frames = []
    options = {"rw_timeout": "10000000", "analyzeduration": "200000", "fpsprobesize": "0"}
    with av.open(url, options=options, timeout=10) as player:
        for frame in player.decode(video=0):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) == count:
                break
    return frames


def http_flv_frames(url: str, seconds: float) -> tuple[list[np.ndarray], int]:
    """What an HTTP-FLV player receives in ``seconds``: its video frames, decoded, and its audio samples."""
    data = b""
    deadline = time.monotonic() + seconds
    with urllib.request.urlopen(url, timeout=10) as response:
        while time.monotonic() < deadline:
            data += response.read1(65536)
    with av.open(io.BytesIO(data), format="flv") as received:
        frames = [frame.to_ndarray(format="rgb24") for frame in received.decode(video=0)]
    with av.open(io.BytesIO(data), format="flv") as received:
        samples = sum(frame.samples for frame in received.decode(audio=0)) if received.streams.audio else 0
    return frames, samples


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_control_stream_plays_over_http_flv_and_its_relay_stops_once_nobody_watches(
    mix_emulator: EmulatorFixture,
) -> None:
    emu = mix_emulator
    stream = emu.publish("cam", RED)
    assert set(stream["play"]) == {"flv", "rtmp"}  # relayed on demand: no HLS segments to serve
    frames, samples = http_flv_frames(stream["play"]["flv"], 1.0)
    assert len(frames) >= 5 and samples >= 22050  # 10 fps and its tone, relayed in real time
    assert frames[-1].shape == (90, 160, 3)
    assert np.abs(frames[-1][45, 80].astype(int) - (255, 0, 0)).max() < 24  # the stream's own picture
    relays = emu.ctx.relays
    assert set(relays.status()) == {"cam"}

    def stopped_after_idle() -> bool:  # the player has left: IDLE_S later the relay stops
        now = time.monotonic()
        relays.tick(now)
        relays.tick(now + IDLE_S + 1)
        return not relays.status()

    assert wait_for(stopped_after_idle)
    assert wait_for(lambda: not emu.ctx.hub.exists(relay_channel("cam")))


def test_rtmp_play_relays_too_and_unpublishing_ends_the_relay(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    stream = emu.publish("cam2", RED)
    assert len(first_frames(stream["play"]["rtmp"], 3)) == 3
    emu.unpublish("cam2")
    assert wait_for(lambda: (emu.ctx.relays.tick(time.monotonic()), not emu.ctx.relays.status())[1])


def test_no_relay_for_what_is_not_a_control_stream(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    assert not emu.ctx.relays.start("nobody")
    emu.ctx.registry.publish("pushed", "live:pushed", origin="rtmp")  # an RTMP push is played as it comes
    assert not emu.ctx.relays.start("pushed")
