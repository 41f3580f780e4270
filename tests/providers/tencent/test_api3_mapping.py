"""Cloud API 3.0 (api3.py): its parameters mapped onto the legacy rules, the limits API 3.0 sets on its own
(bitrate, pixels, output options, MixSei, ControlParams switches) from both sides, and the gateway over
hand-signed HTTP in every mode the SDKs use (TC3 POST and GET, v1 form POST and GET)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest

from emulator.providers.tencent import api3, params
from emulator.providers.tencent.errors import Api3Error, TencentError
from emulator.providers.tencent.params import ControlOptions, OutputOptions
from emulator.providers.tencent.tc3 import tc3_signature
from tests.providers.tencent.helpers import APPID, KEY, Tencent


def api3_error(call: Any, *args: Any) -> tuple[str, str]:
    with pytest.raises(Api3Error) as error:
        call(*args)
    return error.value.code, error.value.message


def legacy_error(call: Any, *args: Any) -> tuple[int, str]:
    with pytest.raises(TencentError) as error:
        call(*args)
    return error.value.code, error.value.message


# ----- OutputParams options
@pytest.mark.parametrize(
    ("name", "field", "accepted", "refused"),
    [
        ("OutputStreamFrameRate", "fps", [1, 25, 60], [-1, 61, 1.5, True, "25"]),
        ("OutputStreamGop", "gop_seconds", [1, 10], [-1, 11, 2.5, True, "2"]),
        ("OutputAudioChannels", "channels", [1, 2], [-1, 3, True]),
        (
            "OutputAudioSampleRate",
            "sample_rate",
            [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000],
            [44101, 1, 192000, "48000"],
        ),
    ],
)
def test_output_options_from_both_sides(
    name: str, field: str, accepted: list[int], refused: list[Any]
) -> None:
    for value in accepted:
        assert getattr(api3._output_options({name: value}), field) == value
    for value in (0, None):
        assert getattr(api3._output_options({name: value}), field) is None  # 0 or absent: the default
    for value in refused:
        assert api3_error(api3._output_options, {name: value}) == (
            "InvalidParameter.InvalidOutputParam",
            f"OutputParams.{name} [{value}] is out of range.",
        )


def test_output_audio_bitrate_is_kbps_up_to_500() -> None:
    assert api3._output_options({"OutputAudioBitRate": 1}).audio_bitrate == 1_000
    assert api3._output_options({"OutputAudioBitRate": 500}).audio_bitrate == 500_000
    for value in (501, -1):
        assert api3_error(api3._output_options, {"OutputAudioBitRate": value}) == (
            "InvalidParameter.InvalidOutputParam",
            f"OutputParams.OutputAudioBitRate [{value}] is out of range.",
        )
    assert api3._output_options({}) == OutputOptions()


def test_a_long_refused_value_is_cut_in_the_message() -> None:
    assert api3_error(api3._output_options, {"OutputStreamGop": "x" * 100})[1] == (
        f"OutputParams.OutputStreamGop [{'x' * 40}] is out of range."
    )


# ----- ControlParams and MixSei
def control_of(control: Any = None, **output: Any) -> ControlOptions:
    body: dict[str, Any] = {"OutputParams": output}
    if control is not None:
        body["ControlParams"] = control
    return api3._control_options(body)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("UseMixCropCenter", "crop_center"),
        ("UsePictureTransparent", "picture_alpha"),
        ("PassInputSei", "pass_input_sei"),
    ],
)
def test_each_switch_is_0_or_1(name: str, field: str) -> None:
    assert getattr(control_of({name: 1}), field) is True
    assert getattr(control_of({name: 0}), field) is False
    assert getattr(control_of({name: None}), field) is False
    others = {"crop_center", "picture_alpha", "pass_input_sei"} - {field}
    assert not any(getattr(control_of({name: 1}), other) for other in others)
    for value, shown in [(2, "2"), (-1, "-1"), (True, "True"), ("1", "1"), ("x" * 60, "x" * 40)]:
        assert api3_error(control_of, {name: value}) == (
            "InvalidParameter",
            f"ControlParams.{name} [{shown}] must be 0 or 1.",
        )


def test_without_control_params_every_switch_is_off() -> None:
    assert control_of() == ControlOptions(crop_center=False, picture_alpha=False, pass_input_sei=False)
    assert api3._flag(None, "AllowCopy") is False
    assert api3._flag({}, "AllowCopy") is False
    assert api3._flag({"AllowCopy": 1}, "AllowCopy") is True
    for control in ([], "x", 1):
        assert api3_error(api3._flag, control, "AllowCopy") == (
            "InvalidParameter",
            "ControlParams must be an object.",
        )


@pytest.mark.parametrize(
    ("sei", "kept"),
    [
        (None, None),
        ("", None),
        ("abc", b"abc"),
        ("a" * 4096, b"a" * 4096),
        ("é" * 2048, "é".encode() * 2048),
        ("\ud800", b"?"),
    ],
)
def test_mix_sei_up_to_4096_bytes(sei: Any, kept: bytes | None) -> None:
    assert control_of(MixSei=sei).mix_sei == kept


@pytest.mark.parametrize("sei", ["a" * 4097, "é" * 2049, 5, ["a"]])
def test_mix_sei_refusals(sei: Any) -> None:
    with pytest.raises(Api3Error) as error:
        control_of(MixSei=sei)
    assert (error.value.code, error.value.message) == (
        "InvalidParameter.InvalidOutputParam",
        "OutputParams.MixSei must be a string of at most 4096 bytes.",
    )


# ----- the mapping onto the legacy para
CREATE = {
    "MixStreamSessionId": "room",
    "MixStreamTemplateId": 20,
    "InputStreamList": [
        {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
        {
            "InputStreamName": "guest",
            "LayoutParams": {
                "ImageLayer": 2,
                "InputType": 0,
                "ImageWidth": 0.25,
                "ImageHeight": 90,
                "LocationX": 10,
                "LocationY": 20,
                "Color": "0x112233",
                "WatermarkId": 7,
                "Unknown": 1,
            },
            "CropParams": {
                "CropWidth": 80,
                "CropHeight": 45,
                "CropStartLocationX": 1,
                "CropStartLocationY": 2,
            },
        },
    ],
    "OutputParams": {"OutputStreamName": "anchor", "OutputStreamType": 0, "OutputStreamBitRate": 900},
}


def test_create_maps_every_name_onto_the_legacy_para() -> None:
    assert api3._create_para(CREATE, APPID) == {
        "app_id": APPID,
        "interface": params.START,
        "mix_stream_session_id": "room",
        "mix_stream_template_id": 20,
        "output_stream_id": "anchor",
        "output_stream_type": 0,
        "output_stream_bitrate": 900,
        "input_stream_list": [
            {"input_stream_id": "anchor", "layout_params": {"image_layer": 1}},
            {
                "input_stream_id": "guest",
                "layout_params": {
                    "image_layer": 2,
                    "input_type": 0,
                    "image_width": 0.25,
                    "image_height": 90,
                    "location_x": 10,
                    "location_y": 20,
                    "color": "0x112233",
                    "picture_id": 7,
                },
                "crop_params": {"crop_width": 80, "crop_height": 45, "crop_x": 1, "crop_y": 2},
            },
        ],
    }


def test_odd_inputs_pass_through_to_the_legacy_rules() -> None:
    body = {
        **CREATE,
        "InputStreamList": ["x", {"InputStreamName": "b", "LayoutParams": 5, "CropParams": [1]}],
    }
    assert api3._create_para(body, APPID)["input_stream_list"] == [
        "x",
        {"input_stream_id": "b", "layout_params": 5, "crop_params": [1]},
    ]
    body = {**CREATE, "InputStreamList": [{"InputStreamName": "b", "CropParams": None}]}
    assert api3._create_para(body, APPID)["input_stream_list"] == [
        {"input_stream_id": "b", "layout_params": None}
    ]


@pytest.mark.parametrize("missing", ["MixStreamSessionId", "InputStreamList", "OutputParams"])
def test_create_requires_its_three_parameters(missing: str) -> None:
    body = {**CREATE, missing: None}
    assert api3_error(api3._create_para, body, APPID) == (
        "MissingParameter",
        f"The request is missing a required parameter `{missing}`.",
    )
    del body[missing]
    assert api3_error(api3._create_para, body, APPID)[0] == "MissingParameter"


def test_create_shape_refusals() -> None:
    assert api3_error(api3._create_para, {**CREATE, "InputStreamList": {}}, APPID) == (
        "InvalidParameter",
        "InputStreamList must be an array.",
    )
    assert api3_error(api3._create_para, {**CREATE, "OutputParams": []}, APPID) == (
        "InvalidParameter",
        "OutputParams must be an object.",
    )


@pytest.mark.parametrize(
    ("bitrate", "ok"), [(10_000, True), (10_000.5, False), (10_001, False), (True, True)]
)
def test_api3_bitrate_limit_is_10000(bitrate: Any, ok: bool) -> None:
    body = {**CREATE, "OutputParams": {**CREATE["OutputParams"], "OutputStreamBitRate": bitrate}}
    if ok:
        assert api3._create_para(body, APPID)["output_stream_bitrate"] is bitrate
    else:
        assert api3_error(api3._create_para, body, APPID) == (
            "InvalidParameter.InvalidBitrate",
            "OutputStreamBitRate must be in [1, 10000].",
        )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("LocationX", -2),
        ("LocationY", -2),
        ("ImageWidth", -4),
        ("ImageHeight", -4),
        ("CropWidth", -29),
        ("CropHeight", -29),
        ("CropStartLocationX", -29),
        ("CropStartLocationY", -29),
    ],
)
def test_pixels_are_limited_to_2000(name: str, code: int) -> None:
    for fine in (2000, "2000", 0.5, "abc", True, None, 10**400, [1]):
        api3._check_pixels({name: fine})
    for value, shown in [(2001, "2001"), ("2000.5", "2000.5"), (1e300, "1e+300")]:
        assert legacy_error(api3._check_pixels, {name: value}) == (
            code,
            f"{name} [{shown}] out of range, pixels in [0, 2000]!",
        )


def test_pixels_are_checked_in_layout_and_crop_of_each_input() -> None:
    layout = {**CREATE["InputStreamList"][1], "LayoutParams": {"ImageLayer": 2, "LocationY": 2001}}
    assert legacy_error(api3._input, layout)[0] == -2
    crop = {**CREATE["InputStreamList"][1], "CropParams": {"CropStartLocationY": 2001}}
    assert legacy_error(api3._input, crop)[0] == -29


# ----- bodies
def test_json_and_form_bodies() -> None:
    assert api3._json_object(b"") == {}
    assert api3._json_object(b" \n") == {}
    assert api3._json_object(b'{"a": 1}') == {"a": 1}
    assert api3_error(api3._json_object, b"[1]") == (
        "InvalidParameter",
        "The request body must be a JSON object.",
    )
    assert api3_error(api3._json_object, b"{x") == ("InvalidParameter", "The request body is not valid JSON.")
    assert api3_error(api3._json_object, b"[" * 100_000) == (
        "InvalidParameter",
        "The request body is not valid JSON.",
    )
    assert api3._form(b"a=1&b=&c=x%20y") == {"a": "1", "b": "", "c": "x y"}
    assert api3_error(api3._form, b"a=\xff") == ("InvalidParameter", "The request body is not a valid form.")


# ----- over HTTP, signed as the SDKs sign
def answer(request: urllib.request.Request) -> dict[str, Any]:
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())["Response"]


def tc3_call(
    tencent: Tencent,
    action: str,
    body: dict[str, Any],
    *,
    method: str = "POST",
    drop: str = "",
    **headers: str,
) -> Any:
    """A TC3-signed request as the SDK makes it; ``headers`` added or replaced, ``drop`` one left out."""
    host = tencent.emu.host_port
    timestamp = int(time.time())
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    raw = json.dumps(body).encode() if method == "POST" else b""
    query = "" if method == "POST" else urllib.parse.urlencode(flat(body))
    content_type = "application/json" if method == "POST" else "application/x-www-form-urlencoded"
    signature = tc3_signature(
        KEY,
        method=method,
        query=query,
        headers={"content-type": content_type, "host": host},
        signed=["content-type", "host"],
        body=raw,
        timestamp=str(timestamp),
        date=date,
    )
    sent = {
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Version": "2018-08-01",
        "X-TC-Timestamp": str(timestamp),
        "Authorization": f"TC3-HMAC-SHA256 Credential={APPID}/{date}/live/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={signature}",
        **headers,
    }
    sent.pop(drop, None)
    url = f"{tencent.emu.url}/" + (f"?{query}" if query else "")
    return answer(
        urllib.request.Request(url, data=raw if method == "POST" else None, headers=sent, method=method)
    )


def flat(value: Any, prefix: str = "") -> dict[str, str]:
    """The SDKs' flat form of a JSON object: ``InputStreamList.0.LayoutParams.ImageLayer``."""
    if isinstance(value, dict):
        return {k: v for name, item in value.items() for k, v in flat(item, f"{prefix}{name}.").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in flat(item, f"{prefix}{n}.").items()}
    return {prefix[:-1]: str(value)}


def v1_call(
    tencent: Tencent, body: dict[str, str], *, method: str = "POST", algorithm: str = "HmacSHA1"
) -> Any:
    """The v1 signature written out: base64(HMAC(key, METHOD + host + "/?" + sorted name=value pairs))."""
    host = tencent.emu.host_port
    signed = {
        "Nonce": "4242",
        "Region": "ap-guangzhou",
        "SecretId": APPID,
        "SignatureMethod": algorithm,
        "Timestamp": str(int(time.time())),
        **body,
    }
    text = f"{method}{host}/?" + "&".join(f"{name}={signed[name]}" for name in sorted(signed))
    digest = hashlib.sha1 if algorithm == "HmacSHA1" else hashlib.sha256
    signed["Signature"] = base64.b64encode(hmac.new(KEY.encode(), text.encode(), digest).digest()).decode()
    encoded = urllib.parse.urlencode(signed)
    if method == "GET":
        return answer(urllib.request.Request(f"{tencent.emu.url}/?{encoded}", method="GET"))
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return answer(urllib.request.Request(f"{tencent.emu.url}/", data=encoded.encode(), headers=headers))


def layout_body(session: str) -> dict[str, Any]:
    return {
        "MixStreamSessionId": session,
        "InputStreamList": [
            {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
            {
                "InputStreamName": "guest",
                "LayoutParams": {"ImageLayer": 2, "ImageWidth": 80, "ImageHeight": 45},
            },
        ],
        "OutputParams": {"OutputStreamName": "anchor", "OutputStreamFrameRate": 15, "OutputAudioChannels": 1},
        "ControlParams": {"UseMixCropCenter": 1},
    }


def publish(tencent: Tencent) -> None:
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x90")


@pytest.mark.parametrize(("method", "algorithm"), [("POST", "HmacSHA1"), ("GET", "HmacSHA256")])
def test_v1_signed_create_and_cancel(tencent: Tencent, method: str, algorithm: str) -> None:
    publish(tencent)
    created = v1_call(
        tencent,
        {"Action": "CreateCommonMixStream", "Version": "2018-08-01", **flat(layout_body("v1_room"))},
        method=method,
        algorithm=algorithm,
    )
    assert set(created) == {"RequestId"}
    task = tencent.emu.ctx.tasks.get("tencent:v1_room")
    assert task is not None and task.state.active
    assert task.meta["api"] == "api3" and task.meta["output_stream_id"] == "anchor"
    video, audio = task.job.outputs[0].video, task.job.outputs[0].audio
    assert video is not None and video.fps == 15 and audio is not None and audio.channels == 1
    assert task.job.layers[1].fit == "fill"  # UseMixCropCenter 1
    tencent.emu.advance_clock(5)
    cancelled = v1_call(
        tencent,
        {"Action": "CancelCommonMixStream", "Version": "2018-08-01", "MixStreamSessionId": "v1_room"},
        method=method,
    )
    assert set(cancelled) == {"RequestId"}
    assert not task.state.active
    actions = [e["action"] for e in tencent.emu.requests(provider="tencent")][-2:]
    assert actions == ["CreateCommonMixStream", "CancelCommonMixStream"]


def test_tc3_get_mode_reads_the_query(tencent: Tencent) -> None:
    publish(tencent)
    assert set(tc3_call(tencent, "CreateCommonMixStream", layout_body("get_room"), method="GET")) == {
        "RequestId"
    }
    task = tencent.emu.ctx.tasks.get("tencent:get_room")
    assert task is not None and task.meta["api"] == "api3"
    assert task.job.layers[1].rect is not None and (task.job.layers[1].rect.w, task.job.layers[1].rect.h) == (
        80,
        45,
    )


def test_v1_gateway_refusals(tencent: Tencent) -> None:
    error = v1_call(tencent, {"Version": "2018-08-01"})["Error"]
    assert error == {"Code": "InvalidAction", "Message": "The action `` is not found."}
    error = v1_call(tencent, {"Action": "CancelCommonMixStream", "Version": "2017-03-12"})["Error"]
    assert error == {"Code": "NoSuchVersion", "Message": "The API version `2017-03-12` does not exist."}
    error = v1_call(tencent, {"Action": "DescribeLiveStreams", "Version": "2018-08-01"})["Error"]
    assert error == {"Code": "InvalidAction", "Message": "The action `DescribeLiveStreams` is not found."}
    error = v1_call(tencent, {"Action": "CancelCommonMixStream", "Version": "2018-08-01"})["Error"]
    assert error == {
        "Code": "MissingParameter",
        "Message": "The request is missing a required parameter `MixStreamSessionId`.",
    }


def form_post(tencent: Tencent, body: bytes) -> Any:
    """A form POST routed to Tencent by its query (SecretId and Signature) whose own form is read."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    url = f"{tencent.emu.url}/?SecretId={APPID}&Signature=x"
    return answer(urllib.request.Request(url, data=body, headers=headers))["Error"]


def test_v1_form_refusals(tencent: Tencent) -> None:
    assert form_post(tencent, b"Action=CancelCommonMixStream&Version=2018-08-01") == {
        "Code": "MissingParameter",
        "Message": "The request is missing a required parameter `Action`.",
    }
    assert tencent.emu.requests(provider="tencent")[-1]["action"] == "CancelCommonMixStream"
    assert form_post(tencent, b"a=\xff") == {
        "Code": "InvalidParameter",
        "Message": "The request body is not a valid form.",
    }


def test_a_method_other_than_post_or_get(tencent: Tencent) -> None:
    request = urllib.request.Request(
        f"{tencent.emu.url}/", data=b"{}", headers={"X-TC-Action": "X"}, method="PUT"
    )
    error = answer(request)["Error"]
    assert error == {"Code": "UnsupportedProtocol", "Message": "The method PUT is not supported."}


def test_cancel_of_an_unknown_session_answers_with_the_api3_code(tencent: Tencent) -> None:
    error = tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": "never"})["Error"]
    assert error["Code"] == "InvalidParameter.CancelSessionNotExist"
    error = tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": 5})["Error"]
    assert error["Code"] == "InvalidParameter"


def test_each_answer_has_its_own_request_id(tencent: Tencent) -> None:
    first = tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": "never"})
    second = tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": "never"})
    assert len(first["RequestId"]) == 36 and first["RequestId"] != second["RequestId"]


def test_a_long_action_is_cut_to_64_characters_in_the_answer_and_the_journal(tencent: Tencent) -> None:
    action = "Describe" + "x" * 92
    error = v1_call(tencent, {"Action": action, "Version": "2018-08-01"})["Error"]
    assert error == {"Code": "InvalidAction", "Message": f"The action `{action[:64]}` is not found."}
    assert tencent.emu.requests(provider="tencent")[-1]["action"] == action[:64]
    error = tc3_call(tencent, action, {})["Error"]
    assert error == {"Code": "InvalidAction", "Message": f"The action `{action[:64]}` is not found."}
    assert tencent.emu.requests(provider="tencent")[-1]["action"] == action[:64]
    error = tc3_call(tencent, "CancelCommonMixStream", {}, **{"X-TC-Version": "2018-08-01" + "9" * 40})[
        "Error"
    ]
    assert error == {
        "Code": "NoSuchVersion",
        "Message": f"The API version `{'2018-08-01' + '9' * 22}` does not exist.",
    }


def test_without_a_version_v1_answers_no_such_version(tencent: Tencent) -> None:
    error = v1_call(tencent, {"Action": "CancelCommonMixStream"})["Error"]
    assert error == {"Code": "NoSuchVersion", "Message": "The API version `` does not exist."}


@pytest.mark.parametrize("mode", ["v1", "tc3"])
def test_a_clock_skew_fault_of_the_action_expires_the_signature(tencent: Tencent, mode: str) -> None:
    tencent.emu.add_fault("tencent", "CancelCommonMixStream", clock_skew_s=301, times=1)
    body = {"MixStreamSessionId": "never"}
    if mode == "v1":
        error = v1_call(tencent, {"Action": "CancelCommonMixStream", "Version": "2018-08-01", **body})[
            "Error"
        ]
    else:
        error = tc3_call(tencent, "CancelCommonMixStream", body)["Error"]
    assert error["Code"] == "AuthFailure.SignatureExpire"


def test_tc3_without_a_version_header_answers_no_such_version(tencent: Tencent) -> None:
    error = tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": "x"}, drop="X-TC-Version")[
        "Error"
    ]
    assert error == {"Code": "NoSuchVersion", "Message": "The API version `` does not exist."}


@pytest.mark.parametrize("session", [["room"], {"a": 1}, 5, ""])
def test_cancel_of_a_session_id_that_is_no_string(tencent: Tencent, session: Any) -> None:
    error = tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": session})["Error"]
    assert error["Code"] == "InvalidParameter"
    assert error["Message"].startswith("mix_stream_session_id [")


def test_an_api3_fault_keeps_its_http_status(tencent: Tencent) -> None:
    tencent.emu.add_fault(
        "tencent", "CancelCommonMixStream", code="InternalError", message="boom", http_status=503
    )
    with pytest.raises(urllib.error.HTTPError) as failed:
        tc3_call(tencent, "CancelCommonMixStream", {"MixStreamSessionId": "x"})
    assert failed.value.code == 503
    answer = json.loads(failed.value.read())["Response"]
    assert answer["Error"] == {"Code": "InternalError", "Message": "boom"} and len(answer["RequestId"]) == 36


def test_a_body_over_the_cap_is_refused_in_the_api3_envelope(tencent: Tencent) -> None:
    cap = tencent.emu.ctx.settings.max_body_bytes
    headers = {"Content-Type": "application/json", "X-TC-Action": "CancelCommonMixStream"}
    request = urllib.request.Request(f"{tencent.emu.url}/", data=b" " * (cap + 1), headers=headers)
    assert answer(request)["Error"] == {
        "Code": "InvalidParameter",
        "Message": "The request body is too large.",
    }


@pytest.mark.parametrize("allow_copy", [0, 1, None])
def test_allow_copy_takes_a_single_input_as_a_copy(tencent: Tencent, allow_copy: int | None) -> None:
    tencent.publish("anchor")
    body: dict[str, Any] = {
        "MixStreamSessionId": "copy",
        "InputStreamList": [{"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}}],
        "OutputParams": {"OutputStreamName": "copy_out", "OutputStreamType": 1},
    }
    if allow_copy is not None:
        body["ControlParams"] = {"AllowCopy": allow_copy}
    response = tc3_call(tencent, "CreateCommonMixStream", body)
    if allow_copy == 1:
        assert set(response) == {"RequestId"}
        task = tencent.emu.ctx.tasks.get("tencent:copy")
        assert task is not None and [layer.id for layer in task.job.layers] == ["anchor"]
    else:
        assert response["Error"] == {
            "Code": "InvalidParameter.InvalidMixInputParam",
            "Message": "Mix input stream number error, at least two streams!",
        }
