"""The outputs really play: the HTTP-FLV stream of PlayInfo decodes to the composed picture with sound,
HLS is served, the recording holds H.264 + AAC; a pure-audio mix records no video."""

from __future__ import annotations

import io
import time

import av
import requests

from tests.providers.zego.helpers import Zego, close, fixture_body

RED_TONE = "pattern:color?color=#ff0000&size=160x90&tone=440"
BLUE = "pattern:color?color=#0000ff&size=160x90"


def _start(zego: Zego) -> dict[str, str]:
    zego.emu.publish("red", RED_TONE)
    zego.emu.publish("blue", BLUE)
    body = {
        "TaskId": "m1",
        "UserId": "u1",
        "MixInput": [
            {"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 80, "Bottom": 90}},
            {"StreamId": "blue", "RectInfo": {"Left": 80, "Top": 0, "Right": 160, "Bottom": 90}},
        ],
        "MixOutput": [{"StreamId": "mout", "Width": 160, "Height": 90, "Fps": 10, "VideoBitrate": 400000}],
    }
    answer = zego.start_mix(body)
    assert answer["Code"] == 0, answer
    return answer["Data"]["PlayInfo"][0]


def _read_flv(url: str, seconds: float) -> bytes:
    """A player's first seconds of an HTTP-FLV stream."""
    data = bytearray()
    deadline = time.monotonic() + seconds
    with requests.get(url, stream=True, timeout=10) as response:
        assert response.status_code == 200 and response.headers["Content-Type"] == "video/x-flv"
        for chunk in response.iter_content(4096):
            data += chunk
            if time.monotonic() > deadline:
                break
    return bytes(data)


def test_play_info_flv_decodes_to_the_mix(zego: Zego) -> None:
    play = _start(zego)
    zego.wait_frames("zego:12345:m1")
    with av.open(io.BytesIO(_read_flv(play["FLV"], 1.5)), format="flv") as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        frame = next(container.decode(video=0))
    image = frame.to_image()
    assert image.size == (160, 90)
    assert close(image.getpixel((40, 45)), (255, 0, 0), 16)
    assert close(image.getpixel((120, 45)), (0, 0, 255), 16)


def test_hls_and_recording(zego: Zego) -> None:
    play = _start(zego)
    zego.wait_frames("zego:12345:m1", frames=25)
    playlist = requests.get(play["HLS"], timeout=10)
    assert playlist.status_code == 200 and "#EXTM3U" in playlist.text
    assert zego.call("StopMix", {"TaskId": "m1", "UserId": "u1"})["Code"] == 0
    zego.wait_state("zego:12345:m1", "stopped")
    task = zego.emu.ctx.tasks.get("zego:12345:m1")
    assert task is not None
    recording = task.media_status()["outputs"]["mout"]["recording"]
    with av.open(recording) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.width, video.height) == ("h264", 160, 90)
        assert audio.codec_context.name == "aac"
        frames = sum(1 for _ in container.decode(video=0))
    assert frames >= 20


def test_pure_audio_mix_records_only_sound(zego: Zego) -> None:
    zego.emu.publish("xxxxxxxx", RED_TONE)
    answer = zego.legacy_post("/cgi/start-mix", fixture_body("php_sample.json"), zego.token())
    assert answer["code"] == 0
    time.sleep(1.0)
    stop = {"task_id": "xxxxx", "id_name": "xxx"}
    assert zego.legacy_post("/cgi/stop-mix", stop, zego.token())["code"] == 0
    zego.wait_state("zego:12345:xxxxx", "stopped")
    task = zego.emu.ctx.tasks.get("zego:12345:xxxxx")
    assert task is not None
    with av.open(task.media_status()["outputs"]["xxxxx"]["recording"]) as container:
        assert not container.streams.video
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.streams.audio[0].channels == 1
