"""Every code of the seed's error table, each provoked by the condition the seed gives for it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.providers.tencent.helpers import APPID, Tencent, cancel_para, envelope, load, start_para, stream

TWO = [stream("a", 1), stream("b", 2, image_width=100, image_height=60)]


def para_with(**changes: Any) -> dict[str, Any]:
    para = start_para("room", "a", TWO)
    para.update(changes)
    return para


# ----- -1: the body cannot be parsed
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Parse input params failed, the body is not JSON!"),
        (b"[1, 2]", "Parse input params failed, the body must be a JSON object!"),
        (
            envelope(para_with(interface="mix_streamv2.start_mix_stream")),
            "interface name [mix_streamv2.start",
        ),
        ({"eventId": 1, "interface": {"interfaceName": "Mix_Stream", "para": {}}}, "interfaceName must be"),
        ({"eventId": 1, "interface": {"interfaceName": "Mix_StreamV2"}}, "para object required"),
        (envelope(para_with(input_stream_list=[])), "input_stream_list is empty"),
    ],
)
def test_code_1_parse_errors(tencent: Tencent, body: Any, message: str) -> None:
    answer = tencent.post(body)
    assert answer.code == -1
    assert message in answer.message


# ----- -2: appid / eventid 0, picture parameters overflow
def test_code_2_event_id_zero(tencent: Tencent) -> None:
    answer = tencent.post(envelope(para_with(), event_id=0))
    assert (answer.code, answer.message) == (-2, "Input params error, eventId must not be 0!")


def test_code_2_app_id_zero(tencent: Tencent) -> None:
    assert tencent.call(para_with(app_id=0)).code == -2


def test_code_2_position_overflow(tencent: Tencent) -> None:
    inputs = [stream("a", 1), stream("b", 2, location_x=3001)]
    answer = tencent.call(start_para("room", "a", inputs))
    assert answer.code == -2 and "location_x [3001] overflow" in answer.message
    assert (
        tencent.call(start_para("room", "a", [stream("a", 1), stream("b", 2, location_y=0.995)])).code == -2
    )


# ----- -3, -21: stream counts
def test_code_3_more_than_16_inputs(tencent: Tencent) -> None:
    inputs = [stream(f"s{n}", n + 1) for n in range(17)]
    answer = tencent.call(start_para("room", "s0", inputs))
    assert (answer.code, answer.message) == (-3, "Input stream number error, 17 streams, must be in [1, 16]!")


def test_code_21_a_single_input(tencent: Tencent) -> None:
    answer = tencent.call(start_para("room", "a", [stream("a", 1)]))
    assert (answer.code, answer.message) == (-21, "Mix input stream number error, at least two streams!")


# ----- -4: stream parameters
@pytest.mark.parametrize(
    "inputs",
    [
        [stream("a", 1), stream("b", 2, image_width=3001)],
        [stream("a", 1), stream("b", 2, image_height=-5)],
        [stream("a", 1), {"input_stream_id": "b"}],
        [stream("a", 1), stream("b", 2, input_type=1)],
        [stream("a", 1), stream("b" * 81, 2)],
        [stream("a", 1), stream("", 2)],
    ],
)
def test_code_4_stream_params(tencent: Tencent, inputs: list[dict[str, Any]]) -> None:
    assert tencent.call(start_para("room", "a", inputs)).code == -4


# ----- -11: layers
@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ([stream("a", 1), stream("b", 1)], "image_layer [1] repeated"),
        ([stream("a", 1), stream("b", 17)], "image_layer [17] must be in [1, 16]"),
        ([stream("a", 1), {"input_stream_id": "b", "layout_params": {}}], "stream [b] has no image_layer"),
        ([stream("a", 2), stream("b", 3)], "no background (image_layer 1)"),
    ],
)
def test_code_11_layers(tencent: Tencent, inputs: list[dict[str, Any]], message: str) -> None:
    answer = tencent.call(start_para("room", "a", inputs))
    assert answer.code == -11 and message in answer.message


# ----- -20: template / colour
def test_code_20_input_count_does_not_match_the_template(tencent: Tencent) -> None:
    inputs = [stream("a", 1), stream("b", 2), stream("c", 3)]
    answer = tencent.call(start_para("room", "a", inputs, mix_stream_template_id=10))
    assert (answer.code, answer.message) == (
        -20,
        "Input stream number [3] not match template [10], which takes 2!",
    )


def test_code_20_unknown_template_and_bad_colour(tencent: Tencent) -> None:
    assert tencent.call(para_with(mix_stream_template_id=11)).code == -20
    inputs = [stream("c", 1, input_type=3, color="red", image_width=320, image_height=180), stream("a", 2)]
    assert tencent.call(start_para("room", "a", inputs)).code == -20


# ----- -28, -505, -507: streams
def test_code_28_background_not_pushed(tencent: Tencent) -> None:
    tencent.publish("b")
    answer = tencent.call(para_with())
    assert answer.message == "Get background height and width failed, background stream no exist!"
    assert answer.code == -28


def test_code_28_background_pushed_less_than_5s_ago(tencent: Tencent) -> None:
    tencent.publish("b")
    tencent.publish("a", settle=False)
    tencent.emu.advance_clock(4)
    assert tencent.call(para_with()).code == -28
    tencent.emu.advance_clock(1)
    assert tencent.call(para_with()).code == 0


def test_code_28_canvas_and_audio_need_a_canvas_size(tencent: Tencent) -> None:
    tencent.publish("a")
    inputs = [stream("canvas1", 1, input_type=3), stream("a", 2, input_type=4)]
    answer = tencent.call(start_para("room", "out", inputs, output_stream_type=1))
    assert (answer.code, answer.message) == (
        -28,
        "Get background height and width failed, the canvas has no size set!",
    )


def test_code_505_input_not_pushed(tencent: Tencent) -> None:
    tencent.publish("a")
    answer = tencent.call(para_with())
    assert (answer.code, answer.message) == (-505, "streamid: [b], no exist")


def test_code_505_input_pushed_less_than_5s_ago(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b", settle=False)
    tencent.emu.advance_clock(3)
    assert tencent.call(para_with()).code == -505
    tencent.emu.advance_clock(2)
    assert tencent.call(para_with()).code == 0


def test_code_505_for_another_app_id_in_the_body(tencent: Tencent) -> None:
    """The seed's FAQ 2: streams are looked up under the body's app_id; a wrong one finds nothing."""
    tencent.publish("a")
    tencent.publish("b")
    answer = tencent.call(para_with(app_id=1250000001))
    assert answer.code == -28  # the background is the first stream looked up


def test_code_507_stream_size_unknown(tencent: Tencent) -> None:
    tencent.emu.publish("a", "http://127.0.0.1:9/not-probed.flv")  # network sources are taken on trust
    tencent.publish("b")
    answer = tencent.call(para_with())
    assert (answer.code, answer.message) == (
        -507,
        "Get stream height and width failed, stream [a] size unknown!",
    )


def test_code_507_canvas_window_without_size(tencent: Tencent) -> None:
    tencent.publish("a")
    answer = tencent.call(start_para("room", "a", [stream("a", 1), stream("box", 2, input_type=3)]))
    assert answer.code == -507


# ----- -29: crop
def test_code_29_crop_outside_the_stream(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b", size="320x180")
    crop = {"crop_x": 100, "crop_y": 0, "crop_width": 240, "crop_height": 100}
    answer = tencent.call(start_para("room", "a", [stream("a", 1), stream("b", 2, crop=crop)]))
    assert (answer.code, answer.message) == (
        -29,
        "Crop params error, crop (100, 0, 240x100) outside stream [b] of 320x180!",
    )


def test_code_29_crop_values_out_of_range(tencent: Tencent) -> None:
    crop = {"crop_x": -1, "crop_width": 10, "crop_height": 10}
    assert tencent.call(start_para("room", "a", [stream("a", 1), stream("b", 2, crop=crop)])).code == -29
    assert (
        tencent.call(start_para("room", "a", [stream("a", 1), {**stream("b", 2), "crop_params": 5}])).code
        == -29
    )


# ----- -33, -34: pictures
def test_code_33_picture_without_id(tencent: Tencent) -> None:
    answer = tencent.call(start_para("room", "a", [stream("a", 1), stream("logo", 2, input_type=2)]))
    assert (answer.code, answer.message) == (
        -33,
        "Picture id error, stream [logo] has input_type 2 and no picture_id!",
    )


def test_code_34_picture_not_uploaded(tencent: Tencent) -> None:
    tencent.publish("a")
    answer = tencent.call(
        start_para("room", "a", [stream("a", 1), stream("logo", 2, input_type=2, picture_id=77)])
    )
    assert (answer.code, answer.message) == (-34, "Get picture url failed, picture id [77] no exist!")


# ----- -111: output type
@pytest.mark.parametrize(
    ("output", "output_type"),
    [("c", 0), ("a", 1), ("a", 2)],
)
def test_code_111_output_id_and_type_do_not_match(tencent: Tencent, output: str, output_type: int) -> None:
    para = start_para("room", output, TWO, output_stream_type=output_type)
    assert tencent.call(para).code == -111


# ----- -300, -508: outputs and sessions
def test_code_300_output_of_another_mix(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para("one", "a", TWO)).code == 0
    answer = tencent.call(start_para("two", "a", TWO))
    assert (answer.code, answer.message) == (
        -300,
        "Output stream id [a] already in use, it is the output of another mix!",
    )


def test_code_300_new_output_stream_exists(tencent: Tencent) -> None:
    for stream_id in ("a", "b", "taken"):
        tencent.publish(stream_id)
    answer = tencent.call(start_para("one", "taken", TWO, output_stream_type=1))
    assert (answer.code, answer.message) == (
        -300,
        "Output stream id [taken] already in use, the stream exists!",
    )


def test_code_508_session_with_another_output(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para("room", "a", TWO)).code == 0
    answer = tencent.call(start_para("room", "b", TWO))
    assert answer.code == -508
    assert answer.message == "Output stream id error, session [room] outputs [a], not [b]!"


# ----- -10031: trigger failed
def test_code_10031_through_fault_injection(tencent: Tencent) -> None:
    tencent.emu.add_fault("tencent", "start_mix_stream_advanced", code=-10031, times=1)
    answer = tencent.call(para_with())
    assert (answer.code, answer.message, answer.body["event_id"]) == (
        -10031,
        "Trigger mix stream failed!",
        "1527240138",
    )
    assert tencent.call(para_with()).code == -28  # the fault fired once; now the real checks run


def test_faults_take_any_code_message_and_status(tencent: Tencent) -> None:
    tencent.emu.add_fault(
        "tencent", "cancel_mix_stream", code=-505, message="streamid: [x], no exist", http_status=502
    )
    answer = tencent.call(cancel_para("room", "a"))
    assert (answer.status, answer.code, answer.message) == (502, -505, "streamid: [x], no exist")


# ----- cancel: -30300, -31001, -31002, -31003
def test_code_31001_cancel_of_an_unknown_session(tencent: Tencent) -> None:
    answer = tencent.post(load("cancel"))
    assert (answer.code, answer.message) == (
        -31001,
        "Cancel mix stream failed, session id [lewis_room] no exist!",
    )


def test_codes_31002_31003_30300_along_a_session(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para("room", "a", TWO)).code == 0
    assert tencent.call(cancel_para("room", "a")).code == -31002  # within 5 s of the start
    tencent.emu.advance_clock(5)
    answer = tencent.call(cancel_para("room", "b"))
    assert answer.code == -31003
    assert answer.message == "Cancel mix stream failed, output stream id [b] not match the session's [a]!"
    assert tencent.call(cancel_para("room", "a")).code == 0
    answer = tencent.call(cancel_para("room", "a"))  # the seed's FAQ 11
    assert (answer.code, answer.message) == (
        -30300,
        "Cancel mix stream failed, session id [room] already ended!",
    )


# ----- -31004: bitrate
@pytest.mark.parametrize("bitrate", [0, 50001, -3, "fast", 12.5])
def test_code_31004_bitrate(tencent: Tencent, bitrate: Any) -> None:
    assert tencent.call(para_with(output_stream_bitrate=bitrate)).code == -31004


def test_bitrate_bounds_are_accepted(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(para_with(output_stream_bitrate=1)).code == 0
    assert tencent.call(para_with(output_stream_bitrate="50000")).code == 0  # an update of the session
    assert tencent.emu.task("tencent:room")["job"]["outputs"][0]["video"]["bitrate"] == 50_000_000


def test_appid_in_the_url_and_body_are_both_checked(tencent: Tencent) -> None:
    assert tencent.call(para_with(app_id=APPID)).code == -28  # a numeric string is an appid too
