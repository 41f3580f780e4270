"""The legacy codes' default messages (seed 000's table), their API 3.0 names (the live SDK's
errorcodes.py), the exceptions that carry them, and ``translate``'s refusals."""

from __future__ import annotations

import pytest

from emulator.core.streams import MediaInfo
from emulator.providers.tencent import translate
from emulator.providers.tencent.errors import Api3Error, TencentError, default_message
from tests.providers.tencent.helpers import envelope, start_para, stream

# code -> (default message, API 3.0 code)
TABLE = {
    -1: ("Parse input params failed!", "InvalidParameter"),
    -2: ("Input params error!", "InvalidParameter"),
    -3: ("Input stream number error, must be in [1, 16]!", "InvalidParameter.InputNumLimitExceeded"),
    -4: ("Stream params error!", "InvalidParameter.InvalidMixInputParam"),
    -11: ("Image layer error!", "InvalidParameter.InvalidLayerParam"),
    -20: ("Input params not match the interface!", "InvalidParameter.TemplateNotMatchInputNum"),
    -21: ("Mix input stream number error, at least two streams!", "InvalidParameter.InvalidMixInputParam"),
    -28: ("Get background height and width failed!", "InvalidParameter.InvalidBackgroudResolution"),
    -29: ("Crop params error!", "InvalidParameter.InvalidCropParam"),
    -33: ("Picture id error!", "InvalidParameter.InvalidPictureID"),
    -34: ("Get picture url failed!", "InvalidParameter.InvalidPictureID"),
    -111: ("output_stream_id not match output_stream_type!", "InvalidParameter.InvalidOutputType"),
    -300: ("Output stream id already in use!", "InvalidParameter.InvalidOutputStreamID"),
    -505: ("Input stream no exist!", "FailedOperation.StreamNotExist"),
    -507: ("Get stream height and width failed!", "FailedOperation.GetStreamResolutionError"),
    -508: (
        "Output stream id error, the session already outputs another stream!",
        "InvalidParameter.SessionOutputStreamChanged",
    ),
    -10031: ("Trigger mix stream failed!", "FailedOperation.ProcessMixError"),
    -30300: ("Cancel mix stream failed, session id no exist!", "InvalidParameter.CancelSessionNotExist"),
    -31001: ("Cancel mix stream failed, session id no exist!", "InvalidParameter.CancelSessionNotExist"),
    -31002: ("Cancel mix stream failed, session id no exist!", "InvalidParameter.CancelSessionNotExist"),
    -31003: (
        "Cancel mix stream failed, output stream id not match the session!",
        "InvalidParameter.OtherError",
    ),
    -31004: ("Output stream bitrate invalid, must be in [1, 50000]!", "InvalidParameter.InvalidBitrate"),
}


@pytest.mark.parametrize(("code", "message", "api3"), [(c, m, a) for c, (m, a) in TABLE.items()])
def test_every_code_has_its_message_and_api3_name(code: int, message: str, api3: str) -> None:
    assert default_message(code) == message
    error = TencentError(code)
    assert (error.code, error.message, error.api3_code) == (code, message, None)
    assert str(error) == f"{code}: {message}"
    assert (Api3Error.from_legacy(error).code, Api3Error.from_legacy(error).message) == (api3, message)


def test_success_and_unknown_codes() -> None:
    assert default_message(0) == "Success!"
    assert default_message(-9) == "Mix stream failed!"
    assert default_message(1) == "Mix stream failed!"
    assert Api3Error.from_legacy(TencentError(-9)).code == "InvalidParameter.OtherError"


def test_a_specific_message_and_api3_code_win() -> None:
    error = TencentError(
        -10031, "Trigger mix stream failed, too many mixes!", api3_code="ResourceInsufficient"
    )
    assert (error.message, error.api3_code) == (
        "Trigger mix stream failed, too many mixes!",
        "ResourceInsufficient",
    )
    converted = Api3Error.from_legacy(error)
    assert (converted.code, converted.message) == (
        "ResourceInsufficient",
        "Trigger mix stream failed, too many mixes!",
    )
    assert str(converted) == "ResourceInsufficient: Trigger mix stream failed, too many mixes!"
    assert TencentError(-4, "").message == "Stream params error!"  # an empty message is no message


def sizes(**known: tuple[int, int]) -> object:
    return lambda stream_id: (
        MediaInfo(width=known[stream_id][0], height=known[stream_id][1], fps=20.0)
        if stream_id in known
        else None
    )


def test_translate_takes_the_whole_body_or_para_and_the_stream_sizes() -> None:
    para = start_para("s", "a", [stream("a", 1), stream("b", 2, image_width=100, image_height=50)])
    job = translate(envelope(para), sizes(a=(320, 180), b=(160, 90)))  # type: ignore[arg-type]
    assert (job.canvas.width, job.canvas.height) == (320, 180)
    assert [layer.source for layer in job.layers] == ["stream:a", "stream:b"]
    assert translate(para, sizes(a=(320, 180), b=(160, 90))).to_dict() == job.to_dict()  # type: ignore[arg-type]


def test_translate_without_stream_info_needs_the_sizes_in_the_request() -> None:
    para = start_para(
        "s",
        "a",
        [stream("a", 1, image_width=640, image_height=360), stream("b", 2, image_width=100, image_height=50)],
    )
    job = translate(para)
    assert (job.canvas.width, job.canvas.height) == (640, 360)
    assert [layer.source for layer in job.layers] == ["stream:a", "stream:b"]
    with pytest.raises(ValueError) as info:
        translate(start_para("s", "a", [stream("a", 1), stream("b", 2, image_width=10, image_height=10)]))
    assert str(info.value) == "code -507: Get stream height and width failed, stream [a] size unknown!"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "the request must be a JSON object"),
        ("text", "the request must be a JSON object"),
        ({"interface": {"para": "x"}}, "interface.para must be an object"),
        ({"interface": {"para": None}}, "interface.para must be an object"),
        ({"interface": {}}, "interface.para must be an object"),
    ],
)
def test_translate_refuses_what_is_not_a_request(body: object, message: str) -> None:
    with pytest.raises(ValueError) as info:
        translate(body)  # type: ignore[arg-type]
    assert str(info.value) == message


def test_translate_reports_the_code_and_message() -> None:
    with pytest.raises(ValueError) as info:
        translate(start_para("s", "a", [stream("a", 1)]), sizes(a=(320, 180)))  # type: ignore[arg-type]
    assert str(info.value) == "code -21: Mix input stream number error, at least two streams!"
