"""Cloud API 3.0 (Version 2018-08-01): CreateCommonMixStream and CancelCommonMixStream on ``POST /``.

Today's Tencent SDKs mix through these two actions. Their parameters are the legacy CGI's under new names,
so a request is mapped onto a legacy ``para`` and checked by the same rules (params.py, mixing.py); a
failure's legacy code becomes the API's error code (errors.API3_CODES). Cancel names only the session: the
output id is the session's own. Only POST with a JSON body is emulated (not the SDK's GET mode).
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

from aiohttp import web

from emulator.providers.base import BodyTooLarge, Provider
from emulator.providers.tencent import params, tc3
from emulator.providers.tencent.errors import Api3Error, TencentError
from emulator.providers.tencent.mixing import MixService
from emulator.providers.tencent.params import OutputOptions
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
AUDIO_SAMPLE_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


class Api3Handler:
    def __init__(self, provider: Provider, service: MixService) -> None:
        self.provider = provider
        self.service = service

    async def handle(self, request: web.Request) -> web.Response:
        request[REQUEST_ID_KEY] = str(uuid.uuid4())
        action = request.headers.get("X-TC-Action", "")
        self.provider.mark(request, action[:64] or None)
        try:
            return await self._handle(request, action)
        except TencentError as exc:
            error = Api3Error.from_legacy(exc)
            return response(request, (error.code, error.message))
        except Api3Error as exc:
            return response(request, (exc.code, exc.message))

    async def _handle(self, request: web.Request, action: str) -> web.Response:
        if request.method != "POST":
            raise Api3Error("UnsupportedProtocol", "The emulator takes Cloud API 3.0 requests by POST only.")
        try:
            raw = await self.provider.read_body(request)
        except BodyTooLarge:
            raise Api3Error("InvalidParameter", "The request body is too large.") from None
        app_id = tc3.authenticate(
            self.provider.ctx,
            method=request.method,
            query=request.query_string,
            headers=request.headers,
            body=raw,
        )
        version = request.headers.get("X-TC-Version", "")
        if version != VERSION:
            raise Api3Error("NoSuchVersion", f"The API version `{version[:32]}` does not exist.")
        if action not in (CREATE, CANCEL):
            raise Api3Error("InvalidAction", f"The action `{action[:64]}` is not found.")
        fault = await self.provider.injected_fault(request, action)
        if fault is not None:
            return fault
        body = _json_object(raw)
        if action == CREATE:
            req = params.parse_start(_create_para(body, app_id))
            options = _output_options(body["OutputParams"])
            self.service.start(dataclasses.replace(req, output=options), app_id, {"api": "api3"})
        else:
            self.service.cancel(params.parse_cancel(self._cancel_para(body, app_id)))
        return response(request)

    def _cancel_para(self, body: dict[str, Any], app_id: str) -> dict[str, Any]:
        session_id = _required(body, "MixStreamSessionId")
        session = self.service.sessions.get(session_id) if isinstance(session_id, str) else None
        # No such session: any valid output id will do, the cancel fails on the session first.
        output_id = session.output_id if session is not None else session_id
        return {"app_id": app_id, "mix_stream_session_id": session_id, "output_stream_id": output_id}


def response(request: web.Request, error: tuple[str, str] | None = None, status: int = 200) -> web.Response:
    return api3_response(request.get(REQUEST_ID_KEY) or str(uuid.uuid4()), error, status)


# ----- API 3.0 names -> the legacy para
def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw.strip() else {}
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
    mapped["layout_params"] = _renamed(layout, _LAYOUT) if isinstance(layout, dict) else layout
    crop = item.get("CropParams")
    if crop is not None:
        mapped["crop_params"] = _renamed(crop, _CROP) if isinstance(crop, dict) else crop
    return mapped


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


def _option(output: dict[str, Any], name: str, allowed: range | tuple[int, ...]) -> int | None:
    value = output.get(name)
    if value is None or value == 0:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
        raise Api3Error(
            "InvalidParameter.InvalidOutputParam", f"OutputParams.{name} [{str(value)[:40]}] is out of range."
        )
    return value
