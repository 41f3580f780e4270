"""SEI over RTMP: a ZEGO mix's UserData and sound levels reach a player of the output's RTMP URL, and the
same bytes arrive in the stream the mix pushes to an rtmp:// URL (a second emulator's RTMP ingest, played back
from it over RTMP); an updated UserData shows up in later frames of the same connections. H.264 and H.265
(Enhanced RTMP, FourCC hvc1).

The push goes to a second emulator, not to the first one's own ingest: a push output is named after its URL's
last segment and is itself playable under that name, so a push to the same emulator would be indistinguishable
from (and collide with) the output's own live channel.

Players are FFmpeg's RTMP client through PyAV in child processes (it holds the GIL while it connects, which
would stall the in-process emulator's RTMP server); each prints the SEI of every video packet it demuxes, as
``read_sei`` finds it in the length-prefixed NAL units."""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.kit.handle import EmulatorHandle
from emulator.kit.settings import merged_settings
from emulator.media.sei_feed import SOUND_LEVEL_UUID, USER_DATA_UUID, parse_sound_levels
from emulator.server import EmulatorThread
from emulator.testing import EmulatorFixture

FIRST = b"\x00\x00\x01first\x00\x00\x03"  # start-code and emulation-prevention lookalikes: must survive as-is
SECOND = b"second\xff"

# Plays an RTMP URL and prints, per video packet with data, a JSON line:
# {"codec": name, "sei": {uuid hex: payload hex}}. Stops after 200 packets (or when killed).
PLAYER = """
import json, sys, av
from emulator.media.sei import read_sei
with av.open(sys.argv[1], options={"fpsprobesize": "0", "rw_timeout": "5000000"}, timeout=10) as container:
    stream = container.streams.video[0]
    codec = stream.codec_context.name
    count = 0
    for packet in container.demux(stream):
        if not packet.size:
            continue
        messages = read_sei(bytes(packet), codec, annexb=False)
        sei = {m.uuid.hex(): m.payload.hex() for m in messages}
        print(json.dumps({"codec": codec, "sei": sei}), flush=True)
        count += 1
        if count >= 200:
            break
"""


class Player:
    """A child process playing one RTMP URL; ``packets`` holds what it reported so far."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.child = subprocess.Popen([sys.executable, "-c", PLAYER, url], stdout=subprocess.PIPE, bufsize=0)
        self.packets: list[dict[str, Any]] = []
        self._pending = b""

    def poll(self, timeout: float) -> None:
        """Take in the lines the child printed within ``timeout`` seconds."""
        assert self.child.stdout is not None
        ready, _, _ = select.select([self.child.stdout], [], [], timeout)
        if not ready:
            return
        chunk = os.read(self.child.stdout.fileno(), 65536)
        if not chunk:  # the child ended: whatever it said is all there is
            assert self.packets, f"{self.url}: the player ended without a video packet"
            raise AssertionError(f"{self.url}: the player ended after {len(self.packets)} packets")
        self._pending += chunk
        *lines, self._pending = self._pending.split(b"\n")
        self.packets += [json.loads(line) for line in lines if line]

    def user_data(self) -> list[bytes | None]:
        return [_payload(p, USER_DATA_UUID) for p in self.packets]

    def close(self) -> None:
        self.child.kill()
        self.child.wait(5)
        if self.child.stdout is not None:
            self.child.stdout.close()


def _payload(packet: dict[str, Any], uuid: bytes) -> bytes | None:
    found = packet["sei"].get(uuid.hex())
    return None if found is None else bytes.fromhex(found)


def _wait(players: list[Player], done: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(done(p) for p in players):
        assert time.monotonic() < deadline, [(p.url, p.user_data()) for p in players]
        for player in players:
            player.poll(0.02)


def _body(task: str, user_data: bytes, push_url: str, encoder: int) -> dict[str, Any]:
    video = {"Width": 160, "Height": 90, "Fps": 10, "VideoBitrate": 300000, "VideoEncId": encoder}
    return {
        "TaskId": task,
        "UserId": "u1",
        "SoundLevel": 1,
        "UserData": base64.b64encode(user_data).decode(),
        "MixInput": [
            {
                "StreamId": "tone",
                "SoundLevelId": 7,
                "RectInfo": {"Left": 0, "Top": 0, "Right": 80, "Bottom": 90},
            },
            {
                "StreamId": "mute",
                "SoundLevelId": 9,
                "RectInfo": {"Left": 80, "Top": 0, "Right": 160, "Bottom": 90},
            },
        ],
        "MixOutput": [{"StreamId": f"{task}_out", **video}, {"StreamUrl": push_url, **video}],
    }


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorHandle]:
    """A second emulator: the far end of the pushes (its RTMP ingest, then its RTMP play)."""
    thread = EmulatorThread(merged_settings({}, tmp_path_factory.mktemp("receiver"))).start()
    try:
        yield EmulatorHandle(thread)
    finally:
        thread.stop()


@pytest.mark.parametrize(("encoder", "codec"), [(0, "h264"), (3, "hevc")], ids=["h264", "h265"])
def test_sei_reaches_rtmp_players_and_rtmp_pushes(
    mix_emulator: EmulatorFixture, receiver: EmulatorHandle, encoder: int, codec: str
) -> None:
    mix_emulator.publish("tone", "pattern:color?color=#ff0000&size=160x90&tone=440")
    mix_emulator.publish("mute", "pattern:color?color=#0000ff&size=160x90")
    task = f"sei{codec}"
    push_url = receiver.rtmp_url(f"{task}_pushed")
    answer = mix_emulator.zego.call("StartMix", _body(task, FIRST, push_url, encoder))
    assert answer["Code"] == 0, answer

    players = [Player(mix_emulator.rtmp_url(f"{task}_out"))]
    try:
        deadline = time.monotonic() + 15
        while receiver.ctx.registry.get(f"{task}_pushed") is None:  # the push has started publishing
            assert time.monotonic() < deadline, "the push never reached the receiver"
            time.sleep(0.02)
        players.append(Player(push_url))
        _wait(players, lambda p: len(p.packets) >= 3)
        for player in players:
            assert {p["codec"] for p in player.packets} == {codec}, player.url
            assert all(user_data == FIRST for user_data in player.user_data()), player.url
            levels = [parse_sound_levels(_payload(p, SOUND_LEVEL_UUID) or b"") for p in player.packets]
            assert all(set(level) == {7, 9} and level[9] == 0 for level in levels), (player.url, levels)

        update = mix_emulator.zego.call("StartMix", _body(task, SECOND, push_url, encoder))
        assert update["Code"] == 0, update
        _wait(players, lambda p: p.user_data()[-1] == SECOND)
        for player in players:  # the same connection: the old bytes, then only the new ones
            user_data = player.user_data()
            switch = user_data.index(SECOND)
            assert switch >= 3 and set(user_data[:switch]) == {FIRST}, (player.url, user_data)
            assert set(user_data[switch:]) == {SECOND}, (player.url, user_data)
            levels = [parse_sound_levels(_payload(p, SOUND_LEVEL_UUID) or b"") for p in player.packets]
            assert max(level[7] for level in levels) > 0, (player.url, levels)  # the 440 Hz tone is heard
    finally:
        for player in players:
            player.close()
