"""Cloud API 3.0 (Version 2018-08-01): CreateCommonMixStream and CancelCommonMixStream on ``POST /``.

Today's Tencent SDKs mix through these two actions. Their parameters are the legacy CGI's under new names,
so a request is mapped onto a legacy ``para`` and checked by the same rules (params.py, mixing.py); a
failure's legacy code becomes the API's error code (errors.API3_CODES). Cancel names only the session: the
output id is the session's own. Layout and crop values in pixels are limited to [0, 2000] here (the CGI
allows 3000).

Every signing mode of the official SDKs is taken: TC3 over a POSTed JSON body or a GET with the parameters
in the query (tc3.py), and the v1 HmacSHA1/HmacSHA256 signature over a form POST or a GET (v1sign.py). Flat
parameters are put back into the JSON object (formparams.py); errors come back in the same envelope.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from emulator.core import jsonin
from emulator.providers.base import BodyTooLarge, Provider
from emulator.providers.tencent import params, tc3, v1sign
from emulator.providers.tencent.errors import Api3Error, TencentError
from emulator.providers.tencent.formparams import unflatten
from emulator.providers.tencent.mixing import MixService
from emulator.providers.tencent.params import ControlOptions, OutputOptions
from emulator.providers.tencent.wire import api3_response

VERSION = "2018-08-01"
CREATE = "CreateCommonMixStream"
CANCEL = "CancelCommonMixStream"
REQUEST_ID_KEY = web.RequestKey("tencent.request_id", str)

_LAYOUT = {
    "ImageLayer": "image_layer",
    "InputType": "input_type",
    "ImageWidth": "image_width",
    "ImageHeight": "image_height",
    "LocationX": "location_x",
    "LocationY": "location_y",
    "Color": "color",
    "WatermarkId": "picture_id",
}
_CROP = {
    "CropWidth": "crop_width",
    "CropHeight": "crop_height",
    "CropStartLocationX": "crop_x",
    "CropStartLocationY": "crop_y",
}
API3_MAX_BITRATE = 10_000  # kbps: API 3.0 allows less than the CGI's 50000
MAX_MIX_SEI = 4096  # bytes of OutputParams.MixSei (Tencent documents no limit; SEI stays small)
API3_MAX_PIXELS = 2000  # layout and crop, in pixels: API 3.0 allows less than the CGI's 3000
# The legacy code a too-large value earns: positions -2, sizes -4 (as the CGI sorts them), crop -29.
_PIXEL_CODES = {
    "LocationX": -2,
    "LocationY": -2,
    "ImageWidth": -4,
    "ImageHeight": -4,
    **{name: -29 for name in _CROP},
}
AUDIO_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


@dataclass(frozen=True)
class SignedCall:
    """A request whose signature verified, whatever the mode: who, which action, and its parameters."""

    app_id: str
    action: str
    version: str
    body: dict[str, Any]


class Api3Handler:
    def __init__(self, provider: Provider, service: MixService) -> None:
        self.provider = provider
        self.service = service

    async def handle(self, request: web.Request) -> web.Response:
        request[REQUEST_ID_KEY] = str(uuid.uuid4())
        try:
            return await self._handle(request)
        except TencentError as exc:
            error = Api3Error.from_legacy(exc)
            return response(request, (error.code, error.message))
        except Api3Error as exc:
            return response(request, (exc.code, exc.message))

    async def _handle(self, request: web.Request) -> web.Response:
        if request.method not in ("POST", "GET"):
            raise Api3Error("UnsupportedProtocol", f"The method {request.method[:16]} is not supported.")
        try:
            raw = await self.provider.read_body(request)
        except BodyTooLarge:
            raise Api3Error("InvalidParameter", "The request body is too large.") from None
        call = self._tc3(request, raw) if "X-TC-Action" in request.headers else self._v1(request, raw)
        action, version = call.action, call.version
        if version != VERSION:
            raise Api3Error("NoSuchVersion", f"The API version `{version[:32]}` does not exist.")
        if action not in (CREATE, CANCEL):
            raise Api3Error("InvalidAction", f"The action `{action[:64]}` is not found.")
        fault = await self.provider.injected_fault(request, action)
        if fault is not None:
            return fault
        body, app_id = call.body, call.app_id
        if action == CREATE:
            para = _create_para(body, app_id)
            control = _control_options(body)  # its switches are checked before the legacy rules
            req = params.parse_start(para, allow_copy=_flag(body.get("ControlParams"), "AllowCopy"))
            options = _output_options(body["OutputParams"])
            req = dataclasses.replace(req, output=options, control=control)
            self.service.start(req, app_id, {"api": "api3"})
        else:
            self.service.cancel(params.parse_cancel(self._cancel_para(body, app_id)))
        return response(request)

    def _tc3(self, request: web.Request, raw: bytes) -> SignedCall:
        action = request.headers.get("X-TC-Action", "")
        self.provider.mark(request, action[:64] or None)
        query = request.raw_path.partition("?")[2]  # as sent: the GET mode signs the encoded query
        app_id = tc3.authenticate(
            self.provider.ctx,
            method=request.method,
            query=query,
            headers=request.headers,
            body=raw,
            now=self.provider.signature_time(action),
        )
        body = unflatten(request.query.items()) if request.method == "GET" else _json_object(raw)
        return SignedCall(app_id, action, request.headers.get("X-TC-Version", ""), body)

    def _v1(self, request: web.Request, raw: bytes) -> SignedCall:
        flat = dict(request.query) if request.method == "GET" else _form(raw)
        action = flat.get("Action", "")
        self.provider.mark(request, action[:64] or None)
        if not v1sign.is_v1(flat):
            raise Api3Error("MissingParameter", "The request is missing a required parameter `Action`.")
        app_id = v1sign.authenticate(
            self.provider.ctx,
            method=request.method,
            host=request.host,
            params=flat,
            now=self.provider.signature_time(action),
        )
        body = unflatten(flat.items(), skip=v1sign.PUBLIC)
        return SignedCall(app_id, action, flat.get("Version", ""), body)

    def _cancel_para(self, body: dict[str, Any], app_id: str) -> dict[str, Any]:
        session_id = _required(body, "MixStreamSessionId")
        session = self.service.sessions.get(session_id) if isinstance(session_id, str) else None
        # No such session: any valid output id will do, the cancel fails on the session first.
        output_id = session.output_id if session is not None else session_id
        return {"app_id": app_id, "mix_stream_session_id": session_id, "output_stream_id": output_id}


def response(request: web.Request, error: tuple[str, str] | None = None, status: int = 200) -> web.Response:
    return api3_response(request.get(REQUEST_ID_KEY) or str(uuid.uuid4()), error, status)


# ----- API 3.0 names -> the legacy para
def _form(raw: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        raise Api3Error("InvalidParameter", "The request body is not a valid form.") from None


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = jsonin.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError):
        raise Api3Error("InvalidParameter", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise Api3Error("InvalidParameter", "The request body must be a JSON object.")
    return body


def _required(body: dict[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise Api3Error("MissingParameter", f"The request is missing a required parameter `{name}`.")
    return body[name]


def _create_para(body: dict[str, Any], app_id: str) -> dict[str, Any]:
    session_id = _required(body, "MixStreamSessionId")
    inputs = _required(body, "InputStreamList")
    output = _required(body, "OutputParams")
    if not isinstance(inputs, list):
        raise Api3Error("InvalidParameter", "InputStreamList must be an array.")
    if not isinstance(output, dict):
        raise Api3Error("InvalidParameter", "OutputParams must be an object.")
    bitrate = output.get("OutputStreamBitRate")
    if isinstance(bitrate, (int, float)) and not isinstance(bitrate, bool) and bitrate > API3_MAX_BITRATE:
        raise Api3Error("InvalidParameter.InvalidBitrate", "OutputStreamBitRate must be in [1, 10000].")
    return {
        "app_id": app_id,
        "interface": params.START,
        "mix_stream_session_id": session_id,
        "mix_stream_template_id": body.get("MixStreamTemplateId"),
        "output_stream_id": output.get("OutputStreamName"),
        "output_stream_type": output.get("OutputStreamType"),
        "output_stream_bitrate": bitrate,
        "input_stream_list": [_input(item) for item in inputs],
    }


def _input(item: Any) -> Any:
    if not isinstance(item, dict):
        return item  # refused by the legacy rules, with their code
    mapped: dict[str, Any] = {"input_stream_id": item.get("InputStreamName")}
    layout = item.get("LayoutParams")
    for values in (layout, item.get("CropParams")):
        if isinstance(values, dict):
            _check_pixels(values)
    mapped["layout_params"] = _renamed(layout, _LAYOUT) if isinstance(layout, dict) else layout
    crop = item.get("CropParams")
    if crop is not None:
        mapped["crop_params"] = _renamed(crop, _CROP) if isinstance(crop, dict) else crop
    return mapped


def _check_pixels(values: dict[str, Any]) -> None:
    """API 3.0's [0, 2000] for pixel values (shares below 1 are not pixels); other faults are left to the
    CGI's rules."""
    for name, code in _PIXEL_CODES.items():
        value = values.get(name)
        numeric = isinstance(value, (int, float, str)) and not isinstance(value, bool)
        try:
            number = float(value) if numeric else 0.0
        except (ValueError, OverflowError):
            number = 0.0  # not a number: the CGI's rules refuse it with their own message
        if number > API3_MAX_PIXELS:
            raise TencentError(code, f"{name} [{number:g}] out of range, pixels in [0, {API3_MAX_PIXELS}]!")


def _renamed(values: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names[key]: value for key, value in values.items() if key in names}


def _output_options(output: dict[str, Any]) -> OutputOptions:
    fps = _option(output, "OutputStreamFrameRate", range(1, 61))
    gop = _option(output, "OutputStreamGop", range(1, 11))
    audio_kbps = _option(output, "OutputAudioBitRate", range(1, 501))
    rate = _option(output, "OutputAudioSampleRate", AUDIO_SAMPLE_RATES)
    channels = _option(output, "OutputAudioChannels", (1, 2))
    return OutputOptions(
        fps=fps,
        gop_seconds=gop,
        audio_bitrate=None if audio_kbps is None else audio_kbps * 1000,
        sample_rate=rate,
        channels=channels,
    )


def _control_options(body: dict[str, Any]) -> ControlOptions:
    control = body.get("ControlParams")
    sei = body["OutputParams"].get("MixSei")
    if sei is not None and (not isinstance(sei, str) or len(sei.encode("utf-8", "replace")) > MAX_MIX_SEI):
        raise Api3Error(
            "InvalidParameter.InvalidOutputParam",
            f"OutputParams.MixSei must be a string of at most {MAX_MIX_SEI} bytes.",
        )
    return ControlOptions(
        crop_center=_flag(control, "UseMixCropCenter"),
        picture_alpha=_flag(control, "UsePictureTransparent"),
        pass_input_sei=_flag(control, "PassInputSei"),
        mix_sei=sei.encode("utf-8", "replace") if sei else None,
    )


def _flag(control: Any, name: str) -> bool:
    """A ControlParams switch: 0 or 1 (absent: 0)."""
    if control is None:
        return False
    if not isinstance(control, dict):
        raise Api3Error("InvalidParameter", "ControlParams must be an object.")
    value = control.get(name)
    if value is None:
        return False
    if isinstance(value, bool) or value not in (0, 1):
        raise Api3Error("InvalidParameter", f"ControlParams.{name} [{str(value)[:40]}] must be 0 or 1.")
    return value == 1


def _option(output: dict[str, Any], name: str, allowed: range | tuple[int, ...]) -> int | None:
    value = output.get(name)
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise Api3Error(
            "InvalidParameter.InvalidOutputParam", f"OutputParams.{name} [{str(value)[:40]}] is out of range."
        )
    return value
