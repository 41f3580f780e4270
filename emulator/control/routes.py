"""The control API under ``/_emulator`` (contract in shared/design.md): health, reset, streams, URL mapping,
media files, tasks, request journal, faults, clock, callbacks."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator import __version__
from emulator.context import EmulatorContext
from emulator.control.artifacts import hls_file, output_urls, recording
from emulator.control.clock import clock_reset, clock_skew_check
from emulator.control.context_key import CTX as CTX  # kept importable from here for existing callers
from emulator.control.context_key import context_of as _ctx
from emulator.control.layout import task_layout
from emulator.control.listing import json_listing
from emulator.control.openapi import openapi_document
from emulator.control.validation import (
    Field,
    FieldError,
    in_range,
    json_error,
    query_int,
    read_json_object,
    text,
    validate,
)
from emulator.core.faults import FaultRule
from emulator.core.memory import release_free_memory
from emulator.core.resolver import INVALID_PREFIX
from emulator.core.streams import MediaInfo
from emulator.core.tasks import Task

PROBE_TIMEOUT_S = 5.0

routes = web.RouteTableDef()


def _ok(data: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


DASHBOARD = Path(__file__).with_name("dashboard.html")


@routes.get("/_emulator")
@routes.get("/_emulator/")
async def dashboard(request: web.Request) -> web.FileResponse:
    """A page over this API: tasks with live snapshots, streams, faults, requests, callbacks."""
    return web.FileResponse(DASHBOARD, headers={"Content-Type": "text/html; charset=utf-8"})


# ----- health, reset, clock
@routes.get("/_emulator/health")
async def health(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    return _ok(
        {
            "status": "ok",
            "version": __version__,
            "providers": sorted(ctx.providers),
            "clock": ctx.clock.now(),
            **ctx.describe(),
        }
    )


@routes.post("/_emulator/reset")
async def reset(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    stopped = len(ctx.tasks.active())
    await ctx.tasks.stop_all()
    await asyncio.to_thread(ctx.relays.stop_all)
    ctx.tasks.forget_finished()
    ctx.registry.clear()
    ctx.urls.clear()
    ctx.faults.clear()
    ctx.journal.clear()
    ctx.callbacks.clear()
    ctx.clock.reset()
    for provider in ctx.providers.values():
        provider.reset()
    release_free_memory()  # what the tasks, journal and records held goes back to the OS
    return _ok({"status": "ok", "stopped_tasks": stopped})


@routes.get("/_emulator/clock")
async def clock_get(request: web.Request) -> web.Response:
    clock = _ctx(request).clock
    return _ok({"now": clock.now(), "offset": clock.offset})


@routes.post("/_emulator/clock/advance")
async def clock_advance(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    body = validate(
        await read_json_object(request),
        {"seconds": Field(float, required=True, check=in_range(0, 10 * 365 * 86400))},
    )
    now = ctx.clock.advance(float(body["seconds"]))
    return _ok({"now": now, "offset": ctx.clock.offset})


# ----- streams
_STREAM_SPEC = {
    "stream_id": Field(str, required=True, check=text(256, allow_slash=False)),
    "source": Field(str, required=True, check=text(4096)),
    "loop": Field(bool),
    "room_id": Field(str, check=text(256)),
    "user_id": Field(str, check=text(256)),
}


@routes.post("/_emulator/streams")
async def stream_publish(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    body = validate(await read_json_object(request), _STREAM_SPEC)
    source = body["source"]
    info = await _checked_source(ctx, source)
    stream = ctx.registry.publish(
        body["stream_id"],
        source,
        loop=True if body["loop"] is None else body["loop"],
        room_id=body["room_id"],
        user_id=body["user_id"],
        info=info,
    )
    return _ok({"stream": _stream_view(ctx, stream)}, status=201)


async def _checked_source(ctx: EmulatorContext, source: str) -> MediaInfo:
    """The media of a source that can play; FieldError (naming the media roots searched for a file)
    otherwise."""
    resolved = ctx.tasks.resolver(source)
    if resolved is None:
        raise FieldError("source", "a file inside the media roots, a URL or a pattern: source")
    if resolved.spec.startswith(INVALID_PREFIX):
        raise FieldError("source", resolved.spec[len(INVALID_PREFIX) :])
    return await _probe(resolved.spec)


async def _probe(spec: str) -> MediaInfo:
    """Probe local and synthetic sources (bad ones are refused); network ones are taken on trust."""
    if spec.startswith(("http://", "https://", "rtmp://", "rtmps://", "live:")):
        return MediaInfo()
    from emulator.media.errors import MediaError
    from emulator.media.probe import probe

    loop = asyncio.get_running_loop()
    try:
        return await asyncio.wait_for(loop.run_in_executor(None, probe, spec), PROBE_TIMEOUT_S)
    except MediaError as exc:
        raise FieldError("source", str(exc)) from None
    except TimeoutError:
        raise FieldError("source", "probing the source timed out") from None


def _stream_view(ctx: EmulatorContext, stream: Any) -> dict[str, Any]:
    # A real push is re-served to players as it comes; a control-API stream is relayed while someone plays
    # it, over FLV and RTMP (HLS would need segments ready before the first request).
    play = ctx.play_urls(stream.stream_id, hls=stream.origin == "rtmp") if stream.origin != "mix" else None
    return {**stream.to_dict(), "play": play}


@routes.get("/_emulator/streams")
async def stream_list(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    streams = ctx.registry.list(room_id=request.query.get("room_id"))
    return _ok({"streams": [_stream_view(ctx, s) for s in streams]})


@routes.get("/_emulator/streams/{stream_id}")
async def stream_get(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    stream = ctx.registry.get(request.match_info["stream_id"])
    if stream is None:
        return json_error(404, "StreamNotFound", f"no published stream {request.match_info['stream_id']!r}")
    return _ok({"stream": _stream_view(ctx, stream)})


@routes.delete("/_emulator/streams/{stream_id}")
async def stream_unpublish(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    stream = ctx.registry.unpublish(request.match_info["stream_id"])
    if stream is None:
        return json_error(404, "StreamNotFound", f"no published stream {request.match_info['stream_id']!r}")
    return _ok({"stream": stream.to_dict()})


# ----- URL mapping and media files
@routes.post("/_emulator/urls")
async def url_add(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    body = validate(
        await read_json_object(request),
        {
            "url": Field(str, required=True, check=text(4096)),
            "source": Field(str, required=True, check=text(4096)),
        },
    )
    if not body["source"].startswith("stream:"):  # a stream may be published after its URL is mapped
        await _checked_source(ctx, body["source"])
    ctx.urls.add(body["url"], body["source"])
    return _ok({"url": body["url"], "source": body["source"]}, status=201)


@routes.get("/_emulator/urls")
async def url_list(request: web.Request) -> web.Response:
    return _ok({"urls": [{"url": u, "source": s} for u, s in _ctx(request).urls.items().items()]})


@routes.delete("/_emulator/urls")
async def url_delete(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    url = request.query.get("url")
    if url is None and request.can_read_body:
        url = validate(await read_json_object(request), {"url": Field(str, required=True)})["url"]
    if url is None:
        ctx.urls.clear()
        return _ok({"deleted": "all"})
    if not ctx.urls.remove(url):
        return json_error(404, "UrlNotMapped", f"{url!r} is not mapped", field="url")
    return _ok({"deleted": url})


@routes.get("/_emulator/media/{path:.+}")
async def media_file(request: web.Request) -> web.StreamResponse:
    path = _ctx(request).media_roots.relative(request.match_info["path"])
    if path is None:
        return json_error(404, "MediaNotFound", "no such file in the media roots")
    return web.FileResponse(path)


# ----- tasks
def task_view(ctx: EmulatorContext, task: Task) -> dict[str, Any]:
    media = task.media_status()
    job = task.job_view()  # not task.job: a finished task's job is kept packed (core/packed.py)
    outputs = []
    for output in job["outputs"]:
        stream_id = output["stream_id"]
        recorded = media.get("outputs", {}).get(stream_id, {})  # the pipeline's view, by stream id
        outputs.append(
            {
                **recorded,
                **output_urls(ctx, recorded),
                "stream_id": stream_id,
                "play": ctx.play_urls(stream_id),
            }
        )
    return {
        "id": task.id,
        "provider": task.provider,
        "native_id": task.native_id,
        "state": task.state.value,
        "created_at": task.created_at,
        "running_at": task.running_at,
        "updated_at": task.updated_at,
        "stopped_at": task.stopped_at,
        "stop_reason": task.stop_reason,
        "update_count": task.update_count,
        "last_error": task.error or media.get("error"),
        "frames": media.get("frames", 0),
        "media_time": media.get("media_time", 0.0),
        "realtime_factor": media.get("realtime_factor"),  # media s per wall s, recent; None until measured
        "behind": media.get("behind", False),  # realtime_factor below 0.95
        "inputs": media.get("inputs", {}),
        "outputs": outputs,
        "snapshot_url": f"http://{ctx.public_host}/_emulator/tasks/{task.id}/snapshot.png",
        "layout_url": f"http://{ctx.public_host}/_emulator/tasks/{task.id}/layout",
        "all_inputs_lost_since": task.all_lost_since,
        "job": job,
        "meta": task.meta,
    }


@routes.get("/_emulator/tasks")
async def task_list(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    provider, state = request.query.get("provider"), request.query.get("state")
    tasks = (t for t in ctx.tasks.each(provider) if state is None or t.state.value == state)
    return json_listing("tasks", (task_view(ctx, t) for t in tasks))


def _task_or_404(request: web.Request) -> Task:
    task = _ctx(request).tasks.get(request.match_info["task_id"])
    if task is None:
        raise FieldError(
            "task_id", f"no task {request.match_info['task_id']!r}", status=404, code="TaskNotFound"
        )
    return task


@routes.get("/_emulator/tasks/{task_id}")
async def task_get(request: web.Request) -> web.Response:
    return _ok(task_view(_ctx(request), _task_or_404(request)))


@routes.delete("/_emulator/tasks/{task_id}")
async def task_stop(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    task = _task_or_404(request)
    ctx.tasks.stop(task.id)
    return _ok(task_view(ctx, task))


@routes.get("/_emulator/tasks/{task_id}/snapshot.png")
async def task_snapshot(request: web.Request) -> web.StreamResponse:
    task = _task_or_404(request)
    png = await asyncio.get_running_loop().run_in_executor(None, task.snapshot_png)
    if not png:
        return json_error(404, "NoFrame", f"task {task.id} has not composed a frame yet")
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "no-store"})


# ----- journal, callbacks
@routes.get("/_emulator/requests")
async def journal(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    entries = ctx.journal.each(
        provider=request.query.get("provider") or None,
        action=request.query.get("action") or None,
        task=request.query.get("task") or None,
        limit=query_int(request, "limit", 1, 100_000),
    )
    return json_listing("requests", (e.to_dict() for e in entries))


@routes.get("/_emulator/callbacks")
async def callbacks(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    deliveries = ctx.callbacks.each(provider=request.query.get("provider"))
    return json_listing("callbacks", (d.to_dict() for d in deliveries))


# ----- faults
@routes.post("/_emulator/faults")
async def fault_add(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    known = sorted(set(ctx.providers) | {"tencent", "zego", "volcengine"})
    body = validate(
        await read_json_object(request),
        {
            "provider": Field(str, required=True, check=lambda v: None if v in known else f"one of {known}"),
            "action": Field(str, required=True, check=text(128)),
            "code": Field((int, str)),
            "http_status": Field(int, check=in_range(100, 599)),
            "message": Field(str, check=text(4096)),
            "times": Field(int, check=in_range(1, 1_000_000)),
            "probability": Field(float, check=in_range(0, 1)),
            "delay_ms": Field(int, check=in_range(0, 600_000)),
            "seed": Field(int),
            "clock_skew_s": Field(float, check=clock_skew_check),
        },
    )
    if body["clock_skew_s"] is not None:
        if body["code"] is not None or body["delay_ms"]:
            raise FieldError("clock_skew_s", "a clock-skew fault answers nothing: no code or delay_ms")
    elif body["code"] is None and not body["delay_ms"]:
        raise FieldError("code", "give a code (the error to answer) or delay_ms (a slow answer), or both")
    rule = ctx.faults.add(
        FaultRule(
            provider=body["provider"],
            action=body["action"],
            code=body["code"],
            http_status=body["http_status"],
            message=body["message"],
            times=body["times"],
            probability=1.0 if body["probability"] is None else float(body["probability"]),
            delay_ms=body["delay_ms"] or 0,
            seed=body["seed"],
            clock_skew_s=None if body["clock_skew_s"] is None else float(body["clock_skew_s"]),
        )
    )
    return _ok({"fault": rule.to_dict()}, status=201)


@routes.get("/_emulator/faults")
async def fault_list(request: web.Request) -> web.Response:
    return _ok({"faults": [r.to_dict() for r in _ctx(request).faults.list()]})


@routes.delete("/_emulator/faults")
async def fault_clear(request: web.Request) -> web.Response:
    _ctx(request).faults.clear()
    return _ok({"deleted": "all"})


@routes.delete("/_emulator/faults/{fault_id}")
async def fault_delete(request: web.Request) -> web.Response:
    raw = request.match_info["fault_id"]
    if not raw.isdigit() or not _ctx(request).faults.remove(int(raw)):
        return json_error(404, "FaultNotFound", f"no fault {raw!r}")
    return _ok({"deleted": int(raw)})


def add_control_routes(app: web.Application) -> None:
    app.add_routes(routes)
    app.router.add_get("/_emulator/tasks/{task_id}/layout", task_layout)
    app.router.add_get("/_emulator/recordings/{path:.+}", recording)
    app.router.add_get("/_emulator/hls/{path:.+}", hls_file)
    app.router.add_post("/_emulator/clock/reset", clock_reset)
    app.router.add_get("/_emulator/openapi.json", openapi_document)
