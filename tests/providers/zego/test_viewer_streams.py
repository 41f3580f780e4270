"""What ZEGO players receive: the codecs StartMix asks for (VideoEncId 3, AudioCodec 2/3, HE-AAC as AAC-LC),
UserData and sound levels as SEI in the HTTP-FLV stream (Enhanced FLV for H.265), an updated UserData in the
next frames, and ByPass with one input."""

from __future__ import annotations

import base64
import io
import time
from typing import Any

import av
import requests

from emulator.core.streams import MediaInfo
from emulator.media.flv import FlvParser
from emulator.media.sei import read_sei
from emulator.media.sei_feed import SOUND_LEVEL_UUID, USER_DATA_UUID, parse_sound_levels
from emulator.providers.zego import translate
from tests.providers.zego.helpers import Zego, fixture_body

TONE = "pattern:color?color=#ff0000&size=160x90&tone=440"
SILENT = "pattern:color?color=#0000ff&size=160x90"


def _body(user_data: bytes, **output: Any) -> dict[str, Any]:
    return {
        "TaskId": "v1",
        "UserId": "u1",
        "SoundLevel": 1,
        "UserData": base64.b64encode(user_data).decode(),
        "MixInput": [
            {
                "StreamId": "red",
                "SoundLevelId": 11,
                "RectInfo": {"Left": 0, "Top": 0, "Right": 80, "Bottom": 90},
            },
            {
                "StreamId": "blue",
                "SoundLevelId": 22,
                "RectInfo": {"Left": 80, "Top": 0, "Right": 160, "Bottom": 90},
            },
        ],
        "MixOutput": [
            {"StreamId": "vout", "Width": 160, "Height": 90, "Fps": 10, "VideoBitrate": 300000, **output}
        ],
    }


def _play(url: str, frames: int = 8) -> bytes:
    """A player's first ``frames`` video frames of an HTTP-FLV stream."""
    data, parser, seen = bytearray(), FlvParser(), 0
    deadline = time.monotonic() + 10
    with requests.get(url, stream=True, timeout=10) as response:
        for chunk in response.iter_content(1024):
            data += chunk
            seen += sum(1 for tag in parser.feed(chunk) if tag.is_video and not tag.is_sequence_header)
            if seen >= frames or time.monotonic() > deadline:
                break
    return bytes(data)


def _sei(flv: bytes) -> tuple[str, str, list[dict[bytes, bytes]]]:
    """Video codec, audio codec, and per video packet its SEI messages by UUID."""
    with av.open(io.BytesIO(flv), format="flv") as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        names = video.codec_context.name, audio.codec_context.codec.canonical_name
        found = [
            {m.uuid: m.payload for m in read_sei(bytes(p), names[0], annexb=False)}
            for p in container.demux(video)
            if p.size
        ]
    return names[0], names[1], found


def test_h265_opus_with_user_data_and_sound_level_sei(zego: Zego) -> None:
    zego.emu.publish("red", TONE)
    zego.emu.publish("blue", SILENT)
    answer = zego.start_mix(_body(b"\x00first", VideoEncId=3, AudioCodec=3))
    assert answer["Code"] == 0, answer
    zego.wait_frames("zego:12345:v1", frames=10)
    view = zego.emu.request("GET", "/_emulator/tasks/zego:12345:v1")
    assert view["outputs"][0]["codecs"] == {"video": "hevc", "audio": "opus"}

    video, audio, frames = _sei(_play(answer["Data"]["PlayInfo"][0]["FLV"]))
    assert (video, audio) == ("hevc", "opus")
    assert frames and all(f[USER_DATA_UUID] == b"\x00first" for f in frames)
    levels = [parse_sound_levels(f[SOUND_LEVEL_UUID]) for f in frames]
    assert all(set(level) == {11, 22} for level in levels)
    assert max(level[11] for level in levels) > 0 and all(level[22] == 0 for level in levels)

    assert zego.start_mix(_body(b"second", VideoEncId=3, AudioCodec=3))["Code"] == 0  # an update
    deadline = time.monotonic() + 5
    while True:
        _, _, frames = _sei(_play(answer["Data"]["PlayInfo"][0]["FLV"], frames=3))
        if frames[-1][USER_DATA_UUID] == b"second" or time.monotonic() > deadline:
            break
    assert frames[-1][USER_DATA_UUID] == b"second"


def test_mp3_and_he_aac_outputs(zego: Zego) -> None:
    zego.emu.publish("red", TONE)
    zego.emu.publish("blue", SILENT)
    body = _body(b"x", AudioCodec=2)
    body["MixOutput"].append({**body["MixOutput"][0], "StreamId": "he", "AudioCodec": 0})
    answer = zego.start_mix(body)
    assert answer["Code"] == 0, answer
    zego.wait_frames("zego:12345:v1")
    outputs = zego.emu.request("GET", "/_emulator/tasks/zego:12345:v1")["outputs"]
    assert [o["codecs"] for o in outputs] == [
        {"video": "h264", "audio": "mp3"},
        {"video": "h264", "audio": "aac", "audio_requested": "he-aac"},
    ]
    video, audio, _ = _sei(_play(answer["Data"]["PlayInfo"][0]["FLV"], frames=3))
    assert (video, audio) == ("h264", "mp3")


def test_bypass_passes_the_one_input_whole(zego: Zego) -> None:
    zego.emu.publish("solo", "pattern:color?color=#00ff00&size=128x72")
    body = {
        "TaskId": "by",
        "UserId": "u1",
        "ByPass": 1,
        "MixInput": [{"StreamId": "solo", "RectInfo": {"Left": 0, "Top": 0, "Right": 40, "Bottom": 40}}],
        "MixOutput": [{"StreamId": "byout", "Width": 320, "Height": 180, "Fps": 10, "VideoBitrate": 300000}],
    }
    assert zego.start_mix(body)["Code"] == 0
    zego.wait_frames("zego:12345:by", frames=3)
    image = zego.snapshot("zego:12345:by")
    assert image.size == (128, 72)  # the input's own size, not the output's
    assert all(abs(a - b) <= 40 for a, b in zip(image.getpixel((120, 65)), (0, 255, 0), strict=True))


def test_legacy_video_encode_h265_bypass_and_audio_codec_reach_the_job() -> None:
    body = fixture_body("java_sample.json")
    body["extra_params"] = [{"key": "video_encode", "value": "h265"}]
    body["MixOutput"][0]["audio_enc_id"] = 2
    job = translate(body)
    video, audio = job.outputs[0].video, job.outputs[0].audio
    assert video is not None and audio is not None and (video.codec, audio.codec) == ("h265", "mp3")
    assert len(job.layers) == 2 and job.sei is None  # two inputs: bypass would change nothing anyway
    one = fixture_body("java_sample.json")
    one["MixInput"] = one["MixInput"][:1]
    one["bypass"] = 1
    [layer] = translate(one, lambda _: MediaInfo(width=200, height=100)).layers
    assert (
        layer.rect is None and translate(one).canvas.width == 480
    )  # the input's size, unknown: the output's
    assert (translate(one, lambda _: MediaInfo(width=200, height=100)).canvas.width) == 200
