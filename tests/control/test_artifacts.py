"""Recordings and the HLS of a live task over HTTP under /_emulator/, listed as URLs in the task view."""

from __future__ import annotations

import io
import time
import urllib.error
import urllib.request

import av
import pytest

from emulator.testing import EmulatorFixture
from tests.control.support import zego_mix
from tests.providers.zego.helpers import Zego


def fetch(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


def until(check, what: str, timeout: float = 15.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return result


def test_recording_and_hls_urls_download(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    zego.emu.publish("red", "pattern:color?color=#ff0000&size=160x90&tone=440")
    assert zego.start_mix(zego_mix("art", {"red": (0, 0, 160, 90)}, (160, 90)))["Code"] == 0
    task_id = next(t["id"] for t in mix_emulator.tasks("zego"))
    (output,) = until(
        lambda: [o for o in mix_emulator.task(task_id)["outputs"] if o["recording_url"]],
        "the recording's URL",
    )
    assert output["recording_url"].startswith(f"{mix_emulator.url}/_emulator/recordings/")
    assert output["hls_url"] == f"{mix_emulator.url}/_emulator/hls/art_out/index.m3u8"

    def playlist() -> bytes | None:
        status, data, _kind = fetch(output["hls_url"])
        return data if status == 200 and b".ts" in data else None

    listing = until(playlist, "an HLS playlist with a segment", timeout=20)
    segment = next(line for line in listing.decode().splitlines() if line.endswith(".ts"))
    status, data, _ = fetch(output["hls_url"].rsplit("/", 1)[0] + "/" + segment)
    assert status == 200 and data[:1] == b"\x47"  # an MPEG-TS packet

    mix_emulator.request("DELETE", f"/_emulator/tasks/{task_id}")
    until(lambda: mix_emulator.task(task_id)["state"] == "stopped", "the stop")
    url = mix_emulator.task(task_id)["outputs"][0]["recording_url"]
    status, data, _ = fetch(url)
    assert status == 200
    with av.open(io.BytesIO(data)) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (160, 90)
        assert container.streams.audio[0].codec_context.name == "aac"


@pytest.mark.parametrize(
    "path", ["recordings/../../etc/passwd", "recordings/%2e%2e/%2e%2e/x", "hls/nope/index.m3u8"]
)
def test_nothing_outside_the_artifacts_is_served(mix_emulator: EmulatorFixture, path: str) -> None:
    status, data, kind = fetch(f"{mix_emulator.url}/_emulator/{path}")
    assert status == 404 and kind.startswith("application/json"), data
