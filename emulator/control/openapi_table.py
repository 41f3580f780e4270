"""The control API, one row per route: what ``/_emulator/openapi.json`` describes (control/openapi.py).

A route added to the app needs its row here: tests/control/test_openapi.py fails naming any route the app
serves that this table lacks. Body fields read ``name: type`` (``?`` = optional); types are JSON Schema
type names, ``number|string`` for either.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Op:
    method: str
    path: str  # as the app declares it, {names} for path parameters
    summary: str
    tag: str = "control"
    body: tuple[str, ...] = ()  # "name: type" or "name?: type"
    query: tuple[str, ...] = ()  # optional query parameters, "name: type"
    returns: str = "application/json"  # the media type of a 2xx answer
    statuses: tuple[int, ...] = field(default=(200,))


STREAM_BODY = (
    "stream_id: string",
    "source: string",
    "loop?: boolean",
    "room_id?: string",
    "user_id?: string",
)
FAULT_BODY = (
    "provider: string",
    "action: string",
    "code?: integer|string",
    "http_status?: integer",
    "message?: string",
    "times?: integer",
    "probability?: number",
    "delay_ms?: integer",
    "seed?: integer",
    "clock_skew_s?: number",
)

OPERATIONS: tuple[Op, ...] = (
    Op("GET", "/_emulator", "The dashboard page", "dashboard", returns="text/html"),
    Op("GET", "/_emulator/", "The dashboard page", "dashboard", returns="text/html"),
    Op("GET", "/_emulator/openapi.json", "This document", "control"),
    Op("GET", "/_emulator/health", "Status, version, providers, clock, settings"),
    Op("POST", "/_emulator/reset", "Stop every task; forget streams, URLs, journal, faults; reset the clock"),
    Op("GET", "/_emulator/clock", "The emulator clock: now and offset from the wall clock", "clock"),
    Op("POST", "/_emulator/clock/advance", "Move the emulator clock forward", "clock", ("seconds: number",)),
    Op("POST", "/_emulator/clock/reset", "Return the emulator clock to wall time, tasks kept", "clock"),
    Op("POST", "/_emulator/streams", "Publish a stream (probed)", "streams", STREAM_BODY, statuses=(201,)),
    Op("GET", "/_emulator/streams", "The published streams", "streams", query=("room_id: string",)),
    Op("GET", "/_emulator/streams/{stream_id}", "One stream with its play URLs", "streams"),
    Op("DELETE", "/_emulator/streams/{stream_id}", "Unpublish a stream (the input drops)", "streams"),
    Op(
        "POST",
        "/_emulator/urls",
        "Map a production URL to a local source",
        "urls",
        ("url: string", "source: string"),
        statuses=(201,),
    ),
    Op("GET", "/_emulator/urls", "The URL mappings", "urls"),
    Op("DELETE", "/_emulator/urls", "Forget one mapping (?url=) or all", "urls", query=("url: string",)),
    Op(
        "GET",
        "/_emulator/media/{path}",
        "A file of the media roots",
        "urls",
        returns="application/octet-stream",
    ),
    Op(
        "GET",
        "/_emulator/recordings/{path}",
        "A recording (<task slug>/<stream>.mp4), as the task view's recording_url names it",
        "tasks",
        returns="video/mp4",
    ),
    Op(
        "GET",
        "/_emulator/hls/{path}",
        "A live output's HLS playlist and segments (<stream>/<file>)",
        "tasks",
        returns="application/octet-stream",
    ),
    Op("GET", "/_emulator/tasks", "Every task", "tasks", query=("provider: string", "state: string")),
    Op("GET", "/_emulator/tasks/{task_id}", "One task: state, MixJob, frames, inputs, outputs", "tasks"),
    Op("DELETE", "/_emulator/tasks/{task_id}", "Force-stop a task", "tasks"),
    Op(
        "GET",
        "/_emulator/tasks/{task_id}/snapshot.png",
        "The latest composed frame",
        "tasks",
        returns="image/png",
    ),
    Op("GET", "/_emulator/tasks/{task_id}/layout", "Canvas and layers: requested and drawn rects", "tasks"),
    Op(
        "GET",
        "/_emulator/requests",
        "The request journal (secrets redacted)",
        "journal",
        query=("provider: string", "action: string", "limit: integer"),
    ),
    Op(
        "GET",
        "/_emulator/callbacks",
        "Outgoing callbacks and their deliveries",
        "journal",
        query=("provider: string",),
    ),
    Op("POST", "/_emulator/faults", "Make matching requests fail", "faults", FAULT_BODY, statuses=(201,)),
    Op("GET", "/_emulator/faults", "The fault rules", "faults"),
    Op("DELETE", "/_emulator/faults", "Delete every fault", "faults"),
    Op("DELETE", "/_emulator/faults/{fault_id}", "Delete one fault", "faults"),
    Op(
        "POST",
        "/_emulator/tencent/pictures",
        "Register a watermark picture",
        "tencent",
        ("picture_id: integer", "source: string", "width?: integer", "height?: integer"),
        statuses=(201,),
    ),
    Op("GET", "/_emulator/tencent/pictures", "The watermark pictures", "tencent"),
    Op("DELETE", "/_emulator/tencent/pictures/{picture_id}", "Remove a watermark picture", "tencent"),
    Op("GET", "/_emulator/tencent/sessions", "The mix sessions", "tencent"),
    Op(
        "POST",
        "/_emulator/zego/callback",
        "Set the callback URL",
        "zego",
        ("url: string", "secret?: string", "app_id?: string"),
    ),
    Op("GET", "/_emulator/zego/callback", "The callback URLs", "zego"),
    Op("DELETE", "/_emulator/zego/callback", "Back to the configured callback URLs", "zego"),
    Op(
        "POST",
        "/_emulator/zego/limits",
        "Set limits",
        "zego",
        ("max_fps?: integer", "max_tasks?: integer", "rate_limit?: integer"),
    ),
    Op("GET", "/_emulator/zego/limits", "The limits", "zego"),
    Op(
        "GET",
        "/_emulator/zego/sound-levels",
        "A running mix's sound levels",
        "zego",
        query=("app_id: string", "task_id: string"),
    ),
    Op(
        "POST",
        "/_emulator/volcengine/rate-limit",
        "Switch the rate limit",
        "volcengine",
        ("enabled: boolean", "limit?: integer"),
    ),
    Op("GET", "/_emulator/volcengine/rate-limit", "The rate limit", "volcengine"),
)
