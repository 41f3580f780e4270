"""The legacy web API (seed 001): ``GET /cgi/token``, ``POST /cgi/start-mix``, ``POST /cgi/stop-mix``.

Answers ``{code, message, data}``. start-mix and stop-mix take ``?access_token=`` from /cgi/token; their mixes
are the same tasks as StartMix's (one namespace of task ids per app), so the rtc-api can stop them too.
stop-mix's fields are not documented: it takes ``task_id`` (or the output ``stream_id``), ``id_name`` and
``seq``, as JSON or a form.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from aiohttp import web

from emulator.core import jsonin
from emulator.core.tasks import Task
from emulator.providers.base import BodyTooLarge
from emulator.providers.zego.auth import TOKEN_TTL_S
from emulator.providers.zego.errors import (
    BAD_PARAM,
    LEGACY_APPID_WRONG,
    LEGACY_SECRET_WRONG,
    LEGACY_TOKEN_INVALID,
    PARSE_FAILED,
    START_LOCKED,
    STOP_LOCKED,
    STOP_PARSE,
    TASK_NOT_FOUND,
    LegacyError,
    ZegoError,
    legacy_error,
    legacy_response,
)
from emulator.providers.zego.fields import Reader, decimal, json_body
from emulator.providers.zego.parse_legacy import parse_legacy_start
from emulator.providers.zego.spec import StopSpec

if TYPE_CHECKING:
    from emulator.providers.zego.provider import ZegoProvider

PROVIDER = "zego"
TEST_HOST = "testwebapi.zego.im"  # seed 001's test environment: its stream ids carry zegotest-{AppId}-


async def token(zego: ZegoProvider, request: web.Request) -> web.Response:
    zego.mark(request, "token")
    fault = await zego.injected_fault(request, "token")
    if fault is not None:
        return fault
    params = {**request.query, **await _form(zego, request)}
    app_id = str(params.get("appid", ""))
    known = decimal(app_id, unsigned=True) is not None  # ZEGO app ids are numbers
    credential = zego.ctx.credential(PROVIDER, app_id) if known else None
    if credential is None:
        return legacy_error(LegacyError(LEGACY_APPID_WRONG, f"appid {app_id!r} is not configured"))
    if zego.ctx.auth_strict and params.get("secret") != credential.secret:
        return legacy_error(LegacyError(LEGACY_SECRET_WRONG))
    access_token = zego.tokens.issue(app_id, zego.ctx.clock.now())
    return legacy_response(0, "success", {"access_token": access_token, "expires_in": TOKEN_TTL_S})


async def start_mix(zego: ZegoProvider, request: web.Request) -> web.Response:
    zego.mark(request, "start-mix")
    try:
        app_id = _app_of(zego, request)
        zego.check_app(app_id)
        parsed = parse_legacy_start(json_body(await zego.body(request)))
        spec = parsed.spec
        with zego.locks.hold(app_id, spec.user_id, START_LOCKED):
            fault = await zego.injected_fault(request, "start-mix")
            if fault is not None:
                return fault
            is_test = parsed.test_env or request.host.partition(":")[0].lower() == TEST_HOST
            started = zego.service.start_mix(app_id, spec, is_test=is_test, api="legacy")
    except (ZegoError, LegacyError) as error:
        return legacy_error(error)
    data: dict[str, Any] = {
        "id_name": spec.user_id,
        "seq": spec.sequence or 0,
        "live_channel": spec.room_id,
        "play": [_play(zego, stream_id) for stream_id in started.task.output_ids],
    }
    if started.updated:
        data["mix_duration"] = zego.service.duration(started.task)
    return legacy_response(0, "success", data)


async def stop_mix(zego: ZegoProvider, request: web.Request) -> web.Response:
    zego.mark(request, "stop-mix")
    try:
        app_id = _app_of(zego, request)
        zego.check_app(app_id)
        stop = _stop_spec(zego, app_id, await zego.body(request))
        with zego.locks.hold(app_id, stop.user_id or f"task:{stop.task_id}", STOP_LOCKED):
            fault = await zego.injected_fault(request, "stop-mix")
            if fault is not None:
                return fault
            zego.service.stop(app_id, stop, auto=False)
    except (ZegoError, LegacyError) as error:
        return legacy_error(error)
    return legacy_response(0, "success")


def _app_of(zego: ZegoProvider, request: web.Request) -> int:
    """The app an access_token belongs to (with auth off, an unknown token means the first numeric app)."""
    access_token = request.query.get("access_token", "")
    if zego.ctx.auth_strict and not access_token:
        raise LegacyError(LEGACY_TOKEN_INVALID, "access_token is missing")
    try:
        return int(zego.tokens.app_of(access_token, zego.ctx.clock.now()))  # tokens go to numeric apps only
    except LegacyError:
        if zego.ctx.auth_strict:
            raise
        apps = (
            decimal(c.app_id, unsigned=True) for c in zego.ctx.settings.credentials if c.provider == PROVIDER
        )
        first = next((app for app in apps if app is not None), None)
        if first is None:
            raise
        return first


def _stop_spec(zego: ZegoProvider, app_id: int, raw: bytes) -> StopSpec:
    """JSON or form fields: task_id or the output stream_id; id_name; seq."""
    try:
        data: Any = jsonin.loads(raw) if raw.strip().startswith(b"{") else dict(parse_qsl(raw.decode()))
    except (ValueError, RecursionError):
        raise ZegoError(PARSE_FAILED, "the body is neither JSON nor a form") from None
    r = Reader(data, "", type_code=STOP_PARSE, lenient=True)
    task_id = r.string("task_id", max_len=256)
    stream_id = r.string("stream_id", max_len=256)
    if task_id is None and stream_id is not None:
        task = _task_of_output(zego, app_id, stream_id)
        if task is None:
            raise ZegoError(TASK_NOT_FOUND, f"no mix outputs stream {stream_id!r}")
        task_id = str(task.meta.get("task_id"))
    if task_id is None:
        raise ZegoError(BAD_PARAM, "task_id or stream_id is required")
    return StopSpec(task_id=task_id, user_id=r.string("id_name", max_len=256), sequence=r.sequence("seq"))


def _task_of_output(zego: ZegoProvider, app_id: int, stream_id: str) -> Task | None:
    task = zego.ctx.tasks.output_owner(stream_id)
    if task is None or task.provider != PROVIDER or task.meta.get("app_id") != app_id:
        return None
    return task


async def _form(zego: ZegoProvider, request: web.Request) -> dict[str, str]:
    """A POSTed form's fields (the documented call is a GET with a query string)."""
    if request.method != "POST":
        return {}
    try:
        return dict(parse_qsl((await zego.read_body(request)).decode()))
    except (ValueError, BodyTooLarge):
        return {}


def _play(zego: ZegoProvider, stream_id: str) -> dict[str, str]:
    urls = zego.ctx.play_urls(stream_id)
    return {
        "hdl_url": urls["flv"],
        "hls_url": urls["hls"],
        "rtmp_url": urls.get("rtmp", ""),
        "stream_alias": stream_id,
    }
