"""ZEGO's control routes, beside the shared control API:

- ``POST /_emulator/zego/callback {"url", "secret"?, "app_id"?}``: where mix_start / mix_stop go (one app, or
  every app without ``app_id``); ``GET`` shows it, ``DELETE`` forgets it (back to the config file's).
- ``POST /_emulator/zego/limits {"max_fps"?, "max_tasks"?, "rate_limit"?}``; ``GET`` shows them.
- ``GET /_emulator/zego/sound-levels?app_id=&task_id=``: the sound level of each input of a running mix
  (what players would read from the stream with SoundLevel on).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

from emulator.control.validation import Field, FieldError, in_range, read_json_object, text, validate
from emulator.providers.zego.fields import decimal

if TYPE_CHECKING:
    from emulator.providers.zego.provider import ZegoProvider

BASE = "/_emulator/zego"


def add_routes(zego: ZegoProvider, app: web.Application) -> None:
    app.router.add_post(f"{BASE}/callback", partial(callback_set, zego))
    app.router.add_get(f"{BASE}/callback", partial(callback_get, zego))
    app.router.add_delete(f"{BASE}/callback", partial(callback_delete, zego))
    app.router.add_post(f"{BASE}/limits", partial(limits_set, zego))
    app.router.add_get(f"{BASE}/limits", partial(limits_get, zego))
    app.router.add_get(f"{BASE}/sound-levels", partial(sound_levels, zego))


def _url(value: str) -> str | None:
    return None if urlsplit(value).scheme in ("http", "https") else "must be an http(s) URL"


async def callback_set(zego: ZegoProvider, request: web.Request) -> web.Response:
    body = validate(
        await read_json_object(request),
        {
            "url": Field(str, required=True, check=lambda v: text(4096)(v) or _url(v)),
            "secret": Field(str, check=text(256)),
            "app_id": Field(str, check=text(32)),
        },
    )
    if body["app_id"] is not None and zego.ctx.credential("zego", body["app_id"]) is None:
        raise FieldError("app_id", f"no ZEGO app {body['app_id']!r} is configured", status=404)
    zego.options.set_callback(body["url"], body["secret"], body["app_id"])
    return web.json_response({"callbacks": zego.options.callbacks_view()})


async def callback_get(zego: ZegoProvider, request: web.Request) -> web.Response:
    return web.json_response({"callbacks": zego.options.callbacks_view()})


async def callback_delete(zego: ZegoProvider, request: web.Request) -> web.Response:
    zego.options.reset_callbacks()
    return web.json_response({"callbacks": {}})


async def limits_set(zego: ZegoProvider, request: web.Request) -> web.Response:
    body = validate(
        await read_json_object(request),
        {
            "max_fps": Field(int, check=in_range(1, 60)),
            "max_tasks": Field(int, check=in_range(1, 100_000)),
            "rate_limit": Field(int, check=in_range(1, 1_000_000)),
        },
    )
    zego.options.set_limits({k: v for k, v in body.items() if v is not None})
    return web.json_response({"limits": zego.options.limits()})


async def limits_get(zego: ZegoProvider, request: web.Request) -> web.Response:
    return web.json_response({"limits": zego.options.limits()})


async def sound_levels(zego: ZegoProvider, request: web.Request) -> web.Response:
    app_id, task_id = request.query.get("app_id", ""), request.query.get("task_id", "")
    number = decimal(app_id, unsigned=True)
    task = zego.service.find(number, task_id) if number is not None and task_id else None
    if task is None:
        raise FieldError("task_id", "no running ZEGO mix with this app_id and task_id", status=404)
    levels: dict[str, float] = {}
    if task.pipeline is not None:
        try:
            levels = task.pipeline.sound_levels()
        except Exception:  # a read of the media engine must never take the control API down
            levels = {}
    ids: dict[str, Any] = task.meta.get("sound_level_ids", {})
    return web.json_response(
        {
            "task": task.id,
            "sound_level": bool(task.meta.get("sound_level")),
            "levels": [
                {"input": key, "sound_level_id": ids.get(key), "level": level}
                for key, level in levels.items()
            ],
        }
    )
