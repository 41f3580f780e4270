"""Volcengine's documented ranges from both sides, through translate(): BitRate and FrameRate clamped (not
refused), GOP, audio bit rates, sample rates and layouts, codecs, scene sizes and layers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emulator.core.job import MixJob
from emulator.providers.volcengine import translate

BODY = json.loads(
    (
        Path(__file__).resolve().parents[3] / "fixtures/requests/volcengine/create_cloud_mix_task.json"
    ).read_text()
)


def job_with(path: str, value: Any) -> MixJob:
    return translate(_with(path, value))


def _with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(BODY)
    *parents, last = path.split(".")
    target: Any = body["MixedRules"]
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[last] = value
    return body


def refused(path: str, value: Any) -> str:
    with pytest.raises(ValueError) as caught:
        job_with(path, value)
    return str(caught.value)


@pytest.mark.parametrize(
    ("sent", "runs"),
    [
        (1, 1_000_000),
        (999_999, 1_000_000),
        (1_000_000, 1_000_000),
        (1_000_001, 1_000_001),
        (20_000_000, 20_000_000),
        (20_000_001, 20_000_000),
    ],
)
def test_video_bitrate_is_clamped_to_1_20_mbps(sent: int, runs: int) -> None:
    video = job_with("Output.Video.BitRate", sent).outputs[0].video
    assert video is not None and video.bitrate == runs


@pytest.mark.parametrize(
    ("sent", "runs"), [(1, 10.0), (9, 10.0), (10, 10.0), (11, 11.0), (60, 60.0), (61, 60.0)]
)
def test_frame_rate_is_clamped_to_10_60(sent: int, runs: float) -> None:
    video = job_with("Output.Video.FrameRate", sent).outputs[0].video
    assert video is not None and video.fps == runs


@pytest.mark.parametrize("gop", [1, 3, 10])
def test_gop_is_the_keyframe_interval_in_seconds(gop: int) -> None:
    video = job_with("Output.Video.GOP", gop).outputs[0].video
    assert video is not None and video.gop_seconds == float(gop)


@pytest.mark.parametrize("gop", [0, 11])
def test_gop_outside_1_10_is_refused(gop: int) -> None:
    assert refused("Output.Video.GOP", gop).startswith(
        "InvalidParameter: MixedRules.Output.Video.GOP: must be in [1, 10]"
    )


@pytest.mark.parametrize("bitrate", [128_000, 320_000])
def test_audio_bitrate_limits_are_accepted(bitrate: int) -> None:
    audio = job_with("Output.Audio.BitRate", bitrate).outputs[0].audio
    assert audio is not None and audio.bitrate == bitrate


@pytest.mark.parametrize("bitrate", [127_999, 320_001])
def test_audio_bitrate_outside_128_320_kbps_is_refused(bitrate: int) -> None:
    assert "Output.Audio.BitRate: must be in [128000, 320000]" in refused("Output.Audio.BitRate", bitrate)


@pytest.mark.parametrize("rate", [32000, 44100, 48000])
def test_every_sample_rate(rate: int) -> None:
    audio = job_with("Output.Audio.SampleRate", rate).outputs[0].audio
    assert audio is not None and audio.sample_rate == rate


@pytest.mark.parametrize("rate", [16000, 96000, "48000"])
def test_other_sample_rates_are_refused(rate: Any) -> None:
    assert "Output.Audio.SampleRate: must be one of 32000, 44100, 48000" in refused(
        "Output.Audio.SampleRate", rate
    )


@pytest.mark.parametrize(("layout", "channels"), [("mono", 1), ("stereo", 2)])
def test_every_channel_layout(layout: str, channels: int) -> None:
    audio = job_with("Output.Audio.ChannelLayout", layout).outputs[0].audio
    assert audio is not None and audio.channels == channels


@pytest.mark.parametrize(("codec", "ok"), [("h264", True), ("h265", True), ("H264", False), ("vp8", False)])
def test_codecs(codec: str, ok: bool) -> None:
    if ok:
        video = job_with("Output.Video.Codec", codec).outputs[0].video
        assert video is not None and video.codec == codec
    else:
        assert "Output.Video.Codec: must be one of h264, h265" in refused("Output.Video.Codec", codec)


@pytest.mark.parametrize(("side", "ok"), [(9, False), (10, True), (2160, True), (2161, False)])
def test_scene_width_range(side: int, ok: bool) -> None:
    body = _with("InputLayout.Scene.Width", side)
    body["MixedRules"]["InputLayout"]["Scene"]["Layout"][0].update(W=10, H=10)
    if ok:
        assert translate(body).canvas.width == side
    else:
        with pytest.raises(ValueError, match=r"Scene\.Width: must be in \[10, 2160\]"):
            translate(body)


@pytest.mark.parametrize(("layer", "ok"), [(0, False), (1, True), (9999, True), (10000, False)])
def test_layer_range(layer: int, ok: bool) -> None:
    body = _with("InputSource.0.Layer", layer)
    body["MixedRules"]["InputLayout"]["Scene"]["Layout"][0]["Layer"] = layer
    if ok:
        assert [item.z for item in translate(body).layers if item.id == "1"] == [layer]
    else:
        with pytest.raises(ValueError, match=r"Layer: must be in \[1, 9999\]"):
            translate(body)


@pytest.mark.parametrize(("count", "ok"), [(8, True), (9, False)])
def test_at_most_8_sources(count: int, ok: bool) -> None:
    body = copy.deepcopy(BODY)
    rules = body["MixedRules"]
    rules["InputSource"] = [
        {"ID": str(n), "Layer": n + 1, "Type": "vod", "Url": "https://tos.example.org/obj/test.mp4"}
        for n in range(count)
    ]
    rules["InputLayout"]["Scene"]["Layout"] = [
        {"X": 0, "Y": 0, "W": 100, "H": 100, "Layer": n + 1} for n in range(count)
    ]
    if ok:
        assert len([item for item in translate(body).layers if item.id.isdigit()]) == count
    else:
        with pytest.raises(ValueError, match=r"InputSource: must have 1 to 8 entries, got 9"):
            translate(body)
