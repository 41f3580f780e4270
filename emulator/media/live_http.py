"""HTTP playback routes: HTTP-FLV streamed from the LiveHub, HLS files served from the data dir.

``GET /live/{stream_id}.flv`` streams channel ``mix:<id>`` (a mix output) if it is live, else ``<id>``
(an RTMP push), else ``relay:<id>`` (a control-API stream, relayed on demand: see relay.py), as players such
as flv.js and ffplay expect: one endless chunked FLV response. It follows the id (live_follow.py): a mix
that takes the id over, or gives it back, is handed over at a keyframe within the same response. A player
that stops reading is cut off: the hub drops its subscription and a write that cannot finish within
``write_timeout`` closes the connection, so it never holds up the publisher or the server.
``GET /live/{stream_id}/{file}`` serves ``index.m3u8`` and its segments from ``hls_root/<stream_id>/``; each
request tells the HlsDemand, so a mix output's HLS is written while it is played (hls_demand.py).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from emulator.media.hls_demand import HlsDemand
from emulator.media.live import LiveHub
from emulator.media.live_follow import FollowedStream

_HLS_TYPES = {
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".aac": "audio/aac",
}
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}")  # no separators, no leading dot
_CORS = {"Access-Control-Allow-Origin": "*"}  # web players load streams from other origins


def _not_found(message: str) -> web.Response:
    return web.json_response({"error": {"code": "StreamNotFound", "message": message}}, status=404)


class _LiveRoutes:
    def __init__(
        self,
        hub: LiveHub,
        hls_root: Path,
        wait: float,
        write_timeout: float,
        stall_timeout: float,
        demand: HlsDemand | None,
    ) -> None:
        self._hub = hub
        self._demand = demand
        self._hls_root = hls_root
        self._wait = wait
        self._write_timeout = write_timeout
        self._stall_timeout = stall_timeout
        self._subscriptions: set[FollowedStream] = set()

    async def flv(self, request: web.Request) -> web.StreamResponse:
        stream_id = request.match_info["stream_id"]
        channel = None
        if _SAFE_NAME.fullmatch(stream_id):
            channel = await self._hub.find_playable(stream_id, self._wait)
        if channel is None:
            return _not_found(f"stream {stream_id!r} is not live")
        headers = {"Content-Type": "video/x-flv", "Cache-Control": "no-cache", **_CORS}
        if request.method == "HEAD":
            return web.Response(headers=headers)
        subscription = FollowedStream(self._hub, stream_id, channel)  # hands over to a mix of this id
        self._subscriptions.add(subscription)
        response = web.StreamResponse(headers=headers)
        response.enable_chunked_encoding()
        try:
            await response.prepare(request)
            # b"" = nothing for stall_timeout: the stream stalled (or never came back), so end the response
            while data := await subscription.read(self._stall_timeout):
                await asyncio.wait_for(response.write(data), self._write_timeout)
            if not subscription.dropped:
                await asyncio.wait_for(response.write_eof(), self._write_timeout)
                return response
        except (ConnectionError, TimeoutError):
            pass  # the player left or stopped reading
        finally:
            subscription.close()
            self._subscriptions.discard(subscription)
        # A player that fell behind or stopped reading: hang up rather than let aiohttp wait on it.
        if request.transport is not None:
            request.transport.abort()  # close() would wait to flush what the player never reads
        return response

    async def hls(self, request: web.Request) -> web.StreamResponse:
        stream_id, name = request.match_info["stream_id"], request.match_info["file"]
        content_type = _HLS_TYPES.get(Path(name).suffix.lower())
        if not (_SAFE_NAME.fullmatch(stream_id) and _SAFE_NAME.fullmatch(name) and content_type):
            return _not_found(f"no HLS file {name!r} for stream {stream_id!r}")
        root = self._hls_root.resolve()
        path = (root / stream_id / name).resolve()
        if self._demand is not None and path.is_relative_to(root):
            await self._demand.serve(stream_id, path, self._hub.exists(f"mix:{stream_id}"))
        if not path.is_relative_to(root) or not path.is_file():  # resolve() also catches symlinks out
            return _not_found(f"no HLS file {name!r} for stream {stream_id!r}")
        cache = "no-cache" if name.endswith(".m3u8") else "max-age=60"
        headers = {"Content-Type": content_type, "Cache-Control": cache, **_CORS}
        return web.FileResponse(path, headers=headers)

    async def close(self, _app: web.Application) -> None:
        """App shutdown: end the endless FLV responses so the server can stop at once."""
        for subscription in list(self._subscriptions):
            subscription.close()


def add_live_routes(
    app: web.Application,
    hub: LiveHub,
    hls_root: Path,
    *,
    wait: float = 2.0,
    write_timeout: float = 10.0,
    stall_timeout: float = 15.0,
    demand: HlsDemand | None = None,
) -> None:
    """Mount ``/live/{stream_id}.flv`` and ``/live/{stream_id}/{file}`` on ``app``.

    ``wait``: how long an FLV request waits for its stream to go live before the 404;
    ``write_timeout``: how long a player may leave a write unread before it is disconnected;
    ``stall_timeout``: how long a response stays open without media (a stalled or vanished stream);
    ``demand``: told of every HLS request (mix outputs write HLS while played).
    """
    routes = _LiveRoutes(hub, hls_root, wait, write_timeout, stall_timeout, demand)
    app.router.add_get("/live/{stream_id}.flv", routes.flv)
    app.router.add_get("/live/{stream_id}/{file}", routes.hls)
    app.on_shutdown.append(routes.close)
