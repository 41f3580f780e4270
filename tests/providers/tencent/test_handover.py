"""Tencent output_stream_type 0: a player already watching the anchor's id is handed over to the mix at a
keyframe and back to the anchor on cancel, on one HTTP-FLV connection: no end of stream, timestamps never
going back, the picture decoding throughout."""

from __future__ import annotations

import io
import itertools
import threading
import time

import av
import numpy as np
import pytest
import requests

from emulator.media.flv import FlvParser
from tests.providers.tencent.helpers import Tencent
from tests.providers.tencent.test_api3 import cancel_request, client, create_request

pytestmark = pytest.mark.e2e

GUEST = {"ImageLayer": 2, "ImageWidth": 80, "ImageHeight": 60, "LocationX": 200, "LocationY": 100}


class Player:
    """Reads /live/<id>.flv on a thread, as a player app would, keeping every byte and when tags came."""

    def __init__(self, url: str) -> None:
        self.data = bytearray()
        self.ended = False
        self.video_at: list[float] = []  # wall time of each video frame tag
        self._parser = FlvParser()
        self._stop = threading.Event()
        self._response = requests.get(url, stream=True, timeout=10)
        assert self._response.status_code == 200
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for chunk in self._response.iter_content(4096):
            self.data += chunk
            now = time.monotonic()
            for tag in self._parser.feed(chunk):
                if tag.is_video and not tag.is_sequence_header:
                    self.video_at.append(now)
            if self._stop.is_set():
                return
        self.ended = True  # the server ended the response

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self._response.close()

    def frames(self) -> list[np.ndarray]:
        with av.open(io.BytesIO(bytes(self.data)), format="flv") as container:
            return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def _shows_guest(frame: np.ndarray) -> bool:
    return bool(np.abs(frame[130, 240].astype(int) - (0, 255, 0)).max() <= 40)


def _wait_for(player: Player, check, what: str, timeout: float = 8.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_a_connected_player_is_handed_over_to_the_mix_and_back(tencent: Tencent) -> None:
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x120")
    player = Player(f"{tencent.emu.url}/live/anchor.flv")  # connected before the mix starts
    try:
        _wait_for(player, lambda: len(player.video_at) >= 5, "the anchor's picture")
        inputs = [
            {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
            {"InputStreamName": "guest", "LayoutParams": GUEST},
        ]
        live = client(tencent)
        live.CreateCommonMixStream(
            create_request(
                "hand", "anchor", inputs, OutputStreamType=0, OutputStreamGop=1, OutputStreamFrameRate=10
            )
        )
        started = time.monotonic()
        _wait_for(player, lambda: any(_shows_guest(f) for f in player.frames()[-3:]), "the mix")
        assert time.monotonic() - started < 1 + 2.5  # one GOP (1 s) plus the mix's start-up
        shown = len(player.frames())
        tencent.emu.advance_clock(5)  # a cancel needs 5 s after the start (emulator clock)
        live.CancelCommonMixStream(cancel_request("hand"))
        _wait_for(
            player,
            lambda: len(frames := player.frames()) > shown and not _shows_guest(frames[-1]),
            "the anchor again",
        )
        assert not player.ended
    finally:
        player.close()

    frames = player.frames()
    mixed = [_shows_guest(f) for f in frames]
    first, last = mixed.index(True), len(mixed) - 1 - mixed[::-1].index(True)
    assert not any(mixed[:first]) and all(mixed[first : last + 1]) and not any(mixed[last + 1 :])
    assert all(np.abs(f[20, 20].astype(int) - (255, 0, 0)).max() <= 40 for f in frames)  # the anchor
    stamps = [t.timestamp for t in FlvParser().feed(bytes(player.data)) if t.is_video or t.is_audio]
    assert all(b >= a for a, b in itertools.pairwise(stamps)), "a timestamp went back"
    video = [
        t.timestamp for t in FlvParser().feed(bytes(player.data)) if t.is_video and not t.is_sequence_header
    ]
    assert max(b - a for a, b in itertools.pairwise(video)) < 500  # no jump at the switches
