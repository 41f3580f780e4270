"""The legacy CGI's body rules (params.py) called directly: every check from both sides of its boundary, with
the code the seed's table gives it and the exact message the answer carries."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from emulator.providers.tencent import params
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.params import (
    CancelRequest,
    Crop,
    InputType,
    Length,
    parse_cancel,
    parse_envelope,
    parse_start,
)
from tests.providers.tencent.helpers import cancel_para, start_para, stream

IDENT_RULE = "invalid, 1 to 80 letters, digits, underscores or hyphens!"


def refused(call: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[int, str]:
    with pytest.raises(TencentError) as error:
        call(*args, **kwargs)
    return error.value.code, error.value.message


def two(**window: Any) -> dict[str, Any]:
    """A valid start para: background "a" (the output, type 0) and window "b" with ``window``'s layout."""
    return start_para("s", "a", [stream("a", 1), stream("b", 2, **window)])


def window_of(**layout: Any) -> params.InputSpec:
    return parse_start(two(**layout)).inputs[1]


# ----- the envelope
def test_decode_body_takes_a_json_object_only() -> None:
    assert params.decode_body(b'{"a": [1]}') == {"a": [1]}
    assert refused(params.decode_body, b"{not json") == (
        -1,
        "Parse input params failed, the body is not JSON!",
    )
    assert refused(params.decode_body, b"[" * 100_000) == (
        -1,
        "Parse input params failed, the body is not JSON!",
    )
    assert refused(params.decode_body, b"[1]") == (
        -1,
        "Parse input params failed, the body must be a JSON object!",
    )


@pytest.mark.parametrize(
    ("value", "echoed"),
    [
        (123, "123"),
        (7, "7"),
        ("x", "x"),
        ("abc", "abc"),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("", None),
        (True, None),
        (1.5, None),
        ([1], None),
        (None, None),
    ],
)
def test_event_id_of_echoes_a_usable_id_as_a_string(value: Any, echoed: str | None) -> None:
    assert params.event_id_of({"eventId": value}) == echoed


def test_event_id_of_without_an_event_id() -> None:
    assert params.event_id_of({}) is None


def envelope(para: Any, name: Any = "Mix_StreamV2") -> dict[str, Any]:
    return {"interface": {"interfaceName": name, "para": para}}


def test_parse_envelope_names_both_actions() -> None:
    para = {"interface": params.START}
    assert parse_envelope(envelope(para)) == ("start_mix_stream_advanced", para)
    para = {"interface": params.CANCEL}
    assert parse_envelope(envelope(para)) == ("cancel_mix_stream", para)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Parse input params failed, interface object required!"),
        ({"interface": "Mix_StreamV2"}, "Parse input params failed, interface object required!"),
        (envelope({}, "Mix_Stream"), "Parse input params failed, interfaceName must be Mix_StreamV2!"),
        (envelope([]), "Parse input params failed, para object required!"),
        (envelope({}), "Parse input params failed, interface name [null] not supported!"),
        (envelope({"interface": "x"}), "Parse input params failed, interface name [x] not supported!"),
        (envelope({"interface": 5}), "Parse input params failed, interface name [5] not supported!"),
        (envelope({"interface": 1.5}), "Parse input params failed, interface name [1.5] not supported!"),
        (envelope({"interface": True}), "Parse input params failed, interface name [true] not supported!"),
        (envelope({"interface": [1]}), "Parse input params failed, interface name [<list>] not supported!"),
        (envelope({"interface": {}}), "Parse input params failed, interface name [<dict>] not supported!"),
    ],
)
def test_parse_envelope_refusals(body: dict[str, Any], message: str) -> None:
    assert refused(parse_envelope, body) == (-1, message)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("y" * 80, "y" * 80),  # up to 80 characters shown as sent
        ("y" * 81, "y" * 77 + "..."),
        ("z" * 500, "z" * 77 + "..."),
    ],
)
def test_a_long_value_is_cut_to_80_characters_in_the_message(name: str, shown: str) -> None:
    assert refused(parse_envelope, envelope({"interface": name}))[1] == (
        f"Parse input params failed, interface name [{shown}] not supported!"
    )


@pytest.mark.parametrize("value", [None, 0, "0", " 0 ", "", "  ", True, False, 1.5, [1], {"a": 1}])
def test_event_id_zero_or_missing_is_code_2(value: Any) -> None:
    body = {} if value is None else {"eventId": value}
    assert refused(params.check_event_id, body) == (-2, "Input params error, eventId must not be 0!")


@pytest.mark.parametrize("value", [1, "1", "abc", 1527240138])
def test_event_id_set_passes(value: Any) -> None:
    params.check_event_id({"eventId": value})


def test_timestamp_is_required_and_an_integer() -> None:
    params.check_timestamp({"timestamp": 1490079362})
    params.check_timestamp({"timestamp": "1490079362"})
    assert refused(params.check_timestamp, {}) == (-1, "Parse input params failed, timestamp required!")
    assert refused(params.check_timestamp, {"timestamp": "abc"}) == (-1, "timestamp [abc] must be a number!")
    assert refused(params.check_timestamp, {"timestamp": 1.5}) == (-1, "timestamp [1.5] must be an integer!")


# ----- cancel
def test_parse_cancel() -> None:
    assert parse_cancel(cancel_para("room-1", "out_1")) == CancelRequest(1252500000, "room-1", "out_1")
    assert parse_cancel({**cancel_para("r", "o"), "app_id": "1252500000"}).app_id == 1252500000


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"app_id": 0}, (-2, "Input params error, app_id must not be 0!")),
        ({"app_id": None}, (-2, "Input params error, app_id must not be 0!")),
        ({"app_id": "x"}, (-2, "app_id [x] must be a number!")),
        ({"app_id": 2**64}, (-2, "app_id [18446744073709551616] must be an integer!")),
        ({"mix_stream_session_id": "bad id"}, (-2, f"mix_stream_session_id [bad id] {IDENT_RULE}")),
        ({"mix_stream_session_id": ""}, (-2, f"mix_stream_session_id [] {IDENT_RULE}")),
        ({"mix_stream_session_id": 5}, (-2, f"mix_stream_session_id [5] {IDENT_RULE}")),
        ({"mix_stream_session_id": "s" * 81}, (-2, f"mix_stream_session_id [{'s' * 77}...] {IDENT_RULE}")),
        ({"output_stream_id": None}, (-4, f"output_stream_id [null] {IDENT_RULE}")),
        ({"output_stream_id": "a.b"}, (-4, f"output_stream_id [a.b] {IDENT_RULE}")),
    ],
)
def test_parse_cancel_refusals(change: dict[str, Any], expected: tuple[int, str]) -> None:
    assert refused(parse_cancel, {**cancel_para("room", "out"), **change}) == expected


def test_ids_take_80_characters_of_letters_digits_underscores_and_hyphens() -> None:
    ident = "Az09_-" + "x" * 74
    assert parse_cancel(cancel_para(ident, ident)).session_id == ident
    assert parse_cancel({**cancel_para("r", "o"), "app_id": 2**63}).app_id == 2**63


# ----- start: the request's own fields
def test_a_valid_start_with_its_defaults() -> None:
    req = parse_start(two())
    assert (req.app_id, req.session_id, req.output_id) == (1252500000, "s", "a")
    assert (req.output_type, req.template_id, req.bitrate_kbps) == (0, 0, None)
    background, window = req.inputs
    assert (background.stream_id, background.layer, background.input_type) == ("a", 1, InputType.AUDIO_VIDEO)
    assert (window.width, window.height, window.x, window.y) == (None, None, None, None)
    assert (window.color, window.picture_id, window.crop) == ("#000000", None, None)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"output_stream_id": "a b"}, (-4, f"output_stream_id [a b] {IDENT_RULE}")),
        ({"output_stream_id": None}, (-4, f"output_stream_id [null] {IDENT_RULE}")),
        ({"output_stream_type": 2}, (-111, "output_stream_type [2] invalid, use 0 or 1!")),
        ({"output_stream_type": -1}, (-111, "output_stream_type [-1] invalid, use 0 or 1!")),
        ({"output_stream_type": "x"}, (-111, "output_stream_type [x] must be a number!")),
        (
            {"mix_stream_template_id": 11},
            (-20, "Input params not match the interface, template id [11] invalid!"),
        ),
        ({"mix_stream_template_id": "x"}, (-20, "mix_stream_template_id [x] must be a number!")),
        ({"output_stream_bitrate": 0}, (-31004, "Output stream bitrate [0] invalid, must be in [1, 50000]!")),
        (
            {"output_stream_bitrate": 50_001},
            (-31004, "Output stream bitrate [50001] invalid, must be in [1, 50000]!"),
        ),
        ({"output_stream_bitrate": "x"}, (-31004, "output_stream_bitrate [x] must be a number!")),
    ],
)
def test_start_field_refusals(extra: dict[str, Any], expected: tuple[int, str]) -> None:
    assert refused(parse_start, {**two(), **extra}) == expected


@pytest.mark.parametrize(("kbps", "kept"), [(1, 1), ("800", 800), (50_000, 50_000)])
def test_bitrate_limits_are_inclusive(kbps: Any, kept: int) -> None:
    assert parse_start({**two(), "output_stream_bitrate": kbps}).bitrate_kbps == kept


def test_output_type_1_is_a_new_stream_not_among_the_inputs() -> None:
    para = {**two(), "output_stream_id": "new", "output_stream_type": 1}
    assert parse_start(para).output_type == 1
    assert refused(parse_start, {**para, "output_stream_type": 0}) == (
        -111,
        "output_stream_type is 0, output_stream_id must be in input_stream_list!",
    )
    assert refused(parse_start, {**two(), "output_stream_type": 1}) == (
        -111,
        "output_stream_type is 1, output_stream_id must not be in input_stream_list!",
    )


# ----- the input list
def n_streams(count: int) -> list[dict[str, Any]]:
    return [stream(f"s{n}", n) for n in range(1, count + 1)]


def test_input_list_refusals() -> None:
    para = two()
    for empty in (None, []):
        assert refused(parse_start, {**para, "input_stream_list": empty}) == (
            -1,
            "Parse input params failed, input_stream_list is empty!",
        )
    assert refused(parse_start, {**para, "input_stream_list": {"a": 1}}) == (
        -1,
        "Parse input params failed, input_stream_list must be a list!",
    )
    del para["input_stream_list"]
    assert refused(parse_start, para)[0] == -1


def test_at_most_16_inputs() -> None:
    assert len(parse_start(start_para("s", "s1", n_streams(16))).inputs) == 16
    assert refused(parse_start, start_para("s", "s1", [*n_streams(16), stream("s17", 16)])) == (
        -3,
        "Input stream number error, 17 streams, must be in [1, 16]!",
    )


def test_one_input_is_a_mix_only_as_an_allowed_copy() -> None:
    one = start_para("s", "copy", [stream("a", 1)], output_stream_type=1)
    expected = (-21, "Mix input stream number error, at least two streams!")
    assert refused(parse_start, one) == expected
    assert refused(
        parse_start, {**one, "output_stream_type": 0, "output_stream_id": "a"}, allow_copy=True
    ) == (expected)
    assert [i.stream_id for i in parse_start(one, allow_copy=True).inputs] == ["a"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("b", (-4, "Stream params error, input_stream_list[1] must be an object!")),
        ({"input_stream_id": "b c"}, (-4, f"input_stream_list[1].input_stream_id [b c] {IDENT_RULE}")),
        ({"input_stream_id": "b"}, (-4, "Stream params error, stream [b] has no layout_params!")),
        (
            {"input_stream_id": "b", "layout_params": [2]},
            (-4, "Stream params error, stream [b] has no layout_params!"),
        ),
        (stream("b", None), (-11, "Image layer error, stream [b] has no image_layer!")),
        (stream("b", 0), (-11, "Image layer error, image_layer [0] must be in [1, 16]!")),
        (stream("b", 17), (-11, "Image layer error, image_layer [17] must be in [1, 16]!")),
        (stream("b", "x"), (-11, "image_layer [x] must be a number!")),
        (stream("b", True), (-11, "image_layer [true] must be a number!")),
        (stream("b", 2.5), (-11, "image_layer [2.5] must be an integer!")),
        (stream("b", 1), (-11, "Image layer error, image_layer [1] repeated!")),
        (stream("b", 2, input_type=1), (-4, "Stream params error, input_type [1] not supported!")),
        (stream("b", 2, input_type=6), (-4, "Stream params error, input_type [6] not supported!")),
        (stream("b", 2, input_type="x"), (-4, "input_type [x] must be a number!")),
        (
            stream("b", 2, input_type=2),
            (-33, "Picture id error, stream [b] has input_type 2 and no picture_id!"),
        ),
        (
            stream("b", 2, input_type=2, picture_id=0),
            (-33, "Picture id error, stream [b] has input_type 2 and no picture_id!"),
        ),
        (stream("b", 2, input_type=2, picture_id="x"), (-33, "picture_id [x] must be a number!")),
    ],
)
def test_input_refusals(item: Any, expected: tuple[int, str]) -> None:
    assert refused(parse_start, start_para("s", "a", [stream("a", 1), item])) == expected


def test_layers_16_and_string_numbers_are_taken() -> None:
    req = parse_start(start_para("s", "a", [stream("a", "1"), stream("b", 16, input_type="5")]))
    assert [(i.layer, i.input_type) for i in req.inputs] == [
        (1, InputType.AUDIO_VIDEO),
        (16, InputType.VIDEO),
    ]


def test_a_background_is_required() -> None:
    assert refused(parse_start, start_para("s", "a", [stream("a", 2), stream("b", 3)])) == (
        -11,
        "Image layer error, no background (image_layer 1)!",
    )


@pytest.mark.parametrize(
    ("input_type", "visible", "is_stream"),
    [(0, True, True), (2, True, False), (3, True, False), (4, False, True), (5, True, True)],
)
def test_every_documented_input_type(input_type: int, visible: bool, is_stream: bool) -> None:
    spec = window_of(input_type=input_type, picture_id=7)
    assert spec.input_type == input_type
    assert (spec.visible, spec.is_stream) == (visible, is_stream)
    assert spec.picture_id == (7 if input_type == 2 else None)


def test_background_and_windows_by_layer() -> None:
    req = parse_start(start_para("s", "a", [stream("c", 3), stream("a", 1), stream("b", 2)]))
    assert req.background.stream_id == "a"
    assert [w.stream_id for w in req.windows] == ["b", "c"]


# ----- templates: the number of visible inputs each takes
@pytest.mark.parametrize(
    ("template", "visible"),
    [
        (10, 2),
        (20, 2),
        (30, 2),
        (40, 2),
        (50, 2),
        (310, 3),
        (390, 3),
        (391, 3),
        (410, 4),
        (510, 5),
        (590, 5),
        (610, 6),
    ],
)
def test_each_template_takes_its_number_of_visible_inputs(template: int, visible: int) -> None:
    inputs = n_streams(visible)
    audio = stream("voice", 16, input_type=4)  # audio-only inputs do not count
    assert (
        parse_start(start_para("s", "s1", [*inputs, audio], mix_stream_template_id=template)).template_id
        == template
    )
    for wrong in (visible - 1, visible + 1):
        para = start_para("s", "s1", [*n_streams(wrong), audio], mix_stream_template_id=template)
        assert refused(parse_start, para) == (
            -20,
            f"Input stream number [{wrong}] not match template [{template}], which takes {visible}!",
        )


def test_template_0_takes_any_number() -> None:
    for count in (2, 7, 16):
        assert parse_start(start_para("s", "s1", n_streams(count), mix_stream_template_id=0)).template_id == 0


# ----- sizes, positions, colours, crop
@pytest.mark.parametrize(
    ("value", "length"),
    [
        (0, None),
        ("0", None),
        (None, None),
        (0.01, Length(0.01, True)),
        (0.5, Length(0.5, True)),
        ("0.25", Length(0.25, True)),
        (0.99, Length(0.99, True)),
        (1, Length(1, False)),
        (1.0, Length(1.0, False)),
        (640, Length(640, False)),
        ("640", Length(640, False)),
        (3000, Length(3000, False)),
    ],
)
def test_lengths_are_pixels_or_shares(value: Any, length: Length | None) -> None:
    spec = window_of(image_width=value, image_height=value, location_x=value, location_y=value)
    assert (spec.width, spec.height, spec.x, spec.y) == (length, length, length, length)
    if length is not None:
        assert length.fraction is (value != 1 and float(value) < 1)


@pytest.mark.parametrize(
    ("name", "code"), [("image_width", -4), ("image_height", -4), ("location_x", -2), ("location_y", -2)]
)
def test_length_refusals_from_both_sides(name: str, code: int) -> None:
    share_rule = "overflow, a share must be in [0.01, 0.99]!"
    pixel_rule = "overflow, pixels in [0, 3000] or a share in [0.01, 0.99]!"
    for value, rule in [
        (0.009, share_rule),
        (0.995, share_rule),
        (3000.5, pixel_rule),
        (3001, pixel_rule),
        (-1, pixel_rule),
        (-0.5, pixel_rule),
    ]:
        assert refused(window_of, **{name: value}) == (code, f"{name} [{value:g}] {rule}")
    for bad, shown in [
        ("x", "x"),
        (True, "true"),
        ("1" * 33, "1" * 33),
        ("", ""),
        ("inf", "inf"),
        ([1], "<list>"),
    ]:
        assert refused(window_of, **{name: bad}) == (code, f"{name} [{shown}] must be a number!")
    huge = "1" + "0" * 76 + "..."  # 10**400 overflows a float; the message shows its first 77 digits
    assert refused(window_of, **{name: 10**400}) == (code, f"{name} [{huge}] must be a number!")


def test_a_32_character_number_is_still_a_number() -> None:
    assert window_of(image_width="0" * 29 + "640").width == Length(640, False)


@pytest.mark.parametrize(
    ("fraction", "value", "base", "pixels"),
    [
        (True, 0.5, 641, 320),
        (True, 0.25, 1000, 250),
        (True, 0.99, 100, 99),
        (False, 10.6, 0, 11),
        (False, 200, 999, 200),
    ],
)
def test_length_pixels(fraction: bool, value: float, base: int, pixels: int) -> None:
    assert Length(value, fraction).pixels(base) == pixels


@pytest.mark.parametrize(
    ("color", "kept"),
    [
        (None, "#000000"),
        ("", "#000000"),
        ("0xFF00aa", "#ff00aa"),
        ("0X123456", "#123456"),
        ("#ABCDEF", "#abcdef"),
        ("abcdef", "#abcdef"),
    ],
)
def test_colors(color: Any, kept: str) -> None:
    assert window_of(input_type=3, color=color).color == kept


@pytest.mark.parametrize(
    ("color", "shown"), [("red", "red"), ("0x12345", "0x12345"), ("0x1234567", "0x1234567"), (255, "255")]
)
def test_bad_colors_are_code_20(color: Any, shown: str) -> None:
    assert refused(window_of, input_type=3, color=color) == (-20, f"Color [{shown}] invalid, use 0xRRGGBB!")


def crop_of(crop: Any) -> Crop | None:
    para = start_para("s", "a", [stream("a", 1), {**stream("b", 2), "crop_params": crop}])
    return parse_start(para).inputs[1].crop


def test_crop_values() -> None:
    assert crop_of(None) is None
    assert crop_of({}) == Crop(0, 0, None, None)
    assert crop_of({"crop_x": 3000, "crop_y": "10", "crop_width": 0, "crop_height": 3000}) == Crop(
        3000, 10, None, 3000
    )
    assert crop_of({"crop_x": 0, "crop_y": 0, "crop_width": 1, "crop_height": 1}) == Crop(0, 0, 1, 1)


@pytest.mark.parametrize("name", ["crop_x", "crop_y", "crop_width", "crop_height"])
def test_crop_refusals_from_both_sides(name: str) -> None:
    for value in (-1, 3001):
        assert refused(crop_of, {name: value}) == (
            -29,
            f"Crop params error, {name} [{value}] must be in [0, 3000]!",
        )
    assert refused(crop_of, {name: "x"}) == (-29, f"{name} [x] must be a number!")
    assert refused(crop_of, [1]) == (-29, "Crop params error, crop_params must be an object!")


def test_parse_start_leaves_its_input_alone() -> None:
    para = two(image_width=0.5)
    kept = copy.deepcopy(para)
    parse_start(para)
    assert para == kept
