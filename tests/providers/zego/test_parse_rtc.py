"""parse_rtc.py: the rtc-api bodies (StartMix, StartAutoMix, StopMix, StopAutoMix) parsed into specs, every
documented field at the edges of its range and the code ZEGO answers past them."""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from emulator.providers.zego.errors import ZegoError
from emulator.providers.zego.parse_rtc import parse_start_auto_mix, parse_start_mix, parse_stop
from emulator.providers.zego.spec import Box, ExtraInput, Label, Watermark

BAD_PARAM, IMAGE_PROTOCOL, INPUT_FORMAT, OUTPUT_FORMAT = 2, 141, 155, 156
WIDTH_RANGE, EXPARA_ERROR, DUPLICATE_OUTPUT, TOO_MANY_OUTPUTS = 161, 172, 176, 178
START_PARSE, STOP_PARSE = 184, 185

RECT = {"Left": 0, "Top": 0, "Right": 160, "Bottom": 90}
START: dict[str, Any] = {
    "TaskId": "t1",
    "UserId": "u1",
    "MixInput": [{"StreamId": "in1", "RectInfo": RECT}],
    "MixOutput": [{"StreamId": "out1", "Width": 320, "Height": 180}],
}
AUTO: dict[str, Any] = {"TaskId": "a1", "UserId": "u1", "RoomId": "r1", "MixOutput": [{"StreamId": "out1"}]}


def body(base: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """``base`` with top-level fields set (None removes one); ``In``/``Out`` update the first input/output."""
    result = copy.deepcopy(base)
    for key, value in fields.items():
        if key == "In":
            result["MixInput"][0].update(value)
        elif key == "Out":
            result["MixOutput"][0].update(value)
        elif value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def refused(call: Any) -> ZegoError:
    with pytest.raises(ZegoError) as caught:
        call()
    return caught.value


def start_error(**fields: Any) -> tuple[int, str]:
    error = refused(lambda: parse_start_mix(body(START, **fields)))
    return error.number, error.detail


def auto_error(**fields: Any) -> tuple[int, str]:
    error = refused(lambda: parse_start_auto_mix(body(AUTO, **fields)))
    return error.number, error.detail


# ----- StartMix: the task


def test_a_minimal_start_mix() -> None:
    spec = parse_start_mix(START)
    assert (spec.task_id, spec.user_id, spec.room_id, spec.sequence) == ("t1", "u1", "", None)
    assert (spec.background_color, spec.background_image, spec.watermark) == ("#000000", None, None)
    assert (spec.user_data, spec.sound_level, spec.bypass, spec.extra) == (None, False, False, {})
    [item] = spec.inputs
    assert (item.stream_id, item.stream_url, item.box, item.layer, item.corner_radius) == (
        "in1",
        None,
        Box(0, 0, 160, 90),
        0,
        0,
    )
    assert (item.content, item.volume, item.sound_level_id, item.render_mode) == (0, 100, None, 0)
    assert (item.image_url, item.image_mode, item.label) == (None, 0, None)
    [out] = spec.outputs
    assert (out.stream_id, out.push_url, out.width, out.height, out.fps) == ("out1", None, 320, 180, 15)
    assert (out.bitrate, out.crf, out.video_codec) == (1_000_000, None, "h264")
    assert (out.audio_codec, out.audio_bitrate, out.channels) == (0, 48_000, 1)


def test_the_task_fields() -> None:
    data = base64.b64encode(b"hello").decode()
    spec = parse_start_mix(
        body(
            START,
            RoomId="room",
            Sequence=9,
            BackGroundColorHex="0xFF8000FF",
            BackgroundImage="preset-id://bg",
            UserData=data,
            SoundLevel=1,
            ByPass=1,
            ExPara=[{"Key": "video_encode", "Value": "h265"}],
            AlignmentType=2,
            RecvBufferLevel=4000,
            In={"SoundLevelId": 5},
        )
    )
    assert (spec.room_id, spec.sequence, spec.background_color) == ("room", 9, "#ff8000")
    assert (spec.background_image, spec.user_data, spec.sound_level, spec.bypass) == (
        "preset-id://bg",
        b"hello",
        True,
        True,
    )
    assert spec.extra == {"video_encode": "h265"}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"TaskId": None}, (BAD_PARAM, "TaskId is required")),
        ({"TaskId": ""}, (BAD_PARAM, "TaskId is required")),
        (
            {"TaskId": "a b"},
            (BAD_PARAM, "TaskId may only hold letters, digits and ~!@$%^&*()_+=-`;',.<> (1-256)"),
        ),
        ({"TaskId": "a" * 257}, (BAD_PARAM, "TaskId is longer than 256 characters")),
        ({"TaskId": 5}, (START_PARSE, "TaskId must be a string")),
        ({"UserId": None}, (BAD_PARAM, "UserId is required")),
        ({"UserId": "u" * 257}, (BAD_PARAM, "UserId is longer than 256 characters")),
        ({"RoomId": "r" * 257}, (BAD_PARAM, "RoomId is longer than 256 characters")),
        ({"Sequence": -1}, (BAD_PARAM, f"Sequence must be in [0, {2**63 - 1}], got -1")),
        (
            {"BackGroundColorHex": "#ffffff"},
            (BAD_PARAM, "BackGroundColorHex '#ffffff' must look like 0xRRGGBBAA"),
        ),
        ({"BackgroundImage": "rtmp://h/x"}, (IMAGE_PROTOCOL, "BackgroundImage 'rtmp://h/x'")),
        ({"SoundLevel": 2}, (BAD_PARAM, "SoundLevel must be in [0, 1], got 2")),
        ({"ByPass": 2}, (BAD_PARAM, "ByPass must be in [0, 1], got 2")),
        ({"AlignmentType": 3}, (BAD_PARAM, "AlignmentType must be in [0, 2], got 3")),
        ({"RecvBufferLevel": 4001}, (BAD_PARAM, "RecvBufferLevel must be in [0, 4000], got 4001")),
        ({"ExPara": {"Key": "a"}}, (EXPARA_ERROR, "ExPara must be an array of {Key, Value}")),
        ({"MixInput": {}}, (START_PARSE, "MixInput must be an array")),
        ({"MixInput": []}, (BAD_PARAM, "MixInput is required")),
        ({"MixOutput": None}, (BAD_PARAM, "MixOutput is required")),
        ({"WaterMark": {"RectInfo": RECT}}, (171, "WaterMark.Image")),
    ],
)
def test_task_fields_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert start_error(**fields) == error


def test_a_room_id_and_user_id_of_256_characters_are_accepted() -> None:
    spec = parse_start_mix(body(START, UserId="u" * 256, RoomId="r" * 256, TaskId="t" * 256))
    assert (len(spec.user_id), len(spec.room_id), len(spec.task_id)) == (256, 256, 256)


def test_user_data_is_base64_of_at_most_4000_bytes() -> None:
    full = base64.b64encode(b"\x01" * 4000).decode()
    assert parse_start_mix(body(START, UserData=full)).user_data == b"\x01" * 4000
    over = base64.b64encode(b"\x01" * 4001).decode()
    assert start_error(UserData=over) == (BAD_PARAM, "UserData is 4001 bytes, at most 4000")
    assert start_error(UserData="not base64!") == (BAD_PARAM, "UserData must be base64")
    assert start_error(UserData="YWJ") == (BAD_PARAM, "UserData must be base64")
    assert start_error(UserData="A" * 16_001) == (BAD_PARAM, "UserData is longer than 16000 characters")


def test_the_watermark_reads_rect_info() -> None:
    mark = {"Image": "http://h/logo.png", "RectInfo": {"Left": 2, "Top": 4, "Right": 10, "Bottom": 12}}
    assert parse_start_mix(body(START, WaterMark=mark)).watermark == Watermark(
        "http://h/logo.png", Box(2, 4, 10, 12)
    )
    mark["RectInfo"]["Right"] = 3001
    assert start_error(WaterMark=mark) == (
        BAD_PARAM,
        "WaterMark.RectInfo.Right must be in [0, 3000], got 3001",
    )


# ----- StartMix: inputs


def test_stream_url_wins_over_stream_id() -> None:
    [item] = parse_start_mix(body(START, In={"StreamUrl": "rtmp://h/live/x", "StreamId": "in1"})).inputs
    assert (item.stream_url, item.stream_id, item.key) == ("rtmp://h/live/x", None, "rtmp://h/live/x")
    # the id is not checked when the URL wins
    [item] = parse_start_mix(body(START, In={"StreamUrl": "http://h/x.flv", "StreamId": "a.b"})).inputs
    assert item.stream_url == "http://h/x.flv"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"StreamId": "a.b"},
            (BAD_PARAM, "MixInput[0].StreamId 'a.b' may only hold digits, letters, '-' and '_' (1-256)"),
        ),
        ({"StreamId": "s" * 257}, (BAD_PARAM, "MixInput[0].StreamId is longer than 256 characters")),
        (
            {"StreamUrl": "srt://h/x"},
            (INPUT_FORMAT, "MixInput[0].StreamUrl 'srt://h/x' must be an rtmp or http or https URL"),
        ),
        (
            {"StreamUrl": "rtmp://h/" + "x" * 2040},
            (BAD_PARAM, "MixInput[0].StreamUrl is longer than 2048 characters"),
        ),
        ({"StreamId": None}, (BAD_PARAM, "MixInput[0].StreamId or MixInput[0].StreamUrl is required")),
        ({"StreamId": ""}, (BAD_PARAM, "MixInput[0].StreamId or MixInput[0].StreamUrl is required")),
        ({"ContentControl": 3}, (BAD_PARAM, "MixInput[0].ContentControl must be in [0, 2], got 3")),
        ({"Volume": 201}, (BAD_PARAM, "MixInput[0].Volume must be in [0, 200], got 201")),
        (
            {"SoundLevelId": 2**32},
            (BAD_PARAM, f"MixInput[0].SoundLevelId must be in [0, {2**32 - 1}], got {2**32}"),
        ),
        ({"RenderMode": 2}, (BAD_PARAM, "MixInput[0].RenderMode must be in [0, 1], got 2")),
        ({"Image": {"Url": "ftp://h/a"}}, (IMAGE_PROTOCOL, "MixInput[0].Image.Url 'ftp://h/a'")),
        (
            {"Image": {"Url": "http://h/a", "DisplayMode": 3}},
            (BAD_PARAM, "MixInput[0].Image.DisplayMode must be in [0, 2], got 3"),
        ),
        ({"RectInfo": [1]}, (START_PARSE, "MixInput[0].RectInfo must be a JSON object")),
    ],
)
def test_input_fields_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert start_error(In=fields) == error


def test_an_input_of_a_256_character_id_or_a_2048_character_url() -> None:
    assert parse_start_mix(body(START, In={"StreamId": "s" * 256})).inputs[0].stream_id == "s" * 256
    url = "rtmp://h/" + "x" * 2039
    assert parse_start_mix(body(START, In={"StreamUrl": url})).inputs[0].stream_url == url


def test_an_image_alone_is_an_input() -> None:
    image = {"Url": "http://h/a.png", "DisplayMode": 2}
    [item] = parse_start_mix(body(START, In={"StreamId": None, "Image": image})).inputs
    assert (item.stream_id, item.stream_url, item.image_url, item.image_mode) == (
        None,
        None,
        "http://h/a.png",
        2,
    )
    assert item.key == "image:http://h/a.png"
    [item] = parse_start_mix(body(START, In={"Image": {"Url": "https://h/b.png"}})).inputs
    assert (item.stream_id, item.image_url, item.image_mode) == ("in1", "https://h/b.png", 0)


def test_an_image_without_url_does_not_stand_for_a_stream() -> None:
    error = start_error(In={"StreamId": None, "Image": {"DisplayMode": 1}})
    assert error == (BAD_PARAM, "MixInput[0].StreamId or MixInput[0].StreamUrl is required")


def test_input_values_at_the_top_of_their_ranges() -> None:
    rect = {"Left": 10, "Top": 20, "Right": 3000, "Bottom": 3000, "Layer": 2**32 - 1, "CornerRadius": 3000}
    fields = {
        "RectInfo": rect,
        "ContentControl": 2,
        "Volume": 200,
        "SoundLevelId": 2**32 - 1,
        "RenderMode": 1,
    }
    outputs = [{"StreamId": "o", "Width": 3000, "Height": 3000}]
    [item] = parse_start_mix(body(START, In=fields, MixOutput=outputs)).inputs
    assert (item.box, item.layer, item.corner_radius) == (Box(10, 20, 3000, 3000), 2**32 - 1, 3000)
    assert (item.content, item.volume, item.sound_level_id, item.render_mode) == (2, 200, 2**32 - 1, 1)


def test_input_values_at_the_bottom_of_their_ranges() -> None:
    fields = {"ContentControl": 0, "Volume": 0, "SoundLevelId": 0, "RenderMode": 0}
    [item] = parse_start_mix(body(START, In=fields)).inputs
    assert (item.content, item.volume, item.sound_level_id, item.render_mode) == (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("rect", "error"),
    [
        ({"Left": -1}, "MixInput[0].RectInfo.Left must be in [0, 3000], got -1"),
        ({"Top": -5}, "MixInput[0].RectInfo.Top must be in [0, 3000], got -5"),
        ({"Right": 3001}, "MixInput[0].RectInfo.Right must be in [0, 3000], got 3001"),
        ({"Bottom": 3001}, "MixInput[0].RectInfo.Bottom must be in [0, 3000], got 3001"),
        ({"Layer": 2**32}, f"MixInput[0].RectInfo.Layer must be in [0, {2**32 - 1}], got {2**32}"),
        ({"CornerRadius": 3001}, "MixInput[0].RectInfo.CornerRadius must be in [0, 3000], got 3001"),
        (
            {"Left": 160},
            "MixInput[0].RectInfo needs Right > Left and Bottom > Top, got "
            "(left 160, top 0, right 160, bottom 90)",
        ),
    ],
)
def test_rect_info_refused(rect: dict[str, int], error: str) -> None:
    assert start_error(In={"RectInfo": {**RECT, **rect}}) == (BAD_PARAM, error)


def test_rect_edges_far_out_of_range_are_range_errors_not_decode_errors() -> None:
    for value in (-(2**63), -(2**63) + 1, 2**63 - 1):
        assert start_error(In={"RectInfo": {**RECT, "Left": value}}) == (
            BAD_PARAM,
            f"MixInput[0].RectInfo.Left must be in [0, 3000], got {value}",
        )
    assert start_error(In={"RectInfo": {**RECT, "Left": 2**63}}) == (
        START_PARSE,
        "MixInput[0].RectInfo.Left is out of the integer range",
    )


def test_output_sides_far_out_of_range_are_width_errors_not_decode_errors() -> None:
    for value in (-(2**63), -(2**63) + 1, 2**63 - 1):
        assert start_error(Out={"Width": value}) == (WIDTH_RANGE, f"MixOutput[0].Width is {value}")
    assert start_error(Out={"Width": 2**63}) == (
        START_PARSE,
        "MixOutput[0].Width is out of the integer range",
    )


def test_an_empty_or_absent_rect_info_is_audio_only() -> None:
    for rect in ({}, {"Left": 0, "Top": 0, "Right": 0, "Bottom": 0, "Layer": 3}):
        [item] = parse_start_mix(body(START, In={"RectInfo": rect})).inputs
        assert item.box is None
    [item] = parse_start_mix({**START, "MixInput": [{"StreamId": "in1"}]}).inputs
    assert (item.box, item.layer, item.corner_radius) == (None, 0, 0)


def test_label() -> None:
    label = {"Text": "名字", "Left": 3000, "Top": 7, "Font": {"FontSize": 200, "FontColor": 0xFF8000}}
    [item] = parse_start_mix(body(START, In={"Label": label})).inputs
    assert item.label == Label("名字", 3000, 7, 200, "#ff8000")
    label = {"Text": "a", "Font": {"FontSize": 1, "FontColor": 0, "FontType": 100, "Transparency": 100}}
    assert parse_start_mix(body(START, In={"Label": label})).inputs[0].label == Label("a", 0, 0, 1, "#000000")
    assert parse_start_mix(body(START, In={"Label": {"Text": "t" * 100}})).inputs[0].label == Label("t" * 100)
    assert parse_start_mix(body(START, In={"Label": {"Text": "a", "Font": {}}})).inputs[0].label == Label("a")


@pytest.mark.parametrize(
    ("label", "error"),
    [
        ({}, "MixInput[0].Label.Text is required"),
        ({"Text": "t" * 101}, "MixInput[0].Label.Text is longer than 100 characters"),
        ({"Text": "a", "Left": 3001}, "MixInput[0].Label.Left must be in [0, 3000], got 3001"),
        ({"Text": "a", "Top": 3001}, "MixInput[0].Label.Top must be in [0, 3000], got 3001"),
        (
            {"Text": "a", "Font": {"FontSize": 0}},
            "MixInput[0].Label.Font.FontSize must be in [1, 200], got 0",
        ),
        (
            {"Text": "a", "Font": {"FontSize": 201}},
            "MixInput[0].Label.Font.FontSize must be in [1, 200], got 201",
        ),
        (
            {"Text": "a", "Font": {"FontColor": 0x1000000}},
            "MixInput[0].Label.Font.FontColor must be in [0, 16777215], got 16777216",
        ),
        (
            {"Text": "a", "Font": {"FontType": 101}},
            "MixInput[0].Label.Font.FontType must be in [0, 100], got 101",
        ),
        (
            {"Text": "a", "Font": {"Transparency": 101}},
            "MixInput[0].Label.Font.Transparency must be in [0, 100], got 101",
        ),
    ],
)
def test_label_refused(label: dict[str, Any], error: str) -> None:
    assert start_error(In={"Label": label}) == (BAD_PARAM, error)


# ----- StartMix: outputs


def test_stream_id_wins_over_stream_url_for_an_output() -> None:
    [out] = parse_start_mix(body(START, Out={"StreamUrl": "rtmp://cdn/live/x"})).outputs
    assert (out.stream_id, out.push_url) == ("out1", None)
    [out] = parse_start_mix(body(START, Out={"StreamId": None, "StreamUrl": "rtmp://cdn/live/x?k=1"})).outputs
    assert (out.stream_id, out.push_url) == ("x", "rtmp://cdn/live/x?k=1")
    [out] = parse_start_mix(body(START, Out={"StreamUrl": "not a url"})).outputs  # ignored
    assert out.push_url is None


def test_output_values() -> None:
    fields = {
        "Width": 3000,
        "Height": 2,
        "Fps": 60,
        "VideoBitrate": 10_000_000,
        "VideoEncId": 3,
        "AudioCodec": 3,
        "AudioBitrate": 512_000,
        "SoundChannel": 2,
    }
    [out] = parse_start_mix(body(START, In={"RectInfo": {}}, Out=fields)).outputs
    assert (out.width, out.height, out.fps, out.bitrate, out.video_codec) == (3000, 2, 60, 10_000_000, "h265")
    assert (out.audio_codec, out.audio_bitrate, out.channels) == (3, 512_000, 2)
    fields = {"Width": 0, "Height": 0, "Fps": 0, "VideoBitrate": 0, "AudioBitrate": 0, "AudioCodec": 1}
    [out] = parse_start_mix(body(START, In={"RectInfo": {}}, Out=fields)).outputs
    assert (out.width, out.height, out.fps, out.bitrate) == (0, 0, 15, 1_000_000)
    assert (out.audio_codec, out.audio_bitrate) == (1, 48_000)
    [out] = parse_start_mix(body(START, Out={"Fps": 1, "VideoBitrate": 1, "AudioBitrate": 1})).outputs
    assert (out.fps, out.bitrate, out.audio_bitrate) == (1, 1, 1)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"StreamId": "a.b"},
            (OUTPUT_FORMAT, "MixOutput[0].StreamId 'a.b' may only hold digits, letters, '-' and '_' (1-256)"),
        ),
        (
            {"StreamId": None, "StreamUrl": "http://cdn/x"},
            (OUTPUT_FORMAT, "MixOutput[0].StreamUrl 'http://cdn/x' must be an rtmp URL"),
        ),
        ({"StreamId": None}, (BAD_PARAM, "MixOutput[0].StreamId or MixOutput[0].StreamUrl is required")),
        (
            {"StreamId": None, "StreamUrl": "rtmp://h/" + "x" * 2040},
            (BAD_PARAM, "MixOutput[0].StreamUrl is longer than 2048 characters"),
        ),
        ({"StreamId": "o" * 257}, (BAD_PARAM, "MixOutput[0].StreamId is longer than 256 characters")),
        ({"Width": 3001}, (WIDTH_RANGE, "MixOutput[0].Width is 3001")),
        ({"Height": -2}, (WIDTH_RANGE, "MixOutput[0].Height is -2")),
        ({"Height": -(2**63)}, (WIDTH_RANGE, f"MixOutput[0].Height is {-(2**63)}")),
        ({"Width": 321}, (BAD_PARAM, "MixOutput[0].Width must be even, got 321")),
        ({"Height": 3}, (BAD_PARAM, "MixOutput[0].Height must be even, got 3")),
        ({"Fps": 61}, (BAD_PARAM, "MixOutput[0].Fps must be in [0, 60], got 61")),
        (
            {"VideoBitrate": 10_000_001},
            (BAD_PARAM, "MixOutput[0].VideoBitrate must be in [0, 10000000], got 10000001"),
        ),
        ({"VideoEncId": 4}, (BAD_PARAM, "MixOutput[0].VideoEncId must be in [0, 3], got 4")),
        ({"AudioCodec": 4}, (BAD_PARAM, "MixOutput[0].AudioCodec must be in [0, 3], got 4")),
        (
            {"AudioBitrate": 512_001},
            (BAD_PARAM, "MixOutput[0].AudioBitrate must be in [0, 512000], got 512001"),
        ),
        ({"SoundChannel": 3}, (BAD_PARAM, "MixOutput[0].SoundChannel must be 1 or 2, got 3")),
        ({"SoundChannel": "x"}, (START_PARSE, "MixOutput[0].SoundChannel must be 1 or 2")),
        ({"SoundChannel": "-1"}, (START_PARSE, "MixOutput[0].SoundChannel must be 1 or 2")),
        ({"SoundChannel": 1.0}, (START_PARSE, "MixOutput[0].SoundChannel must be 1 or 2")),
        ({"SoundChannel": False}, (START_PARSE, "MixOutput[0].SoundChannel must be 1 or 2")),
    ],
)
def test_output_fields_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert start_error(Out=fields) == error


def test_a_1x1_output_is_accepted_and_odd_sides_above_1_are_not() -> None:
    [out] = parse_start_mix(body(START, In={"RectInfo": {}}, Out={"Width": 1, "Height": 1})).outputs
    assert (out.width, out.height, out.audio_only) == (1, 1, True)


@pytest.mark.parametrize(
    ("task", "output", "channels"),
    [(None, None, 1), (2, None, 2), (2, 1, 1), (0, 2, 2), ("2", "0", 1), ("2", None, 2)],
)
def test_sound_channel_of_the_task_and_of_an_output(task: Any, output: Any, channels: int) -> None:
    data = body(START, SoundChannel=task) if task is not None else body(START)
    if output is not None:
        data["MixOutput"][0]["SoundChannel"] = output
    assert parse_start_mix(data).outputs[0].channels == channels


def test_a_task_sound_channel_out_of_range_is_refused() -> None:
    assert start_error(SoundChannel=3) == (BAD_PARAM, "SoundChannel must be 1 or 2, got 3")


# ----- StartAutoMix


def test_a_minimal_start_auto_mix() -> None:
    spec = parse_start_auto_mix(AUTO)
    assert (spec.task_id, spec.user_id, spec.room_id, spec.sequence) == ("a1", "u1", "r1", None)
    assert (spec.extra, spec.user_data, spec.sound_level) == ([], None, False)
    [out] = spec.outputs
    assert (out.stream_id, out.width, out.height, out.audio_only, out.channels) == ("out1", 0, 0, True, 1)


def test_auto_mix_outputs_are_audio_only_and_ignore_video_fields() -> None:
    out_fields = {"Width": 321, "Fps": 99, "VideoEncId": 9, "AudioCodec": 2, "AudioBitrate": 64_000}
    data = body(
        AUTO,
        SoundChannel=2,
        Sequence=3,
        UserData=base64.b64encode(b"x").decode(),
        SoundLevel=1,
        Out=out_fields,
    )
    spec = parse_start_auto_mix(data)
    [out] = spec.outputs
    assert (out.width, out.fps, out.audio_codec, out.audio_bitrate, out.channels) == (0, 15, 2, 64_000, 2)
    assert (spec.sequence, spec.user_data, spec.sound_level) == (3, b"x", True)


def test_auto_mix_three_outputs_by_id_or_url() -> None:
    outs = [{"StreamId": "a"}, {"StreamUrl": "rtmp://cdn/live/b"}, {"StreamUrl": "rtmp://cdn2/live/b"}]
    spec = parse_start_auto_mix(body(AUTO, MixOutput=outs))
    assert [(o.stream_id, o.push_url) for o in spec.outputs] == [
        ("a", None),
        ("b", "rtmp://cdn/live/b"),
        ("b", "rtmp://cdn2/live/b"),
    ]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"RoomId": None}, (BAD_PARAM, "RoomId is required")),
        ({"RoomId": "r" * 257}, (BAD_PARAM, "RoomId is longer than 256 characters")),
        (
            {"TaskId": "a b"},
            (BAD_PARAM, "TaskId may only hold letters, digits and ~!@$%^&*()_+=-`;',.<> (1-256)"),
        ),
        ({"UserId": None}, (BAD_PARAM, "UserId is required")),
        ({"MixOutput": []}, (BAD_PARAM, "MixOutput is required")),
        (
            {"MixOutput": [{"StreamId": f"o{i}"} for i in range(4)]},
            (TOO_MANY_OUTPUTS, "4 outputs, at most 3"),
        ),
        (
            {"MixOutput": [{"StreamId": "o"}, {"StreamId": "o"}]},
            (DUPLICATE_OUTPUT, "MixOutput names the same stream twice"),
        ),
        (
            {"MixOutput": [{"StreamUrl": "rtmp://h/a/o"}, {"StreamUrl": "rtmp://h/a/o"}]},
            (DUPLICATE_OUTPUT, "MixOutput names the same stream twice"),
        ),
        ({"ByPass": 2}, (BAD_PARAM, "ByPass must be in [0, 1], got 2")),
        ({"AlignmentType": 3}, (BAD_PARAM, "AlignmentType must be in [0, 2], got 3")),
        ({"RecvBufferLevel": 4001}, (BAD_PARAM, "RecvBufferLevel must be in [0, 4000], got 4001")),
        ({"ExPara": [{"Key": ""}]}, (EXPARA_ERROR, "ExPara[0] must be {Key, Value} strings")),
        ({"SoundLevel": 2}, (BAD_PARAM, "SoundLevel must be in [0, 1], got 2")),
        ({"UserData": "%%"}, (BAD_PARAM, "UserData must be base64")),
        ({"SoundChannel": 5}, (BAD_PARAM, "SoundChannel must be 1 or 2, got 5")),
        ({"Sequence": "1"}, (START_PARSE, "Sequence must be an integer")),
    ],
)
def test_auto_mix_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert auto_error(**fields) == error


def test_extra_mix_inputs() -> None:
    extra = [
        {"StreamId": "add1", "Volume": 0, "SoundLevelId": 1},
        {"StreamUrl": "rtmp://h/live/x", "StreamId": "ignored.id", "Volume": 200, "SoundLevelId": 2},
        {"ModifyType": 1, "StreamId": "gone", "StreamUrl": "rtmp://h/live/gone"},
        {"ModifyType": 0, "StreamId": "add2", "SoundLevelId": 3},
    ]
    spec = parse_start_auto_mix(body(AUTO, ExtraMixInput=extra, SoundLevel=1))
    assert spec.extra == [
        ExtraInput("add1", None, False, 0, 1),
        ExtraInput(None, "rtmp://h/live/x", False, 200, 2),
        ExtraInput("gone", None, True, 100, None),
        ExtraInput("add2", None, False, 100, 3),
    ]
    assert [e.key for e in spec.extra] == ["add1", "rtmp://h/live/x", "gone", "add2"]


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        (
            {"StreamId": "a", "ModifyType": 2},
            (BAD_PARAM, "ExtraMixInput[0].ModifyType must be in [0, 1], got 2"),
        ),
        (
            {"ModifyType": 1, "StreamUrl": "rtmp://h/a/x"},
            (BAD_PARAM, "ExtraMixInput[0].StreamId is required when ModifyType is 1"),
        ),
        (
            {"ModifyType": 1, "StreamId": "a.b"},
            (BAD_PARAM, "ExtraMixInput[0].StreamId 'a.b' may only hold digits, letters, '-' and '_' (1-256)"),
        ),
        ({}, (BAD_PARAM, "ExtraMixInput[0].StreamId or ExtraMixInput[0].StreamUrl is required")),
        (
            {"StreamId": "a.b"},
            (BAD_PARAM, "ExtraMixInput[0].StreamId 'a.b' may only hold digits, letters, '-' and '_' (1-256)"),
        ),
        (
            {"StreamUrl": "udp://h/x"},
            (INPUT_FORMAT, "ExtraMixInput[0].StreamUrl 'udp://h/x' must be an rtmp or http or https URL"),
        ),
        (
            {"StreamId": "a", "Volume": 201},
            (BAD_PARAM, "ExtraMixInput[0].Volume must be in [0, 200], got 201"),
        ),
        (
            {"StreamId": "a", "SoundLevelId": -1},
            (BAD_PARAM, f"ExtraMixInput[0].SoundLevelId must be in [0, {2**32 - 1}], got -1"),
        ),
        ({"StreamId": "s" * 257}, (BAD_PARAM, "ExtraMixInput[0].StreamId is longer than 256 characters")),
        (
            {"StreamUrl": "rtmp://h/" + "x" * 2040},
            (BAD_PARAM, "ExtraMixInput[0].StreamUrl is longer than 2048 characters"),
        ),
    ],
)
def test_extra_mix_input_refused(extra: dict[str, Any], error: tuple[int, str]) -> None:
    assert auto_error(ExtraMixInput=[extra]) == error


def test_sound_level_needs_an_id_on_every_added_extra_input_only() -> None:
    removed = [{"ModifyType": 1, "StreamId": "gone"}]
    assert parse_start_auto_mix(body(AUTO, ExtraMixInput=removed, SoundLevel=1)).sound_level
    added = [{"StreamId": "a", "SoundLevelId": 1}, {"StreamId": "b"}]
    assert auto_error(ExtraMixInput=added, SoundLevel=1) == (
        BAD_PARAM,
        "SoundLevel is on: every added ExtraMixInput needs a SoundLevelId",
    )
    assert len(parse_start_auto_mix(body(AUTO, ExtraMixInput=added)).extra) == 2


# ----- StopMix / StopAutoMix


def test_stop() -> None:
    stop = parse_stop({"TaskId": "t", "UserId": "u", "Sequence": 4, "RoomId": "r"}, room_required=False)
    assert (stop.task_id, stop.user_id, stop.sequence, stop.room_id) == ("t", "u", 4, "r")
    stop = parse_stop({"TaskId": "t"}, room_required=False)
    assert (stop.user_id, stop.sequence, stop.room_id) == (None, None, None)
    assert parse_stop({"TaskId": "t", "RoomId": "r" * 256}, room_required=True).room_id == "r" * 256


@pytest.mark.parametrize(
    ("data", "room_required", "error"),
    [
        ({}, False, (BAD_PARAM, "TaskId is required")),
        ({"TaskId": "t"}, True, (BAD_PARAM, "RoomId is required")),
        ({"TaskId": "t", "RoomId": "r" * 257}, True, (BAD_PARAM, "RoomId is longer than 256 characters")),
        ({"TaskId": "t", "RoomId": "r" * 257}, False, (BAD_PARAM, "RoomId is longer than 256 characters")),
        ({"TaskId": "t", "UserId": "u" * 257}, False, (BAD_PARAM, "UserId is longer than 256 characters")),
        ({"TaskId": "t" * 257}, False, (BAD_PARAM, "TaskId is longer than 256 characters")),
        ({"TaskId": 1}, False, (STOP_PARSE, "TaskId must be a string")),
        ({"TaskId": "t", "Sequence": "1"}, False, (STOP_PARSE, "Sequence must be an integer")),
        ([], False, (STOP_PARSE, "body must be a JSON object")),
    ],
)
def test_stop_refused(data: Any, room_required: bool, error: tuple[int, str]) -> None:
    caught = refused(lambda: parse_stop(data, room_required=room_required))
    assert (caught.number, caught.detail) == error


def test_an_output_without_a_size_is_audio_only() -> None:
    [out] = parse_start_mix(body(START, In={"RectInfo": {}}, MixOutput=[{"StreamId": "o"}])).outputs
    assert (out.width, out.height, out.audio_only) == (0, 0, True)


def test_picture_urls_up_to_2048_characters() -> None:
    url = "http://h/" + "a" * (2048 - 9)
    assert parse_start_mix(body(START, BackgroundImage=url)).background_image == url
    assert start_error(BackgroundImage=url + "a") == (
        BAD_PARAM,
        "BackgroundImage is longer than 2048 characters",
    )
    assert parse_start_mix(body(START, In={"Image": {"Url": url}})).inputs[0].image_url == url
    assert start_error(In={"Image": {"Url": url + "a"}}) == (
        BAD_PARAM,
        "MixInput[0].Image.Url is longer than 2048 characters",
    )


def test_auto_mix_user_id_up_to_256_characters() -> None:
    assert parse_start_auto_mix(body(AUTO, UserId="u" * 256)).user_id == "u" * 256
    assert auto_error(UserId="u" * 257) == (BAD_PARAM, "UserId is longer than 256 characters")
