"""Tencent's control routes, beside the shared control API (JSON in and out, control-API errors):

- ``POST /_emulator/tencent/pictures`` ``{"picture_id", "source", "width"?, "height"?}`` registers a
  watermark picture for ``input_type`` 2 (the size is probed when not given); ``GET`` lists them;
  ``DELETE /_emulator/tencent/pictures/{picture_id}`` removes one.
- ``GET /_emulator/tencent/sessions``: the mix sessions, running and finished.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from emulator.context import EmulatorContext
from emulator.control.listing import json_listing
from emulator.control.validation import (
    Field,
    FieldError,
    in_range,
    json_error,
    read_json_object,
    text,
    validate,
)
from emulator.providers.tencent.pictures import Picture, PictureRegistry
from emulator.providers.tencent.sessions import SessionStore

PROBE_TIMEOUT_S = 5.0


def add_control_routes(
    app: web.Application, ctx: EmulatorContext, pictures: PictureRegistry, sessions: SessionStore
) -> None:
    async def picture_add(request: web.Request) -> web.Response:
        body = validate(
            await read_json_object(request),
            {
                "picture_id": Field(int, required=True, check=in_range(1, 2**31 - 1)),
                "source": Field(str, required=True, check=text(4096)),
                "width": Field(int, check=in_range(1, 10_000)),
                "height": Field(int, check=in_range(1, 10_000)),
            },
        )
        width, height = body["width"], body["height"]
        if width is None or height is None:
            width, height = await _probe_size(ctx, body["source"])
        picture = Picture(body["picture_id"], body["source"], width, height)
        pictures.add(picture)
        return web.json_response({"picture": picture.to_dict()}, status=201)

    async def picture_list(request: web.Request) -> web.Response:
        return web.json_response({"pictures": [p.to_dict() for p in pictures.list()]})

    async def picture_delete(request: web.Request) -> web.Response:
        raw = request.match_info["picture_id"]
        if not raw.isdigit() or not pictures.remove(int(raw)):
            return json_error(404, "PictureNotFound", f"no picture {raw!r}")
        return web.json_response({"deleted": int(raw)})

    async def session_list(request: web.Request) -> web.Response:
        return json_listing("sessions", (s.to_dict() for s in sessions.each()))

    app.router.add_post("/_emulator/tencent/pictures", picture_add)
    app.router.add_get("/_emulator/tencent/pictures", picture_list)
    app.router.add_delete("/_emulator/tencent/pictures/{picture_id}", picture_delete)
    app.router.add_get("/_emulator/tencent/sessions", session_list)


async def _probe_size(ctx: EmulatorContext, source: str) -> tuple[int | None, int | None]:
    """The picture's size by the media engine's probe; a remote picture is taken on trust (size unknown)."""
    resolved = ctx.tasks.resolver(source)
    if resolved is None or resolved.spec.startswith("invalid:"):
        raise FieldError("source", "a picture file inside the media roots or an http(s) URL")
    if resolved.spec.startswith(("http://", "https://")):
        return None, None
    from emulator.media.errors import MediaError
    from emulator.media.probe import probe

    loop = asyncio.get_running_loop()
    try:
        info = await asyncio.wait_for(loop.run_in_executor(None, probe, resolved.spec), PROBE_TIMEOUT_S)
    except MediaError as exc:
        raise FieldError("source", str(exc)) from None
    except TimeoutError:
        raise FieldError("source", "probing the picture timed out") from None
    return info.width, info.height
