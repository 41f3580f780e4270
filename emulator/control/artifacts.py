"""What a task leaves behind, over HTTP under ``/_emulator/``, so a test on another host can fetch it:
``/_emulator/recordings/<task slug>/<stream>.mp4`` (the recordings) and ``/_emulator/hls/<stream>/<file>``
(the HLS playlist and segments of a live output). The task view lists them as URLs (:func:`output_urls`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from aiohttp import web

from emulator.context import EmulatorContext
from emulator.control.context_key import context_of
from emulator.control.validation import json_error

RECORDINGS = "recordings"
HLS = "hls"


def output_urls(ctx: EmulatorContext, recorded: dict[str, Any]) -> dict[str, str | None]:
    """HTTP URLs of one output's recording and HLS playlist (from the pipeline's view of the output)."""
    base = f"http://{ctx.public_host}/_emulator"
    return {
        "recording_url": _url(
            base, ctx.settings.data_dir / RECORDINGS, recorded.get("recording"), RECORDINGS
        ),
        "hls_url": _url(base, ctx.settings.data_dir / HLS, recorded.get("hls"), HLS),
    }


def _url(base: str, root: Path, path: str | None, prefix: str) -> str | None:
    if not path:
        return None
    # The sinks build their paths from the same data dir: a prefix test, no file system call per task view
    # (the task list makes this for every output of every task).
    head = f"{root}{os.sep}"
    if path.startswith(head):
        return f"{base}/{prefix}/{path[len(head) :].replace(os.sep, '/')}"
    try:
        relative = Path(path).resolve().relative_to(root.resolve())
    except ValueError:  # not under the data dir (a sink configured elsewhere): nothing to serve
        return None
    return f"{base}/{prefix}/{relative.as_posix()}"


def _serve_under(root: Path, relative: str) -> web.StreamResponse:
    root = root.resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return json_error(404, "ArtifactNotFound", f"no such file: {relative}")
    headers = {"Cache-Control": "no-store"}  # recordings grow and playlists change while a task runs
    if path.suffix == ".m3u8":
        headers["Content-Type"] = "application/vnd.apple.mpegurl"
    return web.FileResponse(path, headers=headers)


async def recording(request: web.Request) -> web.StreamResponse:
    return _serve_under(context_of(request).settings.data_dir / RECORDINGS, request.match_info["path"])


async def hls_file(request: web.Request) -> web.StreamResponse:
    ctx = context_of(request)
    hls, relative = ctx.settings.data_dir / HLS, request.match_info["path"]
    stream_id = relative.split("/", 1)[0]
    path = (hls / relative).resolve()
    if ctx.hls_demand is not None and path.is_relative_to(hls.resolve()):  # written while played
        await ctx.hls_demand.serve(stream_id, path, ctx.hub.exists(f"mix:{stream_id}"))
    return _serve_under(hls, relative)
