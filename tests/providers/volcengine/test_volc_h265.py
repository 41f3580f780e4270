"""Codec h265: the output is H.265 over Enhanced RTMP, as FFmpeg's own RTMP client and server read it: played
from the emulator's RTMP URL, and pushed to an RTMP server (each in a child process: FFmpeg's RTMP client
holds the GIL while it connects)."""

from __future__ import annotations

import subprocess
import sys
import time

from volc_support import mix_body, service

from emulator.testing import EmulatorFixture
from tests.providers.volcengine.test_volc_media import _free_port, _near

# Reads the first frame of an RTMP URL (playing it, or listening for a push with "listen") and prints the
# codec, the size and the centre pixel.
READER = """
import sys, av
options = {"listen": "1"} if sys.argv[2] == "listen" else {}
with av.open(sys.argv[1], options=options, timeout=30) as container:
    frame = next(container.decode(video=0))
    name = container.streams.video[0].codec_context.name
    print(name, frame.width, frame.height, *frame.to_image().getpixel((160, 90)), flush=True)
"""


def _read(url: str, mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", READER, url, mode], stdout=subprocess.PIPE, text=True)


def _first_frame(reader: subprocess.Popen[str]) -> tuple[str, int, int, tuple[int, ...]]:
    try:
        out, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()
    name, width, height, *pixel = out.split()
    return name, int(width), int(height), tuple(int(v) for v in pixel)


def test_h265_plays_over_rtmp_and_is_pushed(mix_emulator: EmulatorFixture) -> None:
    push_url = f"rtmp://127.0.0.1:{_free_port()}/live/h265out"
    pushed = _read(push_url, "listen")
    time.sleep(0.3)  # let it listen; the push retries with backoff anyway
    body = mix_body(
        "hevc",
        [("bg", 1, "pic", "pattern:color?color=#0000ff&size=320x180")],
        {1: (0, 0, 320, 180)},
        push=[push_url],
    )
    body["MixedRules"]["Output"]["Video"].update(Codec="h265", FrameRate=10, GOP=1)
    task_id = service(mix_emulator).create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    played = _read(mix_emulator.rtmp_url(task_id), "play")
    for reader in (played, pushed):
        name, width, height, pixel = _first_frame(reader)
        assert (name, width, height) == ("hevc", 320, 180) and _near(pixel, (0, 0, 255))
    view = mix_emulator.request("GET", f"/_emulator/tasks/volcengine:{task_id}")
    assert view["outputs"][0]["codecs"] == {"video": "hevc", "audio": "aac"}
