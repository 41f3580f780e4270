"""Validated MixedRules -> MixJob: sources in limit boxes by Layer, logos above them, one output.

- Each InputSource is a layer at z = its Layer, scaled to fit its Scene.Layout box keeping its aspect
  (FitMode.FIT, centred; the rest of the box transparent). vod plays once and then holds its last frame
  (option ``vod_loop``); pic and logos are pictures without audio.
- Logos draw above every source, in the order given (z = 10000 + index).
- The output stream id is the TaskID (played at ``/live/<TaskID>.flv``); every ``rtmp://`` / ``rtmps://``
  Output.Url is pushed to. Video BitRate and FrameRate are the clamped values; Codec h265 is encoded as
  H.265 (libx265), h264 as H.264.
- Time rules: all sources down for 1 minute ends the task; a task runs at most 3 days.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from emulator.core.job import AudioSpec, Canvas, FitMode, Layer, MixJob, Output, Rect, VideoSpec
from emulator.core.resolver import pull_spec, stream_id_in
from emulator.providers.volcengine.schema import Box, MixedRules

if TYPE_CHECKING:
    from emulator.context import EmulatorContext

IDLE_TIMEOUT_S = 60.0
MAX_DURATION_S = 3 * 86400.0
LOGO_Z_BASE = 10000  # above the highest source Layer (9999)
BACKGROUND = "#000000"
PUSH_SCHEMES = ("rtmp://", "rtmps://")

# Maps a live source's Url to the source spec the task opens (a ``stream:<id>`` or the URL itself).
LiveResolver = Callable[[str], str]


def offline_live_resolver(known: Callable[[str], bool]) -> LiveResolver:
    """For ``mix-emulator render``: a bare id, or a URL whose stream id is known, names that stream."""

    def resolve(url: str) -> str:
        if "://" not in url and not url.startswith("pattern:"):
            return f"stream:{url}"
        stream_id = stream_id_in(url)
        return f"stream:{stream_id}" if stream_id and known(stream_id) else url

    return resolve


def emulator_live_resolver(ctx: EmulatorContext) -> LiveResolver:
    """For a running emulator. A live Url resolves, first match wins:
    a URL mapped with ``POST /_emulator/urls`` stays (the resolver maps it when the task opens it);
    a bare stream id (no ``://``) is that stream; one of the emulator's own play URLs
    (``http://<emulator>/live/<id>.flv``, ``rtmp://<emulator>:<rtmp port>/live/<id>``) is stream ``<id>``;
    any other URL whose stream id is published right now (or is a running mix's output) is that stream,
    so a client's production pull URLs work once the anchor is published; anything else is pulled as is
    until that stream is published (``pull:``, core/resolver.py)."""

    def is_own(url: str) -> bool:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        local = {ctx.settings.host, "127.0.0.1", "localhost", "0.0.0.0", ctx.public_host.rsplit(":", 1)[0]}
        if parts.hostname not in local:
            return False
        if parts.scheme in ("http", "https"):
            return port == ctx.http_port
        return parts.scheme == "rtmp" and (port or 1935) == ctx.rtmp_port

    def resolve(url: str) -> str:
        if ctx.urls.lookup(url) is not None or url.startswith("pattern:"):
            return url
        if "://" not in url:
            return f"stream:{url}"
        stream_id = stream_id_in(url)
        if stream_id is None:
            return url
        if is_own(url) or ctx.registry.get(stream_id) or ctx.registry.output_owner(stream_id):
            return f"stream:{stream_id}"
        return pull_spec(url)  # the anchor may start pushing later: the task keeps looking for it

    return resolve


def build_job(rules: MixedRules, *, task_id: str, live: LiveResolver, vod_loop: bool = False) -> MixJob:
    layers = [
        Layer(
            id=source.id,
            source=live(source.url) if source.type == "live" else source.url,
            z=source.layer,
            rect=_rect(rules.boxes[source.layer]),
            fit=FitMode.FIT,
            audio=source.type != "pic",
            loop=vod_loop and source.type == "vod",
        )
        for source in rules.sources
    ]
    source_ids = {source.id for source in rules.sources}
    for index, logo in enumerate(rules.logos):
        layers.append(
            Layer(
                id=_logo_id(index, source_ids),
                source=logo.url,
                z=LOGO_Z_BASE + index,
                rect=_rect(logo.box),
                fit=FitMode.FIT,
                audio=False,
                keeps_alive=False,
            )
        )
    video, audio = rules.output.video, rules.output.audio
    output = Output(
        stream_id=task_id,
        video=VideoSpec(
            fps=float(video.effective_frame_rate),
            bitrate=video.effective_bitrate,
            gop_seconds=float(video.gop),
            codec=video.codec,
        ),
        audio=AudioSpec(sample_rate=audio.sample_rate, channels=audio.channels, bitrate=audio.bitrate),
        push_urls=[url for url in rules.output.urls if url.lower().startswith(PUSH_SCHEMES)],
    )
    return MixJob(
        canvas=Canvas(rules.width, rules.height, BACKGROUND),
        layers=layers,
        outputs=[output],
        idle_timeout=IDLE_TIMEOUT_S,
        max_duration=MAX_DURATION_S,
    )


def _rect(box: Box) -> Rect:
    return Rect(box.x, box.y, box.w, box.h)


def _logo_id(index: int, taken: set[str]) -> str:
    """``logo:1``, ``logo:2``... (1-based), kept apart from the sources' own IDs."""
    name = f"logo:{index + 1}"
    while name in taken:
        name = f"_{name}"
    return name
