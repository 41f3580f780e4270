"""validate.py: the rules every ZEGO mix request obeys (id formats, URL protocols, colours, rectangles,
limits, duplicates, geometry), called directly with the values ZEGO's documents allow and the first ones
they don't."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.providers.zego import validate
from emulator.providers.zego.errors import ZegoError
from emulator.providers.zego.fields import Reader
from emulator.providers.zego.spec import Box, InputSpec, MixSpec, OutputSpec, Watermark

# ZEGO's short codes, written out (110200000 + n on the rtc-api)
BAD_PARAM, INPUT_IS_OUTPUT, IMAGE_PROTOCOL = 2, 140, 141
INPUT_FORMAT, OUTPUT_FORMAT, TOO_MANY_INPUTS = 155, 156, 158
WATERMARK_WRONG, WATERMARK_EMPTY, EXPARA_ERROR = 170, 171, 172
DUPLICATE_INPUT, DUPLICATE_OUTPUT, TOO_MANY_OUTPUTS = 175, 176, 178


def refused(call: Any) -> ZegoError:
    with pytest.raises(ZegoError) as caught:
        call()
    return caught.value


def test_documented_limits() -> None:
    assert (validate.MAX_INPUTS, validate.MAX_OUTPUTS, validate.MAX_SIDE) == (9, 3, 3000)
    assert validate.MAX_VIDEO_BITRATE == 10_000_000


# ----- task ids: letters, digits and ~!@$%^&*()_+=-`;',.<>, 1 to 256 of them


@pytest.mark.parametrize(
    "value", ["a", "Z9", "~!@$%^&*()_+=-`;',.<>", "task-1_x", "a" * 256, "0", "A.b,c;d'e`f"]
)
def test_task_ids_accepted(value: str) -> None:
    assert validate.task_id(value, "TaskId") == value


@pytest.mark.parametrize(
    "value",
    ["", "a" * 257, "a b", "a#b", "a/b", "a?b", 'a"b', "a\\b", "a|b", "a[b", "a{b", "a:b", "任务", "a\nb"],
)
def test_task_ids_refused(value: str) -> None:
    error = refused(lambda: validate.task_id(value, "task_id"))
    assert (error.number, error.detail) == (
        BAD_PARAM,
        "task_id may only hold letters, digits and ~!@$%^&*()_+=-`;',.<> (1-256)",
    )


# ----- stream ids: digits, letters, '-' and '_', 1 to 256


@pytest.mark.parametrize("value", ["s", "Stream_1-x", "0", "a" * 256, "zegotest-12345-in"])
def test_stream_ids_accepted(value: str) -> None:
    assert validate.stream_id(value, "StreamId") == value


@pytest.mark.parametrize("value", ["", "a" * 257, "a.b", "a b", "a~b", "a/b", "流", "a@b"])
def test_stream_ids_refused_with_the_callers_code(value: str) -> None:
    error = refused(lambda: validate.stream_id(value, "MixInput[0].StreamId"))
    assert (error.number, error.detail) == (
        BAD_PARAM,
        f"MixInput[0].StreamId {value!r} may only hold digits, letters, '-' and '_' (1-256)",
    )
    assert refused(lambda: validate.stream_id(value, "x", OUTPUT_FORMAT)).number == OUTPUT_FORMAT


# ----- picture URLs: http, https or preset-id


@pytest.mark.parametrize(
    "value", ["http://h/a.png", "https://h/a.png", "preset-id://bg", "HTTPS://H/A.PNG", "Preset-Id://x"]
)
def test_image_urls_accepted(value: str) -> None:
    assert validate.image_url(value, "Image.Url") == value


@pytest.mark.parametrize("value", ["rtmp://h/a", "ftp://h/a.png", "a.png", "", "file:///a.png", "httpx://h"])
def test_image_urls_refused(value: str) -> None:
    error = refused(lambda: validate.image_url(value, "BackgroundImage"))
    assert (error.number, error.detail) == (IMAGE_PROTOCOL, f"BackgroundImage {value!r}")


# ----- input (pull) and output (push) URLs


@pytest.mark.parametrize(
    "value", ["rtmp://h/live/s", "http://h/live/s.flv", "https://h/s.flv", "RTMP://H/a/b"]
)
def test_pull_urls_accepted(value: str) -> None:
    assert validate.pull_url(value, "StreamUrl") == value


@pytest.mark.parametrize("value", ["rtmp:///live/s", "srt://h/s", "avertp://h/a/s", "h/live/s", ""])
def test_pull_urls_refused(value: str) -> None:
    error = refused(lambda: validate.pull_url(value, "MixInput[0].StreamUrl"))
    assert (error.number, error.detail) == (
        INPUT_FORMAT,
        f"MixInput[0].StreamUrl {value!r} must be an rtmp or http or https URL",
    )


def test_pull_url_schemes_are_the_callers() -> None:
    assert validate.pull_url("avertp://h/a/s", "url", ("rtmp", "avertp")) == "avertp://h/a/s"
    error = refused(lambda: validate.pull_url("http://h/a", "url", ("rtmp", "avertp")))
    assert error.detail == "url 'http://h/a' must be an rtmp or avertp URL"


@pytest.mark.parametrize("value", ["rtmp://h/live/s", "RTMP://cdn.example.com:1935/app/s?k=v"])
def test_push_urls_accepted(value: str) -> None:
    assert validate.push_url(value, "StreamUrl") == value


@pytest.mark.parametrize("value", ["http://h/live/s", "rtmp:///live/s", "rtmps-x://h/s", "h/s", ""])
def test_push_urls_refused(value: str) -> None:
    error = refused(lambda: validate.push_url(value, "MixOutput[0].StreamUrl"))
    assert (error.number, error.detail) == (
        OUTPUT_FORMAT,
        f"MixOutput[0].StreamUrl {value!r} must be an rtmp URL",
    )
    assert validate.push_url("avertp://h/s", "mixurl", ("rtmp", "avertp")) == "avertp://h/s"


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("rtmp://host/app/name?x=1", "name"),
        ("rtmp://host/app/name/", "name"),
        ("http://host/live/s1.flv", "s1"),
        ("http://host/live/s1.flv?sign=abc", "s1"),
        ("http://host/live/s1.m3u8", "s1.m3u8"),
        ("rtmp://host", "host"),
        ("rtmp://host/", "host"),
        ("rtmp://host:1935/.flv", "host:1935"),
        ("rtmp://host/app/XboxX", "XboxX"),
        ("rtmp://host/X/", "X"),
        ("rtmp://host/a/b/c/d", "d"),
    ],
)
def test_url_stream_name(url: str, name: str) -> None:
    assert validate.url_stream_name(url) == name


# ----- BackGroundColorHex: 0xRRGGBB with an optional alpha byte that is ignored


@pytest.mark.parametrize(
    ("value", "color"),
    [("0x000000", "#000000"), ("0xFF8000", "#ff8000"), ("0XaBcDeF12", "#abcdef"), ("0x12345678", "#123456")],
)
def test_color_hex_accepted(value: str, color: str) -> None:
    assert validate.color_hex(value, "BackGroundColorHex") == color


@pytest.mark.parametrize("value", ["FF0000", "#FF0000", "0xFFF", "0xFF00001", "0xFF0000123", "0xGG0000", ""])
def test_color_hex_refused(value: str) -> None:
    error = refused(lambda: validate.color_hex(value, "BackGroundColorHex"))
    assert (error.number, error.detail) == (
        BAD_PARAM,
        f"BackGroundColorHex {value!r} must look like 0xRRGGBBAA",
    )


# ----- rectangles


def test_a_rectangle_of_all_zeros_is_none() -> None:
    assert validate.box(0, 0, 0, 0, "RectInfo") is None


@pytest.mark.parametrize(
    ("edges", "box"),
    [
        ((0, 0, 1, 1), Box(0, 0, 1, 1)),
        ((10, 20, 11, 21), Box(10, 20, 11, 21)),
        ((0, 5, 7, 6), Box(0, 5, 7, 6)),
    ],
)
def test_the_smallest_rectangles_are_accepted(edges: tuple[int, int, int, int], box: Box) -> None:
    found = validate.box(*edges, "RectInfo")
    assert found == box and found is not None and (found.width, found.height) == (box.right - box.left, 1)


@pytest.mark.parametrize(
    "edges", [(10, 0, 10, 5), (10, 0, 9, 5), (0, 10, 5, 10), (0, 10, 5, 9), (0, 0, 0, 1), (0, 0, 1, 0)]
)
def test_empty_or_inverted_rectangles_are_refused(edges: tuple[int, int, int, int]) -> None:
    left, top, right, bottom = edges
    error = refused(lambda: validate.box(*edges, "MixInput[1].RectInfo"))
    assert (error.number, error.detail) == (
        BAD_PARAM,
        f"MixInput[1].RectInfo needs Right > Left and Bottom > Top, got "
        f"(left {left}, top {top}, right {right}, bottom {bottom})",
    )
    assert refused(lambda: validate.box(*edges, "rect", code=153)).number == 153


# ----- watermark


def _edges(rect: Reader) -> list[int]:
    return [rect.integer(k, default=0) or 0 for k in ("L", "T", "R", "B")]


def mark(data: Any) -> Watermark | None:
    return validate.watermark(Reader(data, "WaterMark", type_code=184), "Image", "RectInfo", _edges)


def test_a_watermark_reads_its_image_and_rect() -> None:
    found = mark({"Image": "http://h/logo.png", "RectInfo": {"L": 2, "T": 4, "R": 10, "B": 12}})
    assert found == Watermark("http://h/logo.png", Box(2, 4, 10, 12))
    assert validate.watermark(None, "Image", "RectInfo", _edges) is None


@pytest.mark.parametrize(
    ("data", "number", "detail"),
    [
        ({"RectInfo": {"R": 2, "B": 2}}, WATERMARK_EMPTY, "WaterMark.Image"),
        ({"Image": "", "RectInfo": {"R": 2, "B": 2}}, WATERMARK_EMPTY, "WaterMark.Image"),
        (
            {"Image": "rtmp://h/x", "RectInfo": {"R": 2, "B": 2}},
            IMAGE_PROTOCOL,
            "WaterMark.Image 'rtmp://h/x'",
        ),
        ({"Image": "http://h/a.png"}, WATERMARK_WRONG, "WaterMark.RectInfo is required"),
        ({"Image": "http://h/a.png", "RectInfo": {}}, WATERMARK_WRONG, "WaterMark.RectInfo is empty"),
        (
            {"Image": "http://h/a.png", "RectInfo": {"L": 4, "R": 2, "B": 2}},
            WATERMARK_WRONG,
            "WaterMark.RectInfo needs Right > Left and Bottom > Top, got (left 4, top 0, right 2, bottom 2)",
        ),
    ],
)
def test_a_watermark_refused(data: dict[str, Any], number: int, detail: str) -> None:
    error = refused(lambda: mark(data))
    assert (error.number, error.detail) == (number, detail)


def test_a_long_watermark_image_url_is_refused() -> None:
    url = "http://h/" + "a" * (2048 - 9)
    found = mark({"Image": url, "RectInfo": {"R": 2, "B": 2}})
    assert found is not None and found.image == url
    assert refused(lambda: mark({"Image": url + "a", "RectInfo": {"R": 2, "B": 2}})).number == BAD_PARAM


# ----- ExPara / extra_params


def test_key_values() -> None:
    assert validate.key_values(None, "ExPara", "Key", "Value") == {}
    assert validate.key_values([], "ExPara", "Key", "Value") == {}
    pairs = [{"Key": "video_encode", "Value": "h265"}, {"Key": "k"}, {"Key": "k2", "Value": "", "X": 1}]
    assert validate.key_values(pairs, "ExPara", "Key", "Value") == {"video_encode": "h265", "k": "", "k2": ""}
    assert validate.key_values([{"key": "a", "value": "b"}], "extra_params", "key", "value") == {"a": "b"}


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        ({"Key": "a"}, "ExPara must be an array of {Key, Value}"),
        ("a=b", "ExPara must be an array of {Key, Value}"),
        ([{"Key": "a", "Value": "b"}, "a"], "ExPara[1] must be {Key, Value} strings"),
        ([{"Key": "", "Value": "b"}], "ExPara[0] must be {Key, Value} strings"),
        ([{"Value": "b"}], "ExPara[0] must be {Key, Value} strings"),
        ([{"Key": 1, "Value": "b"}], "ExPara[0] must be {Key, Value} strings"),
        ([{"Key": "a", "Value": 1}], "ExPara[0] must be {Key, Value} strings"),
        ([{"Key": "a", "Value": None}], "ExPara[0] must be {Key, Value} strings"),
        ([{"key": "a", "value": "b"}], "ExPara[0] must be {Key, Value} strings"),
    ],
)
def test_key_values_refused(raw: Any, detail: str) -> None:
    error = refused(lambda: validate.key_values(raw, "ExPara", "Key", "Value"))
    assert (error.number, error.detail) == (EXPARA_ERROR, detail)


# ----- a whole request


def inputs(n: int, **fields: Any) -> list[InputSpec]:
    return [InputSpec(stream_id=f"in{i}", box=Box(0, 0, 16, 16), **fields) for i in range(n)]


def outputs(n: int, width: int = 320, height: int = 180) -> list[OutputSpec]:
    return [OutputSpec(stream_id=f"out{i}", width=width, height=height) for i in range(n)]


def spec(ins: list[InputSpec], outs: list[OutputSpec], **fields: Any) -> MixSpec:
    return MixSpec(task_id="t", user_id="u", inputs=ins, outputs=outs, **fields)


def check(mix: MixSpec) -> ZegoError:
    return refused(lambda: validate.check_mix(mix))


def test_canvas_of_is_the_first_output_with_video() -> None:
    audio, big, small = (
        OutputSpec("a", width=1, height=1),
        OutputSpec("b", width=640, height=360),
        OutputSpec("c", width=320, height=180),
    )
    assert validate.canvas_of(spec([], [audio, big, small])) is big
    assert validate.canvas_of(spec([], [small, big])) is small
    assert validate.canvas_of(spec([], [audio, OutputSpec("d", width=0, height=0)])) is None
    assert validate.canvas_of(spec([], [OutputSpec("w", width=640, height=1)])) is None


@pytest.mark.parametrize(("n_in", "n_out"), [(1, 1), (9, 1), (1, 3), (9, 3)])
def test_counts_at_their_limits_are_accepted(n_in: int, n_out: int) -> None:
    validate.check_mix(spec(inputs(n_in), outputs(n_out)))


def test_counts_refused() -> None:
    error = check(spec([], outputs(1)))
    assert (error.number, error.detail) == (BAD_PARAM, "MixInput is required")
    error = check(spec(inputs(10), outputs(1)))
    assert (error.number, error.detail) == (TOO_MANY_INPUTS, "10 inputs, at most 9")
    error = check(spec(inputs(1), []))
    assert (error.number, error.detail) == (BAD_PARAM, "MixOutput is required")
    error = check(spec(inputs(1), outputs(4)))
    assert (error.number, error.detail) == (TOO_MANY_OUTPUTS, "4 outputs, at most 3")
    error = refused(lambda: validate.check_mix(spec([], outputs(1)), "inputs", "outputs"))
    assert error.detail == "inputs is required"
    error = refused(lambda: validate.check_mix(spec(inputs(1), []), "inputs", "outputs"))
    assert error.detail == "outputs is required"


def test_duplicate_inputs_are_refused() -> None:
    twice = [InputSpec(stream_id="a"), InputSpec(stream_id="b"), InputSpec(stream_id="a")]
    error = check(spec(twice, outputs(1)))
    assert (error.number, error.detail) == (DUPLICATE_INPUT, "MixInput[2] 'a' appears twice")
    urls = [InputSpec(stream_url="rtmp://h/a/x"), InputSpec(stream_url="rtmp://h/a/x")]
    assert check(spec(urls, outputs(1))).number == DUPLICATE_INPUT
    # the same id by URL and by id are different inputs; so are two images
    validate.check_mix(spec([InputSpec(stream_id="x"), InputSpec(stream_url="rtmp://h/a/x")], outputs(1)))
    images = [InputSpec(image_url="http://h/1.png"), InputSpec(image_url="http://h/2.png")]
    validate.check_mix(spec(images, outputs(1)))


def test_duplicate_outputs_are_refused_by_name_or_url() -> None:
    same_name = [
        OutputSpec("o", width=320, height=180),
        OutputSpec("p", width=320, height=180),
        OutputSpec("o", width=320, height=180),
    ]
    error = check(spec(inputs(1), same_name))
    assert (error.number, error.detail) == (DUPLICATE_OUTPUT, "MixOutput[2] 'o' appears twice")
    same_url = [OutputSpec("a", push_url="rtmp://h/x/a"), OutputSpec("b", push_url="rtmp://h/x/a")]
    error = check(spec(inputs(1), same_url))
    assert (error.number, error.detail) == (DUPLICATE_OUTPUT, "MixOutput[1] 'rtmp://h/x/a' appears twice")
    validate.check_mix(spec(inputs(1), [OutputSpec("a", push_url="rtmp://h/x/a"), OutputSpec("b")]))


def test_an_input_that_is_also_an_output_is_refused() -> None:
    error = check(spec([InputSpec(stream_id="in0"), InputSpec(stream_id="out0")], outputs(1)))
    assert (error.number, error.detail) == (INPUT_IS_OUTPUT, "MixInput[1] 'out0' is also an output")
    pushed = [OutputSpec("s", push_url="rtmp://h/a/s")]
    error = check(spec([InputSpec(stream_url="rtmp://h/a/s")], pushed))
    assert (error.number, error.detail) == (INPUT_IS_OUTPUT, "MixInput[0] 'rtmp://h/a/s' is also an output")


def test_sound_level_needs_a_distinct_id_per_input() -> None:
    ok = [InputSpec(stream_id="a", sound_level_id=0), InputSpec(stream_id="b", sound_level_id=1)]
    validate.check_mix(spec(ok, outputs(1), sound_level=True))
    missing = [InputSpec(stream_id="a", sound_level_id=1), InputSpec(stream_id="b")]
    validate.check_mix(spec(missing, outputs(1)))  # SoundLevel off: ids are not needed
    error = check(spec(missing, outputs(1), sound_level=True))
    assert (error.number, error.detail) == (
        BAD_PARAM,
        "SoundLevel is on: every MixInput needs its own SoundLevelId",
    )
    same = [InputSpec(stream_id="a", sound_level_id=3), InputSpec(stream_id="b", sound_level_id=3)]
    assert check(spec(same, outputs(1), sound_level=True)).number == BAD_PARAM


@pytest.mark.parametrize(
    "box", [Box(0, 0, 320, 180), Box(319, 179, 320, 180), Box(0, 0, 1, 1), Box(100, 50, 320, 100)]
)
def test_rectangles_on_the_canvas_are_accepted(box: Box) -> None:
    validate.check_mix(spec([InputSpec(stream_id="a", box=box)], outputs(1)))


@pytest.mark.parametrize(
    "box", [Box(0, 0, 321, 180), Box(0, 0, 320, 181), Box(-1, 0, 10, 10), Box(0, -1, 10, 10)]
)
def test_rectangles_off_the_canvas_are_refused(box: Box) -> None:
    error = check(spec([InputSpec(stream_id="in0"), InputSpec(stream_id="a", box=box)], outputs(1)))
    assert (error.number, error.detail) == (
        BAD_PARAM,
        f"MixInput[1] rectangle (left {box.left}, top {box.top}, right {box.right}, bottom {box.bottom}) "
        "is outside the 320x180 canvas",
    )


def test_the_canvas_is_the_first_video_output() -> None:
    outs = [
        OutputSpec("a", width=1, height=1),
        OutputSpec("b", width=640, height=360),
        OutputSpec("c", width=320, height=180),
    ]
    validate.check_mix(spec([InputSpec(stream_id="x", box=Box(0, 0, 640, 360))], outs))
    assert check(spec([InputSpec(stream_id="x", box=Box(0, 0, 642, 360))], outs)).number == BAD_PARAM


def test_audio_only_mixes_do_not_check_rectangles() -> None:
    far = [InputSpec(stream_id="a", box=Box(0, 0, 3000, 3000))]
    validate.check_mix(spec(far, [OutputSpec("o", width=1, height=1)]))
    validate.check_mix(
        spec(far, [OutputSpec("o", width=0, height=0)], watermark=Watermark("http://h/a", Box(1, 1, 4001, 3)))
    )


def test_a_watermark_must_use_even_edges_on_the_canvas() -> None:
    def with_mark(box: Box) -> MixSpec:
        return spec(inputs(1), outputs(1), watermark=Watermark("http://h/logo.png", box))

    validate.check_mix(with_mark(Box(0, 0, 320, 180)))
    validate.check_mix(with_mark(Box(2, 4, 6, 8)))
    for odd in (Box(1, 0, 4, 4), Box(0, 1, 4, 4), Box(0, 0, 3, 4), Box(0, 0, 4, 3)):
        error = check(with_mark(odd))
        assert (error.number, error.detail) == (
            WATERMARK_WRONG,
            f"watermark (left {odd.left}, top {odd.top}, right {odd.right}, bottom {odd.bottom}) "
            "must use even numbers",
        )
    for outside in (Box(0, 0, 322, 180), Box(0, 0, 320, 182), Box(-2, 0, 4, 4), Box(0, -2, 4, 4)):
        error = check(with_mark(outside))
        assert (error.number, error.detail) == (
            WATERMARK_WRONG,
            f"watermark (left {outside.left}, top {outside.top}, right {outside.right}, "
            f"bottom {outside.bottom}) is outside the 320x180 canvas",
        )
