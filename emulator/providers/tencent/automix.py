"""Auto-mix through push-URL parameters (seed 000, "自动混流").

Two pushes whose URLs carry ``mixv2=t_id:<1|2>;session_id:<id>;layer:<b|s>`` with the same session id mix by
themselves once both are up: the big anchor (``b``) is the background and the output (output type 0), the
small one (``s``) a window; ``t_id`` 1 mixes audio and video with the co-host layout (template 20, the seed's
scene for one big and one small anchor), 2 mixes audio only. The mix starts when the later push is 5 s old
(the seed's push rule) and is cancelled as soon as either push ends. The push URL's query reaches the emulator
as ``PublishedStream.extra["query"]``.

Registry events may come from any thread; everything here runs later on the emulator clock's timers, which
fire on the server's loop, where tasks can start and stop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from emulator.context import EmulatorContext
from emulator.core.streams import PublishedStream
from emulator.core.tasks import Task
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.mixing import PUSH_SETTLE_S, MixService
from emulator.providers.tencent.params import ID_PATTERN, START, parse_start

log = logging.getLogger(__name__)

AUTO_TEMPLATE = 20


@dataclass(frozen=True)
class AutoMixSpec:
    audio_only: bool
    session_id: str
    big: bool  # layer "b": the background and the output


def parse_mixv2(value: object) -> AutoMixSpec | None:
    """``t_id:1;session_id:room;layer:b`` -> the spec; None when it is not a valid auto-mix request."""
    if not isinstance(value, str):
        return None
    fields = dict(part.split(":", 1) for part in value.split(";") if ":" in part)
    t_id, session_id, layer = fields.get("t_id"), fields.get("session_id", ""), fields.get("layer")
    if t_id not in ("1", "2") or layer not in ("b", "s") or not ID_PATTERN.fullmatch(session_id):
        return None
    return AutoMixSpec(audio_only=t_id == "2", session_id=session_id, big=layer == "b")


class AutoMixer:
    def __init__(self, ctx: EmulatorContext, service: MixService) -> None:
        self.ctx = ctx
        self.service = service
        self._pairs: dict[str, dict[bool, str]] = {}  # session id -> {big?: stream id}
        ctx.registry.subscribe(self._on_stream)

    def reset(self) -> None:
        self._pairs.clear()

    def _on_stream(self, kind: str, stream: PublishedStream) -> None:
        spec = parse_mixv2((stream.extra.get("query") or {}).get("mixv2"))
        if spec is None:
            return
        if kind == "published":
            self._pairs.setdefault(spec.session_id, {})[spec.big] = stream.stream_id
            self.ctx.clock.call_later(PUSH_SETTLE_S, lambda: self._start(spec))
        else:
            pair = self._pairs.get(spec.session_id, {})
            if pair.get(spec.big) == stream.stream_id:
                del pair[spec.big]
            self.ctx.clock.call_later(0, lambda: self._stop(spec.session_id))

    def _start(self, spec: AutoMixSpec) -> None:
        pair = self._pairs.get(spec.session_id, {})
        if len(pair) < 2 or self._active(spec.session_id) is not None:
            return
        app_id = next(c.app_id for c in self.ctx.settings.credentials if c.provider == "tencent")
        window = {"image_layer": 2, "input_type": 4} if spec.audio_only else {"image_layer": 2}
        background = {"image_layer": 1, "input_type": 4} if spec.audio_only else {"image_layer": 1}
        para = {
            "app_id": app_id,
            "interface": START,
            "mix_stream_session_id": spec.session_id,
            "mix_stream_template_id": 0 if spec.audio_only else AUTO_TEMPLATE,
            "output_stream_id": pair[True],
            "input_stream_list": [
                {"input_stream_id": pair[True], "layout_params": background},
                {"input_stream_id": pair[False], "layout_params": window},
            ],
        }
        try:
            self.service.start(parse_start(para), app_id, {"api": "auto"})
        except TencentError as exc:
            log.warning("auto-mix %s did not start: %s", spec.session_id, exc)

    def _stop(self, session_id: str) -> None:
        task = self._active(session_id)
        if task is not None and task.meta.get("api") == "auto":  # a mix started by a request stays
            self.ctx.tasks.stop(task.id, reason="input_ended")

    def _active(self, session_id: str) -> Task | None:
        task = self.ctx.tasks.find("tencent", session_id)
        return task if task is not None and task.state.active else None
