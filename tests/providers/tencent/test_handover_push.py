"""Hand-over for an anchor that pushes over RTMP (FFmpeg's client): an RTMP player (FFmpeg's client, in a
child process) connected before the type-0 mix starts sees the mix and then the anchor again on one
connection, and the id's HLS playlist goes on across both changes with EXT-X-DISCONTINUITY."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from emulator.media.clips import write_clip
from emulator.testing import push_rtmp
from tests.providers.tencent.helpers import Tencent
from tests.providers.tencent.test_api3 import cancel_request, client, create_request
from tests.providers.tencent.test_handover import GUEST

pytestmark = pytest.mark.e2e

# Plays an RTMP URL; prints "anchor", "mix" at each change of picture (the guest window green or not), and at
# the end a JSON summary: the sequence of pictures, whether pts ever went back, whether the stream ended.
PLAYER = """
import json, sys, av
seen, last_pts, back, ended = "", None, False, True
with av.open(sys.argv[1], timeout=15) as container:
    for frame in container.decode(video=0):
        r, g, b = frame.to_image().getpixel((240, 130))[:3]
        now = "M" if g > 200 and r < 60 else "A"
        if not seen or seen[-1] != now:
            seen += now
            print("mix" if now == "M" else "anchor", flush=True)
        back = back or (last_pts is not None and frame.pts < last_pts)
        last_pts = frame.pts
        if seen == "AMA":
            ended = False
            break
    # Said before the connection closes: what the player saw is all the test needs.
    print(json.dumps({"seen": seen, "back": back, "ended": ended}), flush=True)
"""


def _expect(player: subprocess.Popen[str], line: str) -> None:
    assert player.stdout is not None
    got = player.stdout.readline().strip()
    assert got == line, (got, line)


def _playlist(url: str) -> str:
    answer = requests.get(url, timeout=5)
    return answer.text if answer.status_code == 200 else ""


def _until_playlist(url: str, check, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while not check(_playlist(url)):
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {_playlist(url)}"
        time.sleep(0.1)


def test_rtmp_player_and_hls_follow_a_pushed_anchor(tencent: Tencent, tmp_path: Path) -> None:
    emu = tencent.emu
    clip = write_clip(tmp_path / "anchor.flv", size=(320, 180), fps=10, duration=2.0, video="color:#ff0000")
    hls = f"{emu.url}/live/anchor/index.m3u8"
    with push_rtmp(clip, emu.rtmp_url("anchor")):
        deadline = time.monotonic() + 15
        while not any(s["stream_id"] == "anchor" and s["info"]["width"] for s in emu.streams()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        tencent.publish("guest", "#00ff00", "160x120")  # settles the push too (5 s rule)
        player = subprocess.Popen(
            [sys.executable, "-c", PLAYER, emu.rtmp_url("anchor")],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            _expect(player, "anchor")
            _until_playlist(hls, lambda text: text.count("#EXTINF") >= 1, "the push's playlist")
            inputs = [
                {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
                {"InputStreamName": "guest", "LayoutParams": GUEST},
            ]
            live = client(tencent)
            live.CreateCommonMixStream(
                create_request("pushed", "anchor", inputs, OutputStreamType=0, OutputStreamGop=1)
            )
            _expect(player, "mix")
            _until_playlist(
                hls, lambda text: "#EXT-X-DISCONTINUITY\n#EXTINF" in text, "the mix in the playlist"
            )
            emu.advance_clock(5)
            live.CancelCommonMixStream(cancel_request("pushed"))
            _expect(player, "anchor")
            assert player.stdout is not None
            line = player.stdout.readline()  # the summary (its reader holds what came with "anchor")
            summary = json.loads(line) if line.strip() else {"exit": player.wait(15)}
        finally:
            player.kill()
        assert summary == {"seen": "AMA", "back": False, "ended": False}
        _until_playlist(
            hls,
            lambda text: text.count("#EXT-X-DISCONTINUITY\n#EXTINF") >= 2,
            "the anchor again in the playlist",
        )
        assert "#EXT-X-ENDLIST" not in _playlist(hls)
