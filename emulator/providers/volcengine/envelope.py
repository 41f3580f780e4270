"""The OpenAPI response envelope: ``ResponseMetadata`` always, ``Result`` on success, ``Error`` on failure.

Success (HTTP 200): ``{"ResponseMetadata": {RequestId, Action, Version, Service, Region}, "Result":
{"Code": 0, "Message": "success", "Data": ...}}``. Failure (the error's HTTP status): no ``Result`` and
``ResponseMetadata.Error {Code, CodeN?, Message}``. The mixing docs' examples spell the id ``RequestID`` while
the common docs and the SDKs' models read ``RequestId``: both are sent, with the same value.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from aiohttp import web

from emulator.providers.volcengine.errors import VolcError
from emulator.providers.volcengine.gateway import API_VERSION, SERVICE
from emulator.providers.volcengine.sessions import BEIJING


def request_id(now: float) -> str:
    """Like the service's: the UTC+8 time to the second, then 20 upper-case hex digits."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(now + BEIJING.utcoffset(None).total_seconds()))
    return stamp + secrets.token_hex(10).upper()


def _metadata(action: str | None, region: str, now: float) -> dict[str, Any]:
    rid = request_id(now)
    return {
        "RequestId": rid,
        "RequestID": rid,
        "Action": action or "",
        "Version": API_VERSION,
        "Service": SERVICE,
        "Region": region,
    }


def success(action: str, region: str, now: float, data: Any) -> web.Response:
    body = {
        "ResponseMetadata": _metadata(action, region, now),
        "Result": {"Code": 0, "Message": "success", "Data": data},
    }
    return web.json_response(body)


def failure(error: VolcError, action: str | None, region: str, now: float) -> web.Response:
    metadata = _metadata(action, region, now)
    metadata["Error"] = error.to_error()
    return web.json_response({"ResponseMetadata": metadata}, status=error.status)
