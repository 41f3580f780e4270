"""A mix output's HLS is written only while someone plays it (media/hls_demand.py), across the worker
boundary: nothing before the first request, a playable playlist for the player, and nothing again IDLE_S
after the last request (on the emulator clock)."""

from __future__ import annotations

import time
from pathlib import Path

import av

from emulator.media.hls_demand import IDLE_S
from tests.providers.zego.helpers import Zego

RED = "pattern:color?color=#ff0000&size=64x36&fps=10&tone=440"


def _hls_sink(zego: Zego, task_id: str) -> dict:
    (output,) = zego.emu.task(task_id)["outputs"]
    return next(s for s in output["sinks"] if s["kind"] == "hls")


def _until(check, what: str, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_hls_is_written_only_while_played(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    body = {
        "TaskId": "hlsd",
        "UserId": "owner",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36}}],
        "MixOutput": [{"StreamId": "hlsd_out", "Width": 64, "Height": 36, "Fps": 10, "Bitrate": 100_000}],
    }
    assert zego.call("StartMix", body)["Code"] == 0
    task_id = "zego:12345:hlsd"
    zego.wait_frames(task_id, 25)  # 2.5 s: a 2 s GOP would have closed a first segment by now
    folder: Path = zego.emu.data_dir / "hls" / "hlsd_out"
    assert not folder.exists(), "HLS written while nobody played it"
    assert _hls_sink(zego, task_id)["state"] == "idle"

    # A player: its first playlist request waits for the first segment, then the stream decodes.
    with av.open(f"{zego.emu.url}/live/hlsd_out/index.m3u8", timeout=10) as player:
        frame = next(player.decode(video=0))
        assert (frame.width, frame.height) == (64, 36)
        red, green, blue = frame.to_image().getpixel((32, 18))
        assert red > 200 and green < 40 and blue < 40
        assert player.streams.audio[0].codec_context.name == "aac"
    assert (folder / "index.m3u8").is_file()
    assert _hls_sink(zego, task_id)["packets"] > 0

    # IDLE_S without a request (the emulator clock): the playlist ends and its folder goes.
    zego.emu.advance_clock(IDLE_S + 1)
    _until(lambda: not folder.exists(), "the HLS folder to go after the idle time")
    _until(lambda: _hls_sink(zego, task_id)["state"] == "idle", "the HLS sink to rest")
    packets = _hls_sink(zego, task_id)["packets"]
    zego.wait_frames(task_id, zego.emu.task(task_id)["frames"] + 10)
    assert not folder.exists() and _hls_sink(zego, task_id)["packets"] == packets

    assert zego.call("StopMix", {"TaskId": "hlsd", "UserId": "owner"})["Code"] == 0
    zego.wait_state(task_id, "stopped")
