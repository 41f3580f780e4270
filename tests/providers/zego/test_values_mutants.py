"""Every documented value of ZEGO's enums, and its numeric limits from both sides, through translate():
the StartMix body as a client sends it -> the MixJob the emulator runs (or ZEGO's error code)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emulator.core.job import FitMode, MixJob
from emulator.providers.zego import translate

BODY: dict[str, Any] = {
    "TaskId": "t1",
    "UserId": "u1",
    "MixInput": [{"StreamId": "in1", "RectInfo": {"Left": 0, "Top": 0, "Right": 160, "Bottom": 90}}],
    "MixOutput": [{"StreamId": "out1", "Width": 320, "Height": 180}],
}


def job_with(path: str, value: Any) -> MixJob:
    """translate() of BODY with one field set: ``path`` like ``MixInput.0.ContentControl``."""
    return translate(_body_with(path, value), lambda _: None)


def _body_with(path: str, value: Any) -> dict[str, Any]:
    body = copy.deepcopy(BODY)
    *parents, last = path.split(".")
    target: Any = body
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    target[last] = value
    return body


def error_of(path: str, value: Any) -> str:
    with pytest.raises(ValueError) as caught:
        job_with(path, value)
    return str(caught.value).split(":")[0]


# ----- ContentControl: 0 audio and video, 1 audio only, 2 video only


@pytest.mark.parametrize(
    ("value", "video", "audio", "has_rect"),
    [(0, True, True, True), (1, False, True, False), (2, True, False, True)],
)
def test_content_control_values(value: int, video: bool, audio: bool, has_rect: bool) -> None:
    [layer] = job_with("MixInput.0.ContentControl", value).layers
    assert (layer.video, layer.audio, layer.rect is not None) == (video, audio, has_rect)


@pytest.mark.parametrize("value", [-1, 3])
def test_content_control_outside_0_to_2_is_refused(value: int) -> None:
    assert error_of("MixInput.0.ContentControl", value) == "ZEGO 110200002"


# ----- AudioCodec: 0 HE-AAC, 1 AAC-LC, 2 MP3 at 44.1 kHz; 3 OPUS at 48 kHz


@pytest.mark.parametrize(("value", "rate"), [(0, 44_100), (1, 44_100), (2, 44_100), (3, 48_000)])
def test_audio_codec_values_set_the_sample_rate(value: int, rate: int) -> None:
    [output] = job_with("MixOutput.0.AudioCodec", value).outputs
    assert output.audio is not None and output.audio.sample_rate == rate


def test_audio_codec_4_is_refused() -> None:
    assert error_of("MixOutput.0.AudioCodec", 4) == "ZEGO 110200002"


# ----- VideoEncId: 0 H.264, 1 H.264 SVC, 2 VP8, 3 H.265 (reported; the emulator encodes H.264)


@pytest.mark.parametrize(("value", "codec"), [(0, "h264"), (1, "h264-svc"), (2, "vp8"), (3, "h265")])
def test_video_enc_id_values(value: int, codec: str) -> None:
    [output] = job_with("MixOutput.0.VideoEncId", value).outputs
    assert output.video is not None and output.video.codec == codec


def test_video_enc_id_4_is_refused() -> None:
    assert error_of("MixOutput.0.VideoEncId", 4) == "ZEGO 110200002"


# ----- RenderMode: 0 crop (fill the rect, cut the overflow), 1 fit with black bars


@pytest.mark.parametrize(("value", "fit", "bars"), [(0, FitMode.FILL, None), (1, FitMode.FIT, "#000000")])
def test_render_mode_values(value: int, fit: FitMode, bars: str | None) -> None:
    [layer] = job_with("MixInput.0.RenderMode", value).layers
    assert (layer.fit, layer.bar_color) == (fit, bars)


def test_render_mode_2_is_refused() -> None:
    assert error_of("MixInput.0.RenderMode", 2) == "ZEGO 110200002"


# ----- Image.DisplayMode: 0 always (replaces the picture), 1 camera off / 2 stream absent (under it)


@pytest.mark.parametrize(("mode", "stream_drawn"), [(0, False), (1, True), (2, True)])
def test_image_display_modes(mode: int, stream_drawn: bool) -> None:
    image = {"Url": "http://example.com/a.png", "DisplayMode": mode}
    image_layer, stream_layer = job_with("MixInput.0.Image", image).layers
    assert image_layer.id == "in1#image" and image_layer.video and not image_layer.audio
    assert stream_layer.video is stream_drawn
    assert stream_layer.audio  # the sound stays whatever the picture does


def test_image_display_mode_3_is_refused() -> None:
    assert (
        error_of("MixInput.0.Image", {"Url": "http://example.com/a.png", "DisplayMode": 3})
        == "ZEGO 110200002"
    )


# ----- SoundChannel: 1 mono, 2 stereo, 0 also mono, as a number or a string


@pytest.mark.parametrize(("value", "channels"), [(0, 1), (1, 1), (2, 2), ("2", 2), ("1", 1)])
def test_sound_channel_values(value: Any, channels: int) -> None:
    [output] = job_with("MixOutput.0.SoundChannel", value).outputs
    assert output.audio is not None and output.audio.channels == channels


def test_sound_channel_of_the_task_is_the_default_of_its_outputs() -> None:
    body = _body_with("SoundChannel", 2)
    assert translate(body).outputs[0].audio.channels == 2  # type: ignore[union-attr]
    body["MixOutput"][0]["SoundChannel"] = 1
    assert translate(body).outputs[0].audio.channels == 1  # type: ignore[union-attr]
    assert translate(BODY).outputs[0].audio.channels == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "code"), [(3, "ZEGO 110200002"), (-1, "ZEGO 110200002"), (True, "ZEGO 110200184")]
)
def test_sound_channel_refused(value: Any, code: str) -> None:
    assert error_of("MixOutput.0.SoundChannel", value) == code


# ----- numbers at their limits, from both sides


@pytest.mark.parametrize(
    ("fps", "expected"), [(1, 1.0), (19, 19.0), (20, 20.0), (21, 20.0), (60, 20.0), (0, 15.0)]
)
def test_fps_is_clamped_to_the_default_limit_of_20(fps: int, expected: float) -> None:
    [output] = job_with("MixOutput.0.Fps", fps).outputs
    assert output.video is not None and output.video.fps == expected


def test_fps_above_60_is_refused() -> None:
    assert error_of("MixOutput.0.Fps", 61) == "ZEGO 110200002"


@pytest.mark.parametrize(
    ("bitrate", "expected"),
    [
        (1, 10_000),
        (9_999, 10_000),
        (10_000, 10_000),
        (10_001, 10_001),
        (10_000_000, 10_000_000),
        (0, 1_000_000),
    ],
)
def test_video_bitrate_has_a_floor_of_10_kbps(bitrate: int, expected: int) -> None:
    [output] = job_with("MixOutput.0.VideoBitrate", bitrate).outputs
    assert output.video is not None and output.video.bitrate == expected


def test_video_bitrate_above_10_mbps_is_refused() -> None:
    assert error_of("MixOutput.0.VideoBitrate", 10_000_001) == "ZEGO 110200002"


@pytest.mark.parametrize(("bitrate", "expected"), [(1, 1), (512_000, 512_000), (0, 48_000), (64_000, 64_000)])
def test_audio_bitrate_values(bitrate: int, expected: int) -> None:
    [output] = job_with("MixOutput.0.AudioBitrate", bitrate).outputs
    assert output.audio is not None and output.audio.bitrate == expected


def test_audio_bitrate_above_512_kbps_is_refused() -> None:
    assert error_of("MixOutput.0.AudioBitrate", 512_001) == "ZEGO 110200002"


@pytest.mark.parametrize(("volume", "expected"), [(0, 0), (1, 1), (100, 100), (200, 200)])
def test_volume_values(volume: int, expected: int) -> None:
    assert job_with("MixInput.0.Volume", volume).layers[0].volume == expected


def test_volume_above_200_is_refused() -> None:
    assert error_of("MixInput.0.Volume", 201) == "ZEGO 110200002"


def test_default_volume_is_100() -> None:
    assert translate(BODY).layers[0].volume == 100


@pytest.mark.parametrize(
    ("side", "error"),
    [
        (2, None),
        (3, "ZEGO 110200002"),  # odd
        (4, None),
        (3000, None),
        (3001, "ZEGO 110200161"),  # out of range before odd
        (3002, "ZEGO 110200161"),
        (-2, "ZEGO 110200161"),
    ],
)
def test_output_width_limits(side: int, error: str | None) -> None:
    body = _body_with("MixInput.0.RectInfo", {"Left": 0, "Top": 0, "Right": 2, "Bottom": 2})
    body["MixOutput"][0]["Width"] = side
    if error is None:
        assert translate(body).canvas.width == side
    else:
        with pytest.raises(ValueError) as caught:
            translate(body)
        assert str(caught.value).split(":")[0] == error


def test_a_1x1_output_is_the_pure_audio_convention() -> None:
    body = _body_with("MixInput.0.RectInfo", {"Left": 0, "Top": 0, "Right": 1, "Bottom": 1})
    body["MixOutput"][0].update(Width=1, Height=1)
    job = translate(body)
    assert job.outputs[0].video is None and (job.canvas.width, job.canvas.height) == (16, 16)
    assert job.outputs[0].audio is not None


def test_an_output_of_another_size_is_scaled_from_the_canvas() -> None:
    body = copy.deepcopy(BODY)
    body["MixOutput"].append({"StreamId": "small", "Width": 160, "Height": 90})
    canvas_sized, small = translate(body).outputs
    assert canvas_sized.video is not None and (canvas_sized.video.width, canvas_sized.video.height) == (
        None,
        None,
    )
    assert small.video is not None and (small.video.width, small.video.height) == (160, 90)


def test_layer_and_corner_radius_reach_the_layer() -> None:
    rect = {"Left": 10, "Top": 20, "Right": 110, "Bottom": 80, "Layer": 7, "CornerRadius": 12}
    [layer] = job_with("MixInput.0.RectInfo", rect).layers
    assert layer.z == 7 and layer.corner_radius == 12
    assert layer.rect is not None and (layer.rect.x, layer.rect.y, layer.rect.w, layer.rect.h) == (
        10,
        20,
        100,
        60,
    )
