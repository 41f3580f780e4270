"""The rtc-api actions (``/?Action=...``): StartMix, StopMix, StartAutoMix, StopAutoMix, GetMixTaskInfo.

The gateway (auth.check_gateway) has authenticated the caller; each action parses its body, takes the UserId's
lock, applies an injected fault if one matches, then asks the mixing service.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from emulator.core.tasks import Task
from emulator.providers.zego.auth import Caller
from emulator.providers.zego.errors import (
    BAD_PARAM,
    START_LOCKED,
    STOP_LOCKED,
    TASK_NOT_FOUND,
    ZegoError,
    rtc_response,
)
from emulator.providers.zego.fields import json_body
from emulator.providers.zego.parse_rtc import parse_start_auto_mix, parse_start_mix, parse_stop
from emulator.providers.zego.spec import AutoMixSpec, MixSpec

if TYPE_CHECKING:
    from emulator.providers.zego.provider import ZegoProvider

Action = Callable[["ZegoProvider", web.Request, Caller, bytes], Awaitable[web.Response]]


async def start_mix(zego: ZegoProvider, request: web.Request, caller: Caller, body: bytes) -> web.Response:
    spec = parse_start_mix(json_body(body))
    return await _start(zego, request, caller, spec, "StartMix")


async def start_auto_mix(
    zego: ZegoProvider, request: web.Request, caller: Caller, body: bytes
) -> web.Response:
    spec = parse_start_auto_mix(json_body(body))
    return await _start(zego, request, caller, spec, "StartAutoMix")


async def _start(
    zego: ZegoProvider, request: web.Request, caller: Caller, spec: MixSpec | AutoMixSpec, action: str
) -> web.Response:
    with zego.locks.hold(caller.app_id, spec.user_id, START_LOCKED):
        fault = await zego.injected_fault(request, action)
        if fault is not None:
            return fault
        if isinstance(spec, MixSpec):
            started = zego.service.start_mix(caller.app_id, spec, is_test=caller.is_test, api="rtc")
        else:
            started = zego.service.start_auto_mix(caller.app_id, spec, is_test=caller.is_test)
    return rtc_response(0, "success", _start_data(zego, spec, started.task))


async def stop_mix(zego: ZegoProvider, request: web.Request, caller: Caller, body: bytes) -> web.Response:
    return await _stop(zego, request, caller, body, auto=False)


async def stop_auto_mix(
    zego: ZegoProvider, request: web.Request, caller: Caller, body: bytes
) -> web.Response:
    return await _stop(zego, request, caller, body, auto=True)


async def _stop(
    zego: ZegoProvider, request: web.Request, caller: Caller, body: bytes, *, auto: bool
) -> web.Response:
    stop = parse_stop(json_body(body), room_required=auto)
    with zego.locks.hold(caller.app_id, stop.user_id or f"task:{stop.task_id}", STOP_LOCKED):
        fault = await zego.injected_fault(request, "StopAutoMix" if auto else "StopMix")
        if fault is not None:
            return fault
        zego.service.stop(caller.app_id, stop, auto=auto)
    return rtc_response(0, "success")


async def get_mix_task_info(
    zego: ZegoProvider, request: web.Request, caller: Caller, body: bytes
) -> web.Response:
    """GET with ``&TaskId=``; a POST body ``{"TaskId"}`` is accepted too."""
    task_id = request.query.get("TaskId")
    if not task_id and body.strip():
        data = json_body(body)
        task_id = data.get("TaskId") if isinstance(data, dict) else None
    if not isinstance(task_id, str) or not task_id:
        raise ZegoError(BAD_PARAM, "TaskId is required")
    fault = await zego.injected_fault(request, "GetMixTaskInfo")
    if fault is not None:
        return fault
    task = zego.service.find(caller.app_id, task_id)
    if task is None:
        raise ZegoError(TASK_NOT_FOUND, f"TaskId {task_id!r}")
    info = {"TaskId": task_id, "MixDuration": zego.service.duration(task)}
    return rtc_response(0, "success", {"TaskInfo": info})


def _start_data(zego: ZegoProvider, spec: MixSpec | AutoMixSpec, task: Task) -> dict[str, Any]:
    return {
        "UserId": spec.user_id,
        "Sequence": spec.sequence or 0,
        "RoomId": spec.room_id,
        "PlayInfo": [_play_info(zego, stream_id) for stream_id in task.output_ids],
    }


def _play_info(zego: ZegoProvider, stream_id: str) -> dict[str, Any]:
    urls = zego.ctx.play_urls(stream_id)
    return {
        "StreamId": stream_id,
        "RTMP": urls.get("rtmp", ""),
        "HLS": urls["hls"],
        "FLV": urls["flv"],
        "Status": 0,
        "UserName": "",
    }


ACTIONS: dict[str, Action] = {
    "StartMix": start_mix,
    "StopMix": stop_mix,
    "StartAutoMix": start_auto_mix,
    "StopAutoMix": stop_auto_mix,
    "GetMixTaskInfo": get_mix_task_info,
}
