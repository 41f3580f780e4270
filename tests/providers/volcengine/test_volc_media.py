"""The composed output, decoded: each source in its limit box (aspect kept, the rest transparent), Layer
order, logos above in the order given, a live update, the play URL, the recording, and the rtmp:// push
(received by FFmpeg's own RTMP server in another process)."""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
from PIL import Image
from volc_support import mix_body, service

from emulator.client import ControlError
from emulator.testing import EmulatorFixture

RED, BLUE, WHITE = (255, 0, 0), (0, 0, 255), (255, 255, 255)
GREEN, YELLOW = (0, 255, 0), (255, 255, 0)
TOLERANCE = 40


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(pixel[:3], colour, strict=True))


def _snapshot(emu: EmulatorFixture, task_id: str) -> Image.Image | None:
    try:
        return Image.open(io.BytesIO(emu.snapshot(f"volcengine:{task_id}"))).convert("RGB")
    except ControlError:
        return None  # no frame yet


def _until(check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return result


def _shows(emu: EmulatorFixture, task_id: str, expected: dict[tuple[int, int], tuple[int, int, int]]) -> bool:
    image = _snapshot(emu, task_id)
    return image is not None and all(_near(image.getpixel(xy), colour) for xy, colour in expected.items())


BEFORE_UPDATE = {
    (250, 50): BLUE,  # the 160x160 square scaled to 60x60, centred in its 100x60 box at (200, 20)
    (205, 50): RED,  # the rest of that box is transparent: the background shows
    (290, 50): RED,
    (60, 140): WHITE,  # the 100x50 picture scaled to 80x40, centred in its 80x80 box at (20, 100)
    (60, 110): RED,
    (10, 10): GREEN,  # logo 1
    (30, 30): YELLOW,  # logo 2 overlaps logo 1 and is drawn above it
    (50, 50): YELLOW,
    (160, 170): RED,
}
AFTER_UPDATE = {(250, 50): RED, (130, 130): BLUE, (60, 140): RED, (30, 30): YELLOW}


def test_sources_in_limit_boxes_logos_update_and_outputs(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    emu.publish("red", "pattern:color?color=#ff0000&size=320x180")
    emu.publish("blue", "pattern:color?color=#0000ff&size=160x160&tone=440")
    emu.map_url("https://img.example.org/white.png", "pattern:color?color=#ffffff&size=100x50")
    emu.map_url("https://img.example.org/green.png", "pattern:color?color=#00ff00&size=40x40")
    emu.map_url("https://img.example.org/yellow.png", "pattern:color?color=#ffff00&size=40x40")
    body = mix_body(
        "media",
        [
            ("sq", 5, "live", emu.rtmp_url("blue")),  # the emulator's own RTMP play URL
            ("bg", 1, "live", f"http://{emu.host_port}/live/red.flv"),  # and its HTTP-FLV one
            ("pic", 3, "pic", "https://img.example.org/white.png"),
        ],
        {5: (200, 20, 100, 60), 1: (0, 0, 320, 180), 3: (20, 100, 80, 80)},
        logos=[
            ("https://img.example.org/green.png", (0, 0, 40, 40)),
            ("https://img.example.org/yellow.png", (20, 20, 40, 40)),
        ],
    )
    body["MixedRules"]["Output"]["Video"]["FrameRate"] = 10
    svc = service(emu)
    task_id = svc.create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    _until(lambda: _shows(emu, task_id, BEFORE_UPDATE), "the composed frame")

    # Always playable at the emulator's play URL (HTTP-FLV of the TaskID).
    with av.open(f"{emu.url}/live/{task_id}.flv", timeout=10) as player:
        frame = next(player.decode(video=0))
        assert (frame.width, frame.height) == (320, 180)
    update = {"TaskID": task_id, "MixedRules": body["MixedRules"]}
    update["MixedRules"]["InputSource"].pop()  # the picture goes
    update["MixedRules"]["InputLayout"]["Scene"]["Layout"] = [
        {"X": 100, "Y": 100, "W": 60, "H": 60, "Layer": 5},
        {"X": 0, "Y": 0, "W": 320, "H": 180, "Layer": 1},
    ]
    assert svc.update_cloud_mix_task(update)["Result"]["Data"] == {"OptID": 1}
    _until(lambda: _shows(emu, task_id, AFTER_UPDATE), "the updated layout")

    svc.delete_cloud_mix_task({"TaskID": task_id})
    _until(
        lambda: svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]["Status"] == "done",
        "done",
    )
    (recording,) = Path(emu.ctx.settings.data_dir).rglob(f"{task_id}.mp4")
    _check_recording(recording)


def _check_recording(path: Path) -> None:
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 320, 180)
        assert (audio.codec_context.name, audio.sample_rate, audio.channels) == ("aac", 44100, 2)
        frames = [f.to_image() for f in container.decode(video=0)]
    assert any(_near(f.getpixel((250, 50)), BLUE) for f in frames)  # before the update
    assert _near(frames[-1].getpixel((130, 130)), BLUE) and _near(frames[-1].getpixel((250, 50)), RED)


# FFmpeg listening as an RTMP server: prints the size and centre pixel of the first frame pushed to it.
RECEIVER = """
import sys, av
with av.open(sys.argv[1], options={"listen": "1"}, timeout=30) as container:
    frame = next(container.decode(video=0))
    print(frame.width, frame.height, *frame.to_image().getpixel((160, 90)), flush=True)
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_output_is_pushed_to_rtmp_urls(mix_emulator: EmulatorFixture) -> None:
    url = f"rtmp://127.0.0.1:{_free_port()}/live/mixout"
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, url], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # let it listen; the push retries with backoff anyway
        body = mix_body(
            "push",
            [("bg", 1, "pic", "pattern:color?color=#0000ff&size=320x180")],
            {1: (0, 0, 320, 180)},
            push=["push.example.com", url],
        )
        service(mix_emulator).create_cloud_mix_task(body)
        out, _ = receiver.communicate(timeout=30)
    finally:
        receiver.kill()
    width, height, *pixel = (int(v) for v in out.split())
    assert (width, height) == (320, 180) and _near(tuple(pixel), BLUE)
