"""parse_legacy.py: the legacy web API's start-mix body (seed 001) parsed into a MixSpec: its own field names
and defaults, its lenient decoding, and its codes (153 input error, 154 output error)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from emulator.providers.zego.errors import ZegoError
from emulator.providers.zego.parse_legacy import parse_legacy_start
from emulator.providers.zego.spec import Box, Watermark

BAD_PARAM, IMAGE_PROTOCOL, INPUT_ERROR, OUTPUT_ERROR, INPUT_FORMAT, OUTPUT_FORMAT = 2, 141, 153, 154, 155, 156
WIDTH_RANGE, WATERMARK_WRONG, WATERMARK_EMPTY, EXPARA_ERROR, START_PARSE = 161, 170, 171, 172, 184

BODY: dict[str, Any] = {
    "id_name": "u1",
    "MixInput": [{"stream_id": "in1", "rect": {"left": 0, "top": 0, "right": 160, "bottom": 90}}],
    "MixOutput": [{"stream_id": "out1", "width": 320, "height": 180}],
}


def body(**fields: Any) -> dict[str, Any]:
    """BODY with top-level fields set (None removes one); ``In``/``Out`` update the first input/output."""
    result = copy.deepcopy(BODY)
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


def error_of(**fields: Any) -> tuple[int, str]:
    with pytest.raises(ZegoError) as caught:
        parse_legacy_start(body(**fields))
    return caught.value.number, caught.value.detail


def test_a_minimal_body() -> None:
    start = parse_legacy_start(BODY)
    assert (start.app_id, start.test_env) == (None, False)
    spec = start.spec
    assert (spec.task_id, spec.user_id, spec.room_id, spec.sequence) == ("out1", "u1", "", None)
    assert (spec.background_color, spec.background_image, spec.watermark, spec.user_data) == (
        "#000000",
        None,
        None,
        None,
    )
    assert (spec.sound_level, spec.extra, spec.bypass) == (False, {}, False)
    [item] = spec.inputs
    assert (item.stream_id, item.stream_url, item.box, item.layer) == ("in1", None, Box(0, 0, 160, 90), 0)
    assert (item.content, item.sound_level_id, item.render_mode, item.volume) == (0, None, 0, 100)
    [out] = spec.outputs
    assert (out.stream_id, out.push_url, out.width, out.height, out.fps) == ("out1", None, 320, 180, 15)
    assert (out.bitrate, out.crf, out.audio_codec, out.audio_bitrate, out.channels) == (
        1_000_000,
        None,
        0,
        48_000,
        1,
    )


def test_the_task_fields() -> None:
    start = parse_legacy_start(
        body(
            task_id="task.1",
            live_channel="room",
            seq=3,
            output_bg_color=4294967040,  # 0xFFFFFF00: the seed's white
            output_bg_image="preset-id://bg",
            userdata="plain text",
            with_sound_level=1,
            extra_params=[{"key": "video_encode", "value": "h265"}],
            bypass=1,
            version=1,
            biztype="rtv",
            appid=2**64 - 1,
            testenv=1,
            In={"sound_level_id": 4},
        )
    )
    spec = start.spec
    assert (spec.task_id, spec.room_id, spec.sequence, spec.background_color) == (
        "task.1",
        "room",
        3,
        "#ffffff",
    )
    assert (spec.background_image, spec.user_data, spec.sound_level, spec.bypass) == (
        "preset-id://bg",
        b"plain text",
        True,
        True,
    )
    assert spec.extra == {"video_encode": "h265"}
    assert (start.app_id, start.test_env) == (2**64 - 1, True)


@pytest.mark.parametrize(
    ("value", "color"),
    [
        (0, "#000000"),
        (0xFF000000, "#ff0000"),
        (0x00FF00FF, "#00ff00"),
        (0x000001FF, "#000001"),
        (255, "#000000"),
    ],
)
def test_output_bg_color_is_decimal_rrggbbxx(value: int, color: str) -> None:
    assert parse_legacy_start(body(output_bg_color=value)).spec.background_color == color


def test_the_php_samples_empty_and_string_values() -> None:
    spec = parse_legacy_start(
        body(output_bg_color="", output_bg_image="", userdata="", seq="7", task_id="", bypass=None)
    ).spec
    assert (spec.background_color, spec.background_image, spec.user_data, spec.sequence) == (
        "#000000",
        None,
        None,
        7,
    )
    assert spec.task_id == "out1"


def test_keys_match_in_any_case() -> None:
    data = {
        "ID_NAME": "u",
        "mixInput": [{"Stream_Id": "in1", "RECT": {"Right": 2, "Bottom": 2}}],
        "mixOutput": [{"STREAM_ID": "o", "Width": 2, "Height": 2}],
    }
    spec = parse_legacy_start(data).spec
    assert (spec.user_id, spec.inputs[0].stream_id, spec.inputs[0].box, spec.outputs[0].stream_id) == (
        "u",
        "in1",
        Box(0, 0, 2, 2),
        "o",
    )


def test_the_task_id_defaults_to_the_first_outputs_name() -> None:
    outputs = [{"mixurl": "rtmp://cdn/live/first?k=1", "width": 320, "height": 180}, {"stream_id": "second"}]
    assert parse_legacy_start(body(MixOutput=outputs)).spec.task_id == "first"
    assert error_of(MixOutput=[]) == (BAD_PARAM, "MixOutput is required")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"id_name": None}, (INPUT_ERROR, "id_name is required")),
        ({"id_name": "u" * 257}, (INPUT_ERROR, "id_name is longer than 256 characters")),
        ({"task_id": "t" * 257}, (INPUT_ERROR, "task_id is longer than 256 characters")),
        (
            {"task_id": "a b"},
            (BAD_PARAM, "task_id may only hold letters, digits and ~!@$%^&*()_+=-`;',.<> (1-256)"),
        ),
        ({"live_channel": "r" * 257}, (BAD_PARAM, "live_channel is longer than 256 characters")),
        ({"seq": -1}, (BAD_PARAM, f"seq must be in [0, {2**63 - 1}], got -1")),
        (
            {"output_bg_color": 2**32},
            (BAD_PARAM, f"output_bg_color must be in [0, {2**32 - 1}], got {2**32}"),
        ),
        ({"output_bg_image": "rtmp://h/x"}, (IMAGE_PROTOCOL, "output_bg_image 'rtmp://h/x'")),
        (
            {"output_bg_image": "http://h/" + "a" * 2040},
            (BAD_PARAM, "output_bg_image is longer than 2048 characters"),
        ),
        ({"userdata": "u" * 1001}, (BAD_PARAM, "userdata is longer than 1000 characters")),
        ({"with_sound_level": 2}, (BAD_PARAM, "with_sound_level must be in [0, 1], got 2")),
        ({"extra_params": [{"key": 1}]}, (EXPARA_ERROR, "extra_params[0] must be {key, value} strings")),
        ({"bypass": 2}, (BAD_PARAM, "bypass must be in [0, 1], got 2")),
        ({"version": 2**32}, (BAD_PARAM, f"version must be in [0, {2**32 - 1}], got {2**32}")),
        ({"biztype": "b" * 17}, (BAD_PARAM, "biztype is longer than 16 characters")),
        ({"appid": 2**64}, (START_PARSE, "appid is out of the integer range")),
        ({"appid": -1}, (BAD_PARAM, f"appid must be in [0, {2**64 - 1}], got -1")),
        ({"testenv": 2}, (BAD_PARAM, "testenv must be in [0, 1], got 2")),
        ({"MixInput": "x"}, (START_PARSE, "MixInput must be an array")),
        ({"MixInput": []}, (BAD_PARAM, "MixInput is required")),
    ],
)
def test_task_fields_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert error_of(**fields) == error


def test_limits_accepted_at_their_top() -> None:
    spec = parse_legacy_start(
        body(
            id_name="u" * 256,
            live_channel="r" * 256,
            userdata="d" * 1000,
            biztype="b" * 16,
            version=2**32 - 1,
        )
    ).spec
    assert (len(spec.user_id), len(spec.room_id), spec.user_data) == (256, 256, b"d" * 1000)
    assert parse_legacy_start(body(output_bg_color=2**32 - 1)).spec.background_color == "#ffffff"


def test_the_appid_is_a_uint64() -> None:
    assert parse_legacy_start(body(appid=2**63)).app_id == 2**63
    assert parse_legacy_start(body(appid=0)).app_id == 0


# ----- watermark: image and rect {top, left, bottom, right}


def test_watermark() -> None:
    mark = {"image": "http://h/logo.png", "rect": {"left": 2, "top": 4, "right": 10, "bottom": 12}}
    assert parse_legacy_start(body(watermark=mark)).spec.watermark == Watermark(
        "http://h/logo.png", Box(2, 4, 10, 12)
    )
    assert parse_legacy_start(body(watermark=None)).spec.watermark is None


@pytest.mark.parametrize(
    ("mark", "error"),
    [
        ({"rect": {"right": 2, "bottom": 2}}, (WATERMARK_EMPTY, "watermark.image")),
        (
            {"image": "http://h/a", "rect": {"right": 3002, "bottom": 2}},
            (WATERMARK_WRONG, "watermark.rect.right must be in [0, 3000], got 3002"),
        ),
        (
            {"image": "http://h/a", "rect": {"left": -2, "right": 2, "bottom": 2}},
            (WATERMARK_WRONG, "watermark.rect.left must be in [0, 3000], got -2"),
        ),
        ({"image": "http://h/a", "rect": {}}, (WATERMARK_WRONG, "watermark.rect is empty")),
    ],
)
def test_watermark_refused(mark: dict[str, Any], error: tuple[int, str]) -> None:
    assert error_of(watermark=mark) == error


# ----- inputs


def test_stream_id_wins_over_url() -> None:
    [item] = parse_legacy_start(body(In={"url": "rtmp://h/live/x"})).spec.inputs
    assert (item.stream_id, item.stream_url) == ("in1", None)
    [item] = parse_legacy_start(body(In={"url": "not a url"})).spec.inputs  # not even checked
    assert item.stream_url is None


@pytest.mark.parametrize(
    "url", ["rtmp://h/live/x", "http://h/live/x.flv", "https://h/x.flv", "avertp://h/live/x"]
)
def test_input_urls_of_the_four_schemes(url: str) -> None:
    [item] = parse_legacy_start(body(In={"stream_id": "", "url": url})).spec.inputs
    assert (item.stream_id, item.stream_url) == (None, url)


def test_input_values() -> None:
    rect = {"left": 2, "top": 4, "right": 3000, "bottom": 3000, "layer": 2**32 - 1}
    fields = {"rect": rect, "content_control": 2, "sound_level_id": 2**32 - 1, "render_mode": 1}
    outputs = [{"stream_id": "o", "width": 3000, "height": 3000}]
    [item] = parse_legacy_start(body(In=fields, MixOutput=outputs)).spec.inputs
    assert (item.box, item.layer, item.content, item.sound_level_id, item.render_mode) == (
        Box(2, 4, 3000, 3000),
        2**32 - 1,
        2,
        2**32 - 1,
        1,
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"stream_id": "a.b"},
            (INPUT_ERROR, "MixInput[0].stream_id 'a.b' may only hold digits, letters, '-' and '_' (1-256)"),
        ),
        ({"stream_id": "s" * 257}, (INPUT_ERROR, "MixInput[0].stream_id is longer than 256 characters")),
        (
            {"stream_id": None, "url": "ftp://h/x"},
            (INPUT_FORMAT, "MixInput[0].url 'ftp://h/x' must be an rtmp or http or https or avertp URL"),
        ),
        (
            {"stream_id": None, "url": "rtmp://h/" + "x" * 2040},
            (INPUT_ERROR, "MixInput[0].url is longer than 2048 characters"),
        ),
        ({"stream_id": None}, (INPUT_ERROR, "MixInput[0].stream_id or MixInput[0].url is required")),
        ({"rect": None}, (INPUT_ERROR, "MixInput[0].rect is required")),
        (
            {"rect": {"right": 3001, "bottom": 2}},
            (INPUT_ERROR, "MixInput[0].rect.right must be in [0, 3000], got 3001"),
        ),
        (
            {"rect": {"left": 5, "right": 5, "bottom": 2}},
            (
                INPUT_ERROR,
                "MixInput[0].rect needs Right > Left and Bottom > Top, got "
                "(left 5, top 0, right 5, bottom 2)",
            ),
        ),
        (
            {"rect": {"right": 2, "bottom": 2, "layer": 2**32}},
            (INPUT_ERROR, f"MixInput[0].rect.layer must be in [0, {2**32 - 1}], got {2**32}"),
        ),
        ({"content_control": 3}, (INPUT_ERROR, "MixInput[0].content_control must be in [0, 2], got 3")),
        (
            {"sound_level_id": -1},
            (INPUT_ERROR, f"MixInput[0].sound_level_id must be in [0, {2**32 - 1}], got -1"),
        ),
        ({"render_mode": 2}, (INPUT_ERROR, "MixInput[0].render_mode must be in [0, 1], got 2")),
    ],
)
def test_input_fields_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert error_of(In=fields) == error


def test_a_rect_of_zeros_is_audio_only() -> None:
    [item] = parse_legacy_start(body(In={"rect": {"layer": 1}})).spec.inputs
    assert (item.box, item.layer) == (None, 1)


# ----- outputs


def test_stream_id_wins_over_mixurl() -> None:
    [out] = parse_legacy_start(body(Out={"mixurl": "rtmp://cdn/live/x"})).spec.outputs
    assert (out.stream_id, out.push_url) == ("out1", None)


@pytest.mark.parametrize(
    ("url", "name", "push"),
    [
        ("rtmp://cdn/live/x?k=1", "x", "rtmp://cdn/live/x?k=1"),
        ("RTMP://cdn/live/y", "y", "RTMP://cdn/live/y"),
        ("avertp://39.108.212.3/miniapp/z", "z", None),  # ZEGO's own transport: the stream name only
    ],
)
def test_mixurl(url: str, name: str, push: str | None) -> None:
    [out] = parse_legacy_start(body(Out={"stream_id": None, "mixurl": url})).spec.outputs
    assert (out.stream_id, out.push_url) == (name, push)


def test_output_values() -> None:
    fields = {
        "width": 3000,
        "height": 2,
        "fps": 60,
        "bitrate": 10_000_000,
        "audio_enc_id": 2,
        "audio_bitrate": 192_000,
        "audio_channel_cnt": 2,
    }
    [out] = parse_legacy_start(body(In={"rect": {}}, Out=fields)).spec.outputs
    assert (out.width, out.height, out.fps, out.bitrate, out.crf) == (3000, 2, 60, 10_000_000, None)
    assert (out.audio_codec, out.audio_bitrate, out.channels) == (2, 192_000, 2)
    fields = {"width": 1, "height": 1, "fps": 0, "bitrate": 0, "audio_bitrate": 0, "audio_enc_id": 1}
    [out] = parse_legacy_start(body(In={"rect": {}}, Out=fields)).spec.outputs
    assert (out.width, out.height, out.fps, out.bitrate, out.audio_bitrate, out.audio_codec) == (
        1,
        1,
        15,
        1_000_000,
        48_000,
        1,
    )
    [out] = parse_legacy_start(body(Out={"bitrate": 1, "fps": 1, "audio_bitrate": 10_000})).spec.outputs
    assert (out.bitrate, out.fps, out.audio_bitrate) == (1, 1, 10_000)


@pytest.mark.parametrize(
    ("fields", "crf", "bitrate"),
    [
        ({"encode_mode": 1}, 23, None),
        ({"encode_mode": 1, "encode_qua": 0}, 0, None),
        ({"encode_mode": 1, "encode_qua": 51, "bitrate": 500_000}, 51, None),
        ({"encode_mode": 0, "encode_qua": 30, "bitrate": 500_000}, None, 500_000),
        ({"encode_mode": None, "encode_qua": None}, None, 1_000_000),  # the PHP sample's nulls
    ],
)
def test_encode_mode_1_is_constant_quality(
    fields: dict[str, Any], crf: int | None, bitrate: int | None
) -> None:
    [out] = parse_legacy_start(body(Out=fields)).spec.outputs
    assert (out.crf, out.bitrate) == (crf, bitrate)


@pytest.mark.parametrize(
    ("task", "output", "channels"),
    [(None, None, 1), (0, None, 1), (1, None, 1), (2, None, 2), (2, 1, 1), (2, 0, 1), (0, 2, 2)],
)
def test_audio_channel_cnt_of_the_task_and_of_an_output(task: Any, output: Any, channels: int) -> None:
    data = body(audio_channel_cnt=task) if task is not None else body()
    if output is not None:
        data["MixOutput"][0]["audio_channel_cnt"] = output
    assert parse_legacy_start(data).spec.outputs[0].channels == channels


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"stream_id": "a.b"},
            (OUTPUT_ERROR, "MixOutput[0].stream_id 'a.b' may only hold digits, letters, '-' and '_' (1-256)"),
        ),
        ({"stream_id": "o" * 257}, (OUTPUT_ERROR, "MixOutput[0].stream_id is longer than 256 characters")),
        (
            {"stream_id": None, "mixurl": "http://cdn/x"},
            (OUTPUT_FORMAT, "MixOutput[0].mixurl 'http://cdn/x' must be an rtmp or avertp URL"),
        ),
        (
            {"stream_id": None, "mixurl": "rtmp://h/" + "x" * 2040},
            (OUTPUT_ERROR, "MixOutput[0].mixurl is longer than 2048 characters"),
        ),
        ({"stream_id": None}, (OUTPUT_ERROR, "MixOutput[0].stream_id or MixOutput[0].mixurl is required")),
        ({"width": 3002}, (WIDTH_RANGE, "MixOutput[0].width is 3002")),
        ({"height": -2}, (WIDTH_RANGE, "MixOutput[0].height is -2")),
        ({"width": 321}, (OUTPUT_ERROR, "MixOutput[0].width must be even, got 321")),
        ({"height": 181}, (OUTPUT_ERROR, "MixOutput[0].height must be even, got 181")),
        ({"width": "x"}, (START_PARSE, "MixOutput[0].width must be an integer")),
        ({"fps": 61}, (OUTPUT_ERROR, "MixOutput[0].fps must be in [0, 60], got 61")),
        (
            {"bitrate": 10_000_001},
            (OUTPUT_ERROR, "MixOutput[0].bitrate must be in [0, 10000000], got 10000001"),
        ),
        ({"encode_mode": 2}, (OUTPUT_ERROR, "MixOutput[0].encode_mode must be in [0, 1], got 2")),
        (
            {"encode_mode": 1, "encode_qua": 52},
            (OUTPUT_ERROR, "MixOutput[0].encode_qua must be in [0, 51], got 52"),
        ),
        ({"audio_enc_id": 3}, (OUTPUT_ERROR, "MixOutput[0].audio_enc_id must be in [0, 2], got 3")),
        (
            {"audio_bitrate": 9_999},
            (OUTPUT_ERROR, "MixOutput[0].audio_bitrate must be in [10000, 192000], got 9999"),
        ),
        (
            {"audio_bitrate": 1},
            (OUTPUT_ERROR, "MixOutput[0].audio_bitrate must be in [10000, 192000], got 1"),
        ),
        (
            {"audio_bitrate": 192_001},
            (OUTPUT_ERROR, "MixOutput[0].audio_bitrate must be in [0, 192000], got 192001"),
        ),
        ({"audio_channel_cnt": 3}, (OUTPUT_ERROR, "MixOutput[0].audio_channel_cnt must be in [0, 2], got 3")),
    ],
)
def test_output_fields_refused(fields: dict[str, Any], error: tuple[int, str]) -> None:
    assert error_of(Out=fields) == error


def test_a_task_audio_channel_cnt_out_of_range_is_refused() -> None:
    assert error_of(audio_channel_cnt=3) == (BAD_PARAM, "audio_channel_cnt must be in [0, 2], got 3")


def test_an_output_without_a_size_is_audio_only() -> None:
    data = body(In={"rect": {}}, MixOutput=[{"stream_id": "o"}])
    [out] = parse_legacy_start(data).spec.outputs
    assert (out.width, out.height, out.audio_only) == (0, 0, True)


def test_output_sides_far_out_of_range_are_width_errors_not_decode_errors() -> None:
    for value in (-(2**63), -(2**63) + 1, 2**63 - 1):
        assert error_of(Out={"width": value}) == (WIDTH_RANGE, f"MixOutput[0].width is {value}")
    assert error_of(Out={"height": 2**63}) == (START_PARSE, "MixOutput[0].height is out of the integer range")
