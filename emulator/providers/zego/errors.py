"""ZEGO's return codes and its two response envelopes.

The rtc-api (``/?Action=``) answers ``{Code, Message, RequestId, Data}`` with gateway codes 1000000xx and
mixing codes 110200xxx. The legacy web API (``/cgi/...``) answers ``{code, message, data}``; its mixing codes
are the short numbers the 110200xxx codes were built from (150 "input stream does not exist" is 110200150),
as the old SDKs reported them. Every answer is HTTP 200: ZEGO's samples only read bodies of 200 answers.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from aiohttp import web

MIX_BASE = 110_200_000

# Gateway codes of the rtc-api, with ZEGO's descriptions.
GATEWAY_MESSAGES: dict[int, str] = {
    100000000: "Host error in request header",
    100000001: "AppId field format error",
    100000002: "Timestamp field is empty",
    100000003: "Timestamp field format error",
    100000004: "Signature expired",
    100000005: "Signature error",
    100000006: "Action is empty",
    100000007: "Unsupported Action",
    100000008: "SignatureNonce field is empty",
    100000009: "Signature field is empty",
    100000010: "Failed to get ServerSecret",
    100000012: "Failed to get request body",
    100000013: "SignatureVersion field is empty",
    100000014: "Unsupported SignatureVersion",
    100000016: "App is not configured for production environment",
}

# Mixing codes by their short number (rtc-api code = MIX_BASE + number).
FAILED = 1
BAD_PARAM = 2
AUTH_FAILED = 3
PARSE_FAILED = 4
START_LOCKED = 5
STOP_LOCKED = 6
UPDATE_FAILED = 7
INPUT_IS_OUTPUT = 140
IMAGE_PROTOCOL = 141
IMAGE_FETCH = 142
INPUT_NOT_FOUND = 150
TASK_FAILED = 151
INPUT_ERROR = 153
OUTPUT_ERROR = 154
INPUT_FORMAT = 155
OUTPUT_FORMAT = 156
MIX_DISABLED = 157
TOO_MANY_INPUTS = 158
NOT_OWNER = 160
WIDTH_RANGE = 161
WATERMARK_WRONG = 170
WATERMARK_EMPTY = 171
EXPARA_ERROR = 172
DUPLICATE_INPUT = 175
DUPLICATE_OUTPUT = 176
TOO_MANY_OUTPUTS = 178
START_PARSE = 184
STOP_PARSE = 185
MIX_OVERLOAD = 190  # the AppId's max_tasks
SERVICE_OVERLOAD = 191  # the emulator's max_tasks, all apps and providers together
REQUEST_OVERLOAD = 194
TASK_NOT_FOUND = 9001

MIX_MESSAGES: dict[int, str] = {
    FAILED: "failed",
    BAD_PARAM: "input params error",
    AUTH_FAILED: "auth failed",
    PARSE_FAILED: "parse input params failed",
    START_LOCKED: "start mix get distributed lock failed, requests of this UserId are too frequent",
    STOP_LOCKED: "stop mix get distributed lock failed, requests of this UserId are too frequent",
    UPDATE_FAILED: "update mix task failed",
    INPUT_IS_OUTPUT: "input stream id is the same as an output stream id",
    IMAGE_PROTOCOL: "image url protocol must be http, https or preset-id",
    IMAGE_FETCH: "get image failed or image is larger than 1 MB",
    INPUT_NOT_FOUND: "input stream does not exist",
    TASK_FAILED: "mix task failed",
    INPUT_ERROR: "input error",
    OUTPUT_ERROR: "output error",
    INPUT_FORMAT: "input format error",
    OUTPUT_FORMAT: "output format error",
    MIX_DISABLED: "stream mixing is not enabled for this app",
    TOO_MANY_INPUTS: "too many input streams",
    NOT_OWNER: "not the owner of the mix task",
    WIDTH_RANGE: "width or height out of range [0, 3000]",
    WATERMARK_WRONG: "watermark params error",
    WATERMARK_EMPTY: "watermark image is empty",
    EXPARA_ERROR: "ExPara error",
    DUPLICATE_INPUT: "duplicate input stream",
    DUPLICATE_OUTPUT: "duplicate output stream",
    TOO_MANY_OUTPUTS: "too many output streams",
    START_PARSE: "parse start mix request failed",
    STOP_PARSE: "parse stop mix request failed",
    MIX_OVERLOAD: "mix service overload",
    SERVICE_OVERLOAD: "mix service overload",
    REQUEST_OVERLOAD: "mix request overload",
    TASK_NOT_FOUND: "mix task does not exist",
}

# Legacy web API codes besides the mixing ones.
LEGACY_TOKEN_INVALID = 40001
LEGACY_SECRET_WRONG = 40005
LEGACY_APPID_WRONG = 40013
LEGACY_TOKEN_EXPIRED = 42001
LEGACY_MESSAGES: dict[int, str] = {
    LEGACY_TOKEN_INVALID: "access_token invalid",
    LEGACY_SECRET_WRONG: "appsecret error",
    LEGACY_APPID_WRONG: "appid error",
    LEGACY_TOKEN_EXPIRED: "access_token expired",
}


class ZegoError(Exception):
    """A mixing error by its short number (see MIX_MESSAGES), with a detail naming what was wrong."""

    def __init__(self, number: int, detail: str = "") -> None:
        self.number = number
        self.detail = detail
        base = MIX_MESSAGES.get(number, "failed")
        super().__init__(f"{base}: {detail}" if detail else base)

    @property
    def message(self) -> str:
        return str(self)


class GatewayError(Exception):
    """An rtc-api gateway error (public parameters, signature)."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        base = GATEWAY_MESSAGES[code]
        self.message = f"{base}: {detail}" if detail else base
        super().__init__(self.message)


class LegacyError(Exception):
    """A legacy web API error with its own code (token errors)."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        base = LEGACY_MESSAGES[code]
        self.message = f"{base}: {detail}" if detail else base
        super().__init__(self.message)


def request_id() -> str:
    """A request id shaped like ZEGO's: a 19-digit decimal number."""
    return str(10**18 + secrets.randbelow(9 * 10**18))


def message_for(code: int) -> str:
    """ZEGO's description of any code (gateway, rtc-api mixing or legacy)."""
    if code in GATEWAY_MESSAGES:
        return GATEWAY_MESSAGES[code]
    if code in LEGACY_MESSAGES:
        return LEGACY_MESSAGES[code]
    number = code - MIX_BASE if code > MIX_BASE else code
    return MIX_MESSAGES.get(number, "failed")


def rtc_response(code: int | str, message: str, data: Any = None, *, status: int = 200) -> web.Response:
    body: dict[str, Any] = {"Code": code, "Message": message, "RequestId": request_id()}
    if data is not None:
        body["Data"] = data
    return _json(body, status)


def rtc_error(error: ZegoError | GatewayError) -> web.Response:
    code = error.code if isinstance(error, GatewayError) else MIX_BASE + error.number
    return rtc_response(code, error.message)


def legacy_response(code: int | str, message: str, data: Any = None, *, status: int = 200) -> web.Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        body["data"] = data
    return _json(body, status)


def legacy_error(error: ZegoError | LegacyError) -> web.Response:
    code = error.code if isinstance(error, LegacyError) else error.number
    return legacy_response(code, error.message)


def _json(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(
        text=json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )
