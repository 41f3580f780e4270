"""The legacy CGI's answer on the wire: compact JSON with sorted keys, ``event_id`` as a string and a
trailing newline, exactly as captured from the real service (providers.md), always HTTP 200 unless a fault
rule asks for another status."""

from __future__ import annotations

import json
import random

from aiohttp import web

from emulator.providers.tencent.errors import default_message


def new_event_id() -> str:
    """An event id for answers to requests that carried none (the service's look: 9-10 digits)."""
    return str(random.randint(10_000_000, 2_100_000_000))


def legacy_response(
    code: int, *, event_id: str, timestamp: float, message: str | None = None, status: int = 200
) -> web.Response:
    body = {
        "code": code,
        "event_id": event_id,
        "message": message or default_message(code),
        "timestamp": int(timestamp),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    return web.Response(
        body=text.encode("utf-8"), status=status, headers={"Content-Type": "application/json"}
    )


def api3_response(request_id: str, error: tuple[str, str] | None = None, status: int = 200) -> web.Response:
    """Cloud API 3.0's envelope; errors too are HTTP 200, and the Content-Type is exactly
    ``application/json`` (the official SDK ignores error bodies of any other type)."""
    response: dict[str, object] = {"RequestId": request_id}
    if error is not None:
        response["Error"] = {"Code": error[0], "Message": error[1]}
    text = json.dumps({"Response": response}, ensure_ascii=False)
    return web.Response(
        body=text.encode("utf-8"), status=status, headers={"Content-Type": "application/json"}
    )
