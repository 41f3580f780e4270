"""``mix-emulator render``: one mix rendered offline, as fast as the CPU allows, into an MP4 file.

    mix-emulator render REQUEST.json -o OUT.mp4 [--provider tencent|zego|volcengine]
                        [--stream ID=SOURCE]... [--url URL=SOURCE]... [--duration S]

REQUEST.json is a MixJob as JSON (``MixJob.to_dict``), or with ``--provider`` a provider's own request body,
translated by ``emulator.providers.<name>.translate(body) -> MixJob``. ``--stream`` says what ``stream:ID``
plays; ``--url`` maps a production URL named in the request to a local source. The render uses the first
output of the job (its size, fps, bitrates), ends when every input has ended or at ``--duration`` and writes
a normal MP4 (index at the front) under a temporary name, renamed to OUT.mp4 only when it is complete.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from emulator.config import Settings
from emulator.core.clock import EmulatorClock
from emulator.core.job import MixJob, Output, ResolvedSource
from emulator.core.resolver import PULL_PREFIX
from emulator.core.streams import MediaInfo
from emulator.core.urlmap import MediaRoots
from emulator.fixture_media import ensure_fixture
from emulator.media.errors import MediaError
from emulator.media.pipeline import MixPipeline
from emulator.media.probe import probe
from emulator.media.sinks import Mp4Sink
from emulator.media.sources.opener import check_local_file
from emulator.media.sources.pattern import parse_pattern
from emulator.media.sources.spec import parse_spec

PROVIDERS = ("tencent", "zego", "volcengine")
PROGRESS_EVERY_S = 0.2
FILE_WAIT_S = 30.0  # the MP4 writer may hold the render up this long before a packet is lost


class RenderError(Exception):
    """Bad input to the render command; the message is shown to the user as is."""


def add_render_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "request", type=Path, help="a MixJob as JSON, or a provider request body (--provider)"
    )
    parser.add_argument("-o", "--output", type=Path, required=True, help="the MP4 file to write")
    parser.add_argument("--provider", choices=PROVIDERS, help="REQUEST.json is this provider's request body")
    parser.add_argument(
        "--stream", action="append", default=[], metavar="ID=SOURCE", help="what stream:ID plays (repeatable)"
    )
    parser.add_argument(
        "--url", action="append", default=[], metavar="URL=SOURCE", help="map a URL to a local source"
    )
    parser.add_argument("--duration", type=float, help="media seconds to render (default: until inputs end)")


def run_render(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mix-emulator render", description=__doc__.split("\n\n")[0])
    add_render_arguments(parser)
    options = parser.parse_args(args)
    try:
        if options.duration is not None and options.duration <= 0:
            raise RenderError("--duration must be positive")
        resolver = MappingResolver(_mappings(options.stream, "--stream"), _mappings(options.url, "--url"))
        job = load_job(options.request, options.provider, resolver.stream_info)
        check_streams(job, resolver.streams)
        status = render(job, options.output, resolver, duration=options.duration, progress=sys.stderr)
    except (RenderError, MediaError) as exc:
        print(f"mix-emulator render: error: {exc}", file=sys.stderr)
        return 1
    seconds = status["media_time"]
    print(f"wrote {options.output} ({seconds:.2f} s, {status['frames']} frames)", file=sys.stderr)
    return 0


def load_job(
    path: Path, provider: str | None, stream_info: Callable[[str], MediaInfo | None] = lambda _: None
) -> MixJob:
    """Read REQUEST.json as a MixJob, or as a provider body through that provider's translator, which asks
    ``stream_info`` what the streams it names are (Tencent's canvas is its background stream's size)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RenderError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RenderError(f"{path} is not JSON: {exc}") from None
    if provider is None:
        try:
            return MixJob.from_dict(body)
        except (TypeError, ValueError) as exc:
            raise RenderError(f"{path} is not a MixJob: {exc}") from None
    module_name = f"emulator.providers.{provider}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:  # the provider exists but something it imports is missing
            raise
        module = None
    translate = getattr(module, "translate", None)
    if translate is None:
        raise RenderError(f"provider {provider} request translation not available yet")
    try:
        return translate(body, stream_info)
    except (TypeError, ValueError, KeyError) as exc:
        raise RenderError(f"{path}: not a valid {provider} request: {exc}") from None


class MappingResolver:
    """A SourceResolver from the command line: ``stream:ID`` -> its --stream source, mapped URLs -> theirs."""

    def __init__(self, streams: dict[str, str], urls: dict[str, str]) -> None:
        self.streams = streams
        self.urls = urls
        self._probed: dict[str, MediaInfo] = {}

    def stream_info(self, stream_id: str) -> MediaInfo | None:
        """The probed media of a --stream source; None for a stream the command line does not name."""
        source = self.streams.get(stream_id)
        if source is None:
            return None
        if stream_id not in self._probed:
            _check_file(source, f"--stream {stream_id}")
            try:
                self._probed[stream_id] = probe(self.urls.get(source, source))
            except MediaError:
                self._probed[stream_id] = MediaInfo()  # unknown size; the render reports the bad source
        return self._probed[stream_id]

    def __call__(self, spec: str) -> ResolvedSource | None:
        spec = spec.removeprefix(PULL_PREFIX)  # offline, a stream the command line does not name is pulled
        spec = self.urls.get(spec, spec)
        if spec.startswith("stream:"):
            found = self.streams.get(spec[len("stream:") :])
            return None if found is None else ResolvedSource(self.urls.get(found, found))
        return ResolvedSource(spec)


def bind_streams(job: MixJob, streams: dict[str, str]) -> MixJob:
    """Put each ``stream:ID`` layer's --stream source in the layer itself. A running task loops a published
    stream's file (an anchor pushes without end); offline, a file plays once and the render ends with it."""

    def bound(source: str) -> str:
        return streams.get(source[len("stream:") :], source) if source.startswith("stream:") else source

    layers = [dataclasses.replace(layer, source=bound(layer.source)) for layer in job.layers]
    image = None if job.canvas.image is None else bound(job.canvas.image)
    return dataclasses.replace(job, layers=layers, canvas=dataclasses.replace(job.canvas, image=image))


def _mappings(items: list[str], option: str) -> dict[str, str]:
    """``KEY=SOURCE`` pairs. URLs and sources may both hold "=", so the split is at the first "=" whose
    right side looks like a source (a scheme such as pattern: or https://, or an existing file)."""
    found: dict[str, str] = {}
    for item in items:
        splits = [i for i, char in enumerate(item) if char == "=" and 0 < i < len(item) - 1]
        if not splits:
            raise RenderError(f"{option} {item!r}: expected KEY=SOURCE")
        at = next((i for i in splits if _looks_like_source(item[i + 1 :])), splits[0])
        key, source = item[:at], item[at + 1 :]
        found[key] = _local_file(source) if parse_spec(source).kind == "file" else source
    return found


def _roots() -> MediaRoots:
    return MediaRoots(Settings().all_media_roots())


def _local_file(source: str) -> str:
    """A file source as an absolute path, found by the media-roots rule (core/urlmap.py ``MediaRoots``) and
    written first if it is one of the fixtures/media clips; unchanged if not found (reported at use)."""
    roots = _roots()
    local = roots.local_path(source)
    if local is not None:
        ensure_fixture(local)
    path = roots.find(source, confined=False)
    return source if path is None else str(path)


def _check_file(source: str, option: str) -> None:
    """RenderError naming the file and where it was looked for, unless the file source exists."""
    if parse_spec(source).kind == "file" and not Path(source).is_absolute():
        raise RenderError(f"{option}: {_roots().not_found(source)}")


def check_streams(job: MixJob, streams: dict[str, str]) -> None:
    """Every ``stream:ID`` the job plays has a --stream, and every --stream names one of them (a typo in
    an id would otherwise render a black box)."""
    played = [layer.source[len("stream:") :] for layer in job.layers if layer.source.startswith("stream:")]
    if job.canvas.image is not None and job.canvas.image.startswith("stream:"):
        played.append(job.canvas.image[len("stream:") :])
    names = ", ".join(dict.fromkeys(played)) or "none"
    for stream_id, source in streams.items():
        _check_file(source, f"--stream {stream_id}")
        if stream_id not in played:
            raise RenderError(
                f"--stream {stream_id}: the request plays no such stream (its streams: {names})"
            )
    for stream_id in played:
        if stream_id not in streams:
            raise RenderError(f"stream:{stream_id} has no source: pass --stream {stream_id}=SOURCE")


def _looks_like_source(text: str) -> bool:
    return text.startswith(("pattern:", "live:", "stream:", "file:", "http://", "https://", "rtmp://")) or (
        Path(text).exists()
    )


def check_inputs(job: MixJob, resolver: MappingResolver) -> None:
    """Refuse, before anything starts, a render that could never end or names what does not exist: a
    ``stream:`` with no --stream, an invalid or missing source, a looped file or an endless pattern (without
    --duration). Files are not opened here: the render opens them once, and reports one it cannot decode."""
    for layer in job.layers:
        resolved = resolver(layer.source)
        if resolved is None:
            stream_id = layer.source[len("stream:") :]
            raise RenderError(
                f"layer {layer.id}: {layer.source} has no source: pass --stream {stream_id}=SOURCE"
            )
        spec = parse_spec(resolved.spec)
        if spec.kind == "invalid":
            raise RenderError(f"layer {layer.id}: {spec.target}")
        if spec.kind == "picture":
            continue  # a still picture lasts as long as the rest
        if layer.loop:
            raise RenderError(f"layer {layer.id} loops forever: pass --duration")
        if spec.kind == "pattern" and parse_pattern(spec.target, spec.params).duration is None:
            raise RenderError(
                f"layer {layer.id}: pattern:{spec.target} never ends: add duration=S or pass --duration"
            )
        if spec.kind == "file":
            _check_file(spec.target, f"layer {layer.id}")
            try:
                check_local_file(spec.target)
            except MediaError as exc:
                raise RenderError(f"layer {layer.id}: cannot open {spec.target}: {exc}") from None


def render(
    job: MixJob,
    out: Path,
    resolver: MappingResolver,
    *,
    duration: float | None = None,
    progress: TextIO | None = None,
) -> dict[str, Any]:
    """Render ``job`` to ``out``; returns the pipeline status. Raises RenderError/MediaError."""
    output = job.outputs[0] if job.outputs else Output("render")
    job = dataclasses.replace(bind_streams(job, resolver.streams), outputs=[output])
    if duration is None:
        check_inputs(job, resolver)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.part")
    sinks: list[Mp4Sink] = []

    def one_mp4(encoder: Any) -> list[Any]:
        sinks.append(Mp4Sink(encoder.templates, partial, fragmented=False, wait_s=FILE_WAIT_S))
        return list(sinks)

    done = threading.Event()
    pipeline = MixPipeline(
        job,
        task_id="render",
        resolver=resolver,
        clock=EmulatorClock(),
        data_dir=out.parent,
        mode="fast",
        # Without --duration the render ends when its finite inputs have (MixRenderer.finished_at).
        duration=duration,
        sink_factory=one_mp4,
        on_event=lambda kind, _: done.set() if kind in ("ended", "stopped", "failed") else None,
    )
    bar = _ProgressBar(progress, duration)
    pipeline.start()
    try:
        while not done.wait(PROGRESS_EVERY_S):
            bar.show(pipeline.status())
    finally:
        pipeline.stop()
    status = pipeline.status()
    try:
        _check_rendered(pipeline, status, sinks[0].status() if sinks else None, out)
    except RenderError:
        bar.abandon()
        partial.unlink(missing_ok=True)
        raise
    bar.close(status)
    os.replace(partial, out)
    return status


def _check_rendered(
    pipeline: MixPipeline, status: dict[str, Any], sink: dict[str, Any] | None, out: Path
) -> None:
    """RenderError unless the render ran to its end, every input played and the file is complete."""
    if pipeline.state == "failed":
        raise RenderError(f"the render failed: {pipeline.error}")
    failed = next(((layer, i) for layer, i in status["inputs"].items() if i["state"] == "error"), None)
    if failed is not None:
        raise RenderError(f"layer {failed[0]}: {failed[1]['error']}")
    if sink is None or sink["state"] != "closed" or not sink["packets"]:
        error = "no output" if sink is None else sink["error"] or "nothing was rendered"
        raise RenderError(f"writing {out} failed: {error}")


class _ProgressBar:
    """``[#######.......] 3.2/10.0 s  4.1x`` on stderr, redrawn in place on a terminal. The total is
    --duration, else the longest input's length once the inputs are open."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None, total: float | None) -> None:
        self._stream = stream
        self._total = total
        self._started = time.monotonic()
        self._tty = bool(stream is not None and stream.isatty())

    def show(self, status: dict[str, Any], *, end: str = "") -> None:
        if self._stream is None or not (self._tty or end):
            return
        done = status["media_time"]
        speed = done / max(1e-6, time.monotonic() - self._started)
        lengths = [i["duration"] for i in status["inputs"].values() if i.get("duration") is not None]
        total = self._total or max(lengths, default=None)
        if total:
            filled = min(self.WIDTH, int(self.WIDTH * done / total))
            bar = "#" * filled + "." * (self.WIDTH - filled)
            text = f"[{bar}] {done:.1f}/{total:.1f} s  {speed:.1f}x"
        else:
            text = f"{done:.1f} s  {speed:.1f}x"
        self._stream.write(("\r" if self._tty else "") + text + end)
        self._stream.flush()

    def close(self, status: dict[str, Any]) -> None:
        self.show(status, end="\n")

    def abandon(self) -> None:
        """The render failed: end the line drawn in place, so the error starts on its own."""
        if self._stream is not None and self._tty:
            self._stream.write("\n")
