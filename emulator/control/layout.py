"""``GET /_emulator/tasks/{task_id}/layout``: the effective canvas and, per layer, its source and size, the
rect asked for, the rect drawn (templates, fractions, crop and fit applied) and its state
(emulator/media/layout.py computes it with the compositor's own placement)."""

from __future__ import annotations

from aiohttp import web

from emulator.control.context_key import context_of
from emulator.control.validation import FieldError


async def task_layout(request: web.Request) -> web.Response:
    task = context_of(request).tasks.get(request.match_info["task_id"])
    if task is None:
        raise FieldError(
            "task_id", f"no task {request.match_info['task_id']!r}", status=404, code="TaskNotFound"
        )
    from emulator.media.layout import describe_layout  # the media engine loads on first use

    media = task.media_status()
    layout = describe_layout(task.job, media.get("inputs", {}), media.get("shown", {}))
    return web.json_response({"task": task.id, "state": task.state.value, **layout})
